"""A limit (`l`) finds a quoted phrase that spans two of the summary's columns as the search's
matcher does: the sender's name and address ("Alice Smith <alice", as `from:` sees them),
or a plain phrase crossing from one column to the next of the summary joined with spaces.
Limit's SQL narrowing (core/store/matching.py) is compared with `query.matcher` over every
cached message of a real SQLite store, on such phrases and on random ones."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import make_message
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.query import FieldContains, Header, Query, Term, Text, matcher, parse_query
from tui_mail.core.store import matching
from tui_mail.core.store.cache import Store

PEOPLE = [
    ("Alice Smith", "alice@example.org"),
    ("", "bob@example.net"),  # no name: the matcher sees the bare address
    ("José Díaz", "jose@example.es"),
    ("O'Brien, Dave", "dave.obrien@example.ie"),
    ("Grüße Straße", "strasse@example.de"),
    ("ALICE SMITHSON", "ASMITH@EXAMPLE.COM"),
    ("100% Sure_Thing", "sure@example.org"),
]
SUBJECTS = ["Quarterly report", "Re: lunch?", "Budget <draft>", "", "Grüße aus Köln", "x y"]


def _rows() -> list[SummaryRow]:
    rows = []
    for uid in range(1, 43):
        name, addr = PEOPLE[uid % len(PEOPLE)]
        to = PEOPLE[(uid * 3 + 1) % len(PEOPLE)][1]
        cc = "" if uid % 3 else ", ".join(p[1] for p in PEOPLE[:2])
        subject = SUBJECTS[uid % len(SUBJECTS)]
        rows.append(SummaryRow(uid, 1_700_000_000 + uid * 60, name, addr, to, cc, subject,
                               f"<{uid}@x>", "", "", 100, 0, "", 0, 0))  # fmt: skip
    return rows


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "cache.sqlite3")
    folder = opened.ensure_folder("INBOX")
    opened.add_summaries(folder, _rows())
    # One message read before: a plain phrase also looks into its headers and text.
    opened.save_body(folder, 7, make_message(7, body="Smith <alice said so"))
    yield opened
    opened.close()


def _everything(store: Store) -> list[list[object]]:
    """Every cached message as matching.CachedMessage reads it, newest first."""
    (rows,) = store._read.execute(
        "SELECT json_group_array(json_array(uid, date, flags, from_name, from_addr, to_addrs,"  # noqa: S608
        f" cc_addrs, subject, message_id, {matching.HAS_BODY})) FROM (SELECT * FROM messages"
        " WHERE folder_id = ? ORDER BY date DESC, uid DESC) m",
        (store.folder_id("INBOX"),),
    ).fetchone()
    found: list[list[object]] = json.loads(rows)
    return found


def _matched(store: Store, query: Query) -> list[int]:
    """What the matcher alone finds among every cached message, newest first."""
    folder_id = store.folder_id("INBOX")
    test = matcher(query)
    return [int(row[0]) for row in _everything(store)  # type: ignore[call-overload]
            if test(matching.CachedMessage(store._read, folder_id, row))]  # fmt: skip


def _limited(store: Store, query: Query) -> list[int]:
    return store.matching_uids(store.folder_id("INBOX"), query)


SPANNING = [
    'from:"Alice Smith <alice"',
    'from:"smith <ALICE@"',
    'from:"<alice"',
    'from:"example.org>"',
    'from:"Díaz <jose"',
    'from:"Dave <dave"',
    'from:"Sure_Thing <sure"',
    'from:"% Sure_Thing <"',
    'from:"straße <strasse"',
    'from:"grüsse strasse <"',
    '"Alice Smith alice@"',
    '"smith alice@example.org"',
    '"example.org bob@"',
    '"Smith <alice"',  # only the cached message's text has it
    '"bob@example.net Quarterly"',
    '"jose@example.es alice@"',
    '"example.de  Budget"',  # an empty cc between: two spaces
    '"example.de sure@example.org  grüsse"',
]


@pytest.mark.parametrize("text", SPANNING)
def test_a_phrase_spanning_two_columns_is_limited_as_the_matcher_finds_it(
    store: Store, text: str
) -> None:
    query = parse_query(text)
    expected = _matched(store, query)
    assert expected, f"{text} finds something"
    assert _limited(store, query) == expected, text


def _phrase(rng: random.Random, value: str) -> str:
    """A random stretch of `value`, often across a separator the join put in."""
    if not value:
        return "x"
    start = rng.randrange(len(value))
    return value[start : start + rng.randint(1, 24)].strip('"') or "x"


def _term(field: str, phrase: str) -> Term:
    if field == "text":
        return Text(phrase)
    if field == "header":
        return Header("From", phrase)
    return FieldContains(field, phrase)  # type: ignore[arg-type]


def test_random_phrases_are_limited_as_the_matcher_finds_them(store: Store) -> None:
    rng = random.Random(17)
    folder_id = store.folder_id("INBOX")
    messages = [matching.CachedMessage(store._read, folder_id, row) for row in _everything(store)]
    found = 0
    for _ in range(400):
        message = rng.choice(messages)
        field = rng.choice(["from", "to", "cc", "subject", "text", "header"])
        if field == "text":  # the summary's columns, joined as the matcher joins them
            value = message.text().split("\n", 1)[0]
        else:
            value = message.header("from" if field == "header" else field)
        phrase = _phrase(rng, value)
        if rng.random() < 0.3:  # other cases, also of letters SQLite's LIKE does not fold
            phrase = phrase.swapcase()
        query = Query.of(_term(field, phrase))
        expected = _matched(store, query)
        assert _limited(store, query) == expected, query
        found += bool(expected)
    assert found > 300  # the phrases come from the messages: most find something
