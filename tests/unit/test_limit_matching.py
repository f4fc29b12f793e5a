"""Limits answered by the cache alone: a real SQLite store, the search language, and the
limited view that the list shows (matched again when mail comes and goes)."""

from __future__ import annotations

import queue
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tests.support.dovecot import make_message
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.account.limited import LimitedMerged, LimitedMessages, every_ref
from tui_mail.core.account.message_index import MessageRef
from tui_mail.core.message.headers import SummaryRow, summary_row
from tui_mail.core.models import Flag
from tui_mail.core.query import Query, UidIn, parse_query
from tui_mail.core.store.cache import Store
from tui_mail.core.store.matching import local_midnight

DAY = 86_400


def row(
    uid: int,
    *,
    sender: tuple[str, str] = ("Ann Lee", "ann@example.org"),
    to: str = "me@example.org",
    cc: str = "",
    subject: str = "",
    when: int = 0,
    flags: Flag = Flag.SEEN,
) -> SummaryRow:
    name, addr = sender
    return SummaryRow(uid, when or local_midnight(date(2026, 3, 1)) + uid * 60, name, addr, to,
                      cc, subject or f"note {uid}", f"<{uid}@x>", "", "", 100, int(flags),
                      "", 0, 0)  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "cache.sqlite3")
    folder = store.ensure_folder("INBOX")
    march = local_midnight(date(2026, 3, 10))
    store.add_summaries(
        folder,
        [
            row(1, subject="Budget 2026", flags=Flag(0)),
            row(2, sender=("Bob", "bob@example.org"), cc="ann@example.org",
                subject="Re: Budget 2026"),
            row(3, sender=("Ärger Müller", "mueller@example.de"), subject="Grüße aus Köln",
                flags=Flag.SEEN | Flag.FLAGGED),
            row(4, sender=("Bob", "bob@example.org"), subject="100% done", when=march),
            row(5, sender=("Carol", "carol@example.org"), to="list@example.org",
                subject="Weekly", when=march + DAY - 1, flags=Flag.SEEN | Flag.ANSWERED),
        ],
    )  # fmt: skip
    return store


def uids(store: Store, text: str) -> list[int]:
    return store.matching_uids(store.folder_id("INBOX"), parse_query(text))


def test_summary_terms_are_answered_by_the_cache_newest_first(store: Store) -> None:
    assert uids(store, "from:ann") == [1]
    assert uids(store, "from:EXAMPLE.ORG") == [5, 4, 2, 1]  # date order: 5 and 4 are newest
    assert uids(store, "cc:ann") == [2]
    assert uids(store, "to:list") == [5]
    assert uids(store, "subject:budget") == [2, 1]
    assert uids(store, "subject:budget is:unread") == [1]
    assert uids(store, "is:flagged") == [3]
    assert uids(store, "is:answered") == [5]
    assert uids(store, "is:read from:bob") == [4, 2]
    assert uids(store, "") == [5, 4, 3, 2, 1]  # no terms: the whole folder
    assert uids(store, "from:nobody") == []


def test_like_wildcards_are_plain_characters_and_non_ascii_case_is_folded(
    store: Store,
) -> None:
    assert uids(store, "subject:100%") == [4]
    assert uids(store, "subject:1_0") == []
    # SQLite's LIKE folds ASCII only: these are decided in Python, with casefold.
    assert uids(store, "from:ärger") == [3]
    assert uids(store, "subject:GRÜßE") == [3]
    assert uids(store, "from:MÜLLER") == [3]
    assert uids(store, "subject:grüße") == [3]
    assert uids(store, "köln") == [3]  # a plain word: the summary when no body is cached


def test_dates_are_the_days_the_list_shows(store: Store) -> None:
    assert uids(store, "since:2026-03-10") == [5, 4]
    assert uids(store, "before:2026-03-10") == [3, 2, 1]
    assert uids(store, "since:2026-03-10 before:2026-03-11") == [5, 4]
    assert uids(store, "since:2026-03-11") == []


def test_body_words_look_into_cached_bodies_only(store: Store) -> None:
    folder = store.folder_id("INBOX")
    store.save_body(folder, 2, make_message(2, body="The quarterly numbers are attached."))
    store.save_body(folder, 5, make_message(5, body="nothing to see", x_mailer="Quarterly 1.0"))
    assert uids(store, "body:QUARTERLY") == [2]  # 5 has it in a header, not in its text
    assert uids(store, "quarterly") == [5, 2]  # a plain word: headers and text
    assert uids(store, "body:numbers from:bob") == [2]
    assert uids(store, "body:numbers from:carol") == []
    assert uids(store, "weekly") == [5]  # summary, whatever the cached body says
    # A header the summary lacks: only a cached message has it.
    assert store.matching_uids(folder, parse_query("")) == [5, 4, 3, 2, 1]
    from tui_mail.core.query import Header  # noqa: PLC0415

    assert store.matching_uids(folder, Query.of(Header("X-Mailer", "quarterly"))) == [5]


def test_long_uid_lists_are_checked_outside_sql(store: Store) -> None:
    folder = store.folder_id("INBOX")
    many = UidIn(tuple(range(2, 2000)))
    assert store.matching_uids(folder, Query.of(many, parse_query("from:bob").terms[0])) == [4, 2]


