"""The search language: what a query parses into, the sentences for a bad one, and the
IMAP criteria the tree becomes (the same criteria the server was always sent)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tui_mail.core.errors import UsageError
from tui_mail.core.imap.search import criteria
from tui_mail.core.models import Flag
from tui_mail.core.query import (
    ALL,
    SEARCH_HELP,
    FieldContains,
    HasFlag,
    Header,
    LacksFlag,
    Query,
    SentBefore,
    SentSince,
    Text,
    UidIn,
    _day,
    parse_query,
)


def test_words_become_terms_in_order() -> None:
    assert parse_query('from:alice To:bob cc:carol subject:"big news" body:ramen') == Query.of(
        FieldContains("from", "alice"),
        FieldContains("to", "bob"),
        FieldContains("cc", "carol"),
        FieldContains("subject", "big news"),
        FieldContains("body", "ramen"),
    )
    assert parse_query("since:2026-01-31 before:2026-02-28") == Query.of(
        SentSince(date(2026, 1, 31)), SentBefore(date(2026, 2, 28))
    )
    assert parse_query('hello "quoted phrase" from: x:y') == Query.of(
        Text("hello"), Text("quoted phrase"), Text("from:"), Text("x:y")
    )


def test_states_are_flags_set_or_not() -> None:
    query = parse_query("is:unread is:Read is:seen is:unseen is:flagged is:starred is:replied")
    assert query.terms == (
        LacksFlag(Flag.SEEN),
        HasFlag(Flag.SEEN),
        HasFlag(Flag.SEEN),
        LacksFlag(Flag.SEEN),
        HasFlag(Flag.FLAGGED),
        HasFlag(Flag.FLAGGED),
        HasFlag(Flag.ANSWERED),
    )


def test_an_empty_search_matches_everything() -> None:
    assert parse_query("") == ALL == Query()
    assert parse_query("   ") == ALL


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ('"open', "Cannot read the search '\"open': No closing quotation."),
        ("since:yesterday", "since: takes a date as YYYY-MM-DD, not 'yesterday'."),
        ("before:2026-13-01", "before: takes a date as YYYY-MM-DD, not '2026-13-01'."),
        (
            "is:nice",
            "is:nice is not a known state; use one of answered, flagged, read, replied, seen, "
            "starred, unread, unseen.",
        ),
    ],
)
def test_bad_searches_are_said_in_words(text: str, sentence: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_query(text)
    assert str(raised.value) == sentence


def test_the_help_paragraph_names_every_keyword() -> None:
    for word in ("from:", "to:", "cc:", "subject:", "body:", "since:", "before:", "is:unread"):
        assert word in SEARCH_HELP


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["ALL"]),
        (
            'from:alice To:bob cc:carol subject:"big news" body:ramen',
            ["FROM", "alice", "TO", "bob", "CC", "carol", "SUBJECT", "big news", "BODY", "ramen"],
        ),
        (
            "since:2026-01-31 before:2026-02-28",
            ["SENTSINCE", date(2026, 1, 31), "SENTBEFORE", date(2026, 2, 28)],
        ),
        (
            "is:unread is:Read is:seen is:unseen is:flagged is:starred is:answered is:replied",
            ["UNSEEN", "SEEN", "SEEN", "UNSEEN", "FLAGGED", "FLAGGED", "ANSWERED", "ANSWERED"],
        ),
        (
            'hello "quoted phrase" from: x:y',
            ["TEXT", "hello", "TEXT", "quoted phrase", "TEXT", "from:", "TEXT", "x:y"],
        ),
        ("Grüße from:zoë", ["TEXT", "Grüße", "FROM", "zoë"]),
    ],
)
def test_imap_is_asked_exactly_as_before(text: str, expected: list[object]) -> None:
    assert criteria(parse_query(text)) == expected


def test_what_the_core_asks_itself_in_imap_terms() -> None:
    assert criteria(Query.of(Header("Message-ID", "<a@b>"))) == ["HEADER", "Message-ID", "<a@b>"]
    assert criteria(Query.of(UidIn((7, 3, 4, 5, 3)))) == ["UID", "3:5,7"]
    assert criteria(Query.of(HasFlag(Flag.FORWARDED), LacksFlag(Flag.DRAFT))) == [
        "KEYWORD",
        "$Forwarded",
        "UNDRAFT",
    ]
    assert criteria(Query.of(HasFlag(Flag.SEEN | Flag.DELETED))) == ["SEEN", "DELETED"]


@pytest.mark.parametrize(
    ("value", "day"),
    [("7d", date(2026, 3, 24)), ("2w", date(2026, 3, 17)), ("0d", date(2026, 3, 31)),
     ("1m", date(2026, 2, 28)), ("3M", date(2025, 12, 31)), ("1y", date(2025, 3, 31)),
     ("2026-01-05", date(2026, 1, 5))],
)  # fmt: skip
def test_a_span_back_from_today_is_a_day(value: str, day: date) -> None:
    assert _day(value, today=date(2026, 3, 31)) == day


def test_since_a_span_is_counted_from_today() -> None:
    assert parse_query("since:7d before:1d") == Query.of(
        SentSince(date.today() - timedelta(days=7)), SentBefore(date.today() - timedelta(days=1))
    )


def test_a_span_that_is_not_one_is_refused() -> None:
    for word in ("since:7x", "since:d", "since:99999d", "since:3000y"):
        with pytest.raises(UsageError, match="YYYY-MM-DD"):
            parse_query(word)