def test_a_realistic_message_matches_through_its_summary(tmp_path: Path) -> None:
    """The summary as a sync writes it (decoded RFC 2047 names and subjects)."""
    store = Store(tmp_path / "cache.sqlite3")
    folder = store.ensure_folder("INBOX")
    raw = make_message(1, subject="Café menu", from_="Zoë <zoe@example.net>")
    head = raw.split(b"\n\n", 1)[0]
    store.add_summaries(folder, [summary_row(1, 0, "", len(raw), 0, head)])
    assert store.matching_uids(folder, parse_query("from:ZOË subject:café")) == [1]
    assert store.matching_uids(folder, parse_query("from:zoe@example.net")) == [1]


def test_cache_view_answers_none_for_a_folder_never_cached(store: Store) -> None:
    view = CacheView("work", store)
    assert view.matching("INBOX", parse_query("from:bob")) == [4, 2]
    assert view.matching("Nowhere", parse_query("from:bob")) is None


def test_a_limited_view_is_matched_again_when_mail_arrives(store: Store) -> None:
    view = CacheView("work", store)
    source = view.limited("INBOX", parse_query("from:bob"))
    assert source.uids() == [4, 2] and source.total == 5
    assert [source.row(i).summary.subject for i in range(len(source))] == [  # type: ignore[union-attr]
        "100% done",
        "Re: Budget 2026",
    ]
    assert source.index_of(MessageRef("work", "INBOX", 2)) == 1
    store.add_summaries(store.folder_id("INBOX"),
                        [row(6, sender=("Bob", "bob@x.org"), when=2_000_000_000)])  # fmt: skip
    source.refresh()
    assert source.uids() == [6, 4, 2] and source.total == 6
    assert every_ref(source) == [MessageRef("work", "INBOX", u) for u in (6, 4, 2)]


def test_in_the_background_the_rows_stay_until_the_new_matching_is_handed_over(
    store: Store,
) -> None:
    arrived: queue.Queue[Callable[[], None]] = queue.Queue()
    told: list[int] = []
    source = LimitedMessages(
        "work", store, "INBOX", parse_query("is:read"), deliver=arrived.put,
        on_matched=lambda: told.append(len(source)),
    )  # fmt: skip
    assert len(source) == 0 and not source.matched  # nothing on the UI thread yet
    arrived.get(timeout=10)()  # what the UI thread does with the delivered result
    assert source.uids() == [5, 4, 3, 2] and told == [4]
    store.set_flag_bits(store.folder_id("INBOX"), [4], Flag.SEEN, on=False)
    source.refresh()
    assert source.uids() == [5, 4, 3, 2]  # still the last matching's rows ...
    arrived.get(timeout=10)()
    assert source.uids() == [5, 3, 2] and told == [4, 3]  # ... until the new one is in
    assert arrived.empty()


def test_the_unified_inbox_limited_merges_every_account_by_date(tmp_path: Path) -> None:
    stores = [Store(tmp_path / f"{name}.sqlite3") for name in ("work", "home")]
    for number, store in enumerate(stores):
        store.add_summaries(
            store.ensure_folder("INBOX"),
            [row(uid, sender=("Bob" if uid % 2 else "Ann", "x@y"), when=1000 * uid + number)
             for uid in range(1, 5)],
        )  # fmt: skip
    arrived: queue.Queue[Callable[[], None]] = queue.Queue()
    said: list[int] = []
    merged = LimitedMerged(
        [
            LimitedMessages(name, store, "INBOX", parse_query("from:bob"), deliver=arrived.put)
            for name, store in zip(("work", "home"), stores, strict=True)
        ],
        on_matched=lambda: said.append(len(merged)),
    )
    for _ in range(2):
        arrived.get(timeout=10)()
    assert merged.matched and merged.total == 8
    rows = [merged.row(i) for i in range(len(merged))]
    assert [(r.ref.account, r.ref.uid) for r in rows if r] == [
        ("home", 3), ("work", 3), ("home", 1), ("work", 1),
    ]  # fmt: skip
    assert said[-1] == 4
    assert len(every_ref(merged)) == 4


def test_a_matching_that_fails_keeps_the_rows_and_says_why(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrived: queue.Queue[Callable[[], None]] = queue.Queue()
    told: list[str] = []
    source = LimitedMessages(
        "work", store, "INBOX", parse_query("from:bob"), deliver=arrived.put,
        on_matched=lambda: told.append(str(source.error)),
    )  # fmt: skip
    arrived.get(timeout=10)()
    assert source.uids() == [4, 2] and told == ["None"]

    def broken(folder_id: int, query: Query) -> list[int]:
        raise ValueError("no such thing")

    monkeypatch.setattr(store, "matching_uids", broken)
    source.refresh()
    arrived.get(timeout=10)()
    assert source.uids() == [4, 2] and told == ["None", "no such thing"]


def test_a_body_replaced_under_the_same_uid_is_never_matched_by_its_old_text(
    store: Store,
) -> None:
    """Decoded texts are kept between matchings; a UID reused (a new UIDVALIDITY, a
    rebuilt cache) must not keep the text of the message it named before."""
    folder = store.folder_id("INBOX")
    store.save_body(folder, 2, make_message(2, body="alpha centauri"))
    assert uids(store, "body:alpha") == [2]
    store.save_body(folder, 2, make_message(2, body="beta pictoris"))
    assert uids(store, "body:alpha") == []
    assert uids(store, "body:beta") == [2]
