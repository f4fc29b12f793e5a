"""The full-text index (core/store/fts.py): what CacheView.find answers is what the matcher
answers, on every path (indexed, queued, lost, damaged), and the index follows every
change of the cache."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import make_message
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.errors import UsageError
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.models import Flag
from tui_mail.core.query import Query, Text, matcher, parse_query
from tui_mail.core.store import fts
from tui_mail.core.store.cache import Store
from tui_mail.core.store.matching import HAS_BODY, CachedMessage

DAY = 86_400
PEOPLE = [
    ("Ann Example", "ann@example.org"),
    ("José Álvarez", "jose@example.es"),
    ("", "bare@example.net"),
    ("Jörg Müller", "joerg@example.de"),
    ("ŁUKASZ WIŚNIEWSKI", "lukasz@example.pl"),
    ("Straße Team", "strasse@example.de"),
]
SUBJECTS = [
    "Budget 2024 review",
    "Re: budget (draft)",
    "GRÜSSE aus Köln",
    "Grüße zurück",
    'He said "NEAR" -and- *stars*',
    "Café tomorrow?",
    "İstanbul trip",
    "a AND b OR c NOT d",
    "ΣΊΣΥΦΟΣ odyssey",
    "",
]
QUERIES = [
    "budget", "budg", "dget", "BUDGET", "b", "bu", "re:", "2024",
    "grüße", "GRÜSSE", "grusse", "köln", "strasse", "straße", "josé", "JOSÉ", "álvarez",
    "łukasz", "wiśniewski", "σίσυφος", "ς", "istanbul", "i̇stanbul",
    "from:ann", "from:<ann", "from:example.org>", 'from:"ann example <ann@"', "from:bare",
    "to:me@example", "cc:carol", "subject:budget", 'subject:"budget 2024"', "subject:café",
    "body:tickets", "body:invoice", "tickets", "invoice attached", '"see you"',
    "is:unread", "is:flagged budget", "is:read from:jose", "is:answered",
    "re is:unread", "subject:bu is:flagged", "is:read ü", "since:2024-01-05 ab",
    "since:2024-01-05", "before:2024-01-03 budget", "since:2024-01-02 before:2024-01-06",
    '"NEAR"', "NEAR", "near", "*", "*stars*", "-and-", "-", '"', '\\"', "AND", "OR", "NOT",
    "a AND", "(", ")", "{x}", "^", ":", "example.org", "ann@example.org", "@", "<", ">",
    '"he said"', '"said \\"near"', "zzzz", '""', "ab", "odyssey",
]  # fmt: skip


def _query(text: str) -> Query:
    """The query as parsed, or, where the syntax refuses it, its text as one word (so
    quotes and the like reach the index as they are)."""
    try:
        return parse_query(text)
    except UsageError:
        return Query.of(Text(text))


def _row(uid: int, person: int, subject: int, *, flags: int = 0, when: int = 0) -> SummaryRow:
    name, addr = PEOPLE[person % len(PEOPLE)]
    cc = "Carol <carol@example.org>" if uid % 3 == 0 else ""
    return SummaryRow(
        uid, when or 1704067200 + uid * DAY // 3, name, addr, "Me <me@example.com>", cc,
        SUBJECTS[subject % len(SUBJECTS)], f"<{uid}@x>", "", "", 100, flags, "", 0, 0,
    )  # fmt: skip


BODIES = [
    make_message(0, body="Tickets are booked. See you in KÖLN!"),
    make_message(1, body="The invoice is attached; Grüße, Jörg"),
    make_message(2, subject="Straße", body="ΣΊΣΥΦΟΣ rolls the stone"),
]


def _settled(store: Store) -> None:
    deadline = time.monotonic() + 20
    while store.full_text.backlog():
        assert time.monotonic() < deadline, "the index never caught up"
        time.sleep(0.02)


def _fill(store: Store) -> None:
    for folder, offset in (("INBOX", 0), ("Archive", 7)):
        folder_id = store.ensure_folder(folder)
        rows = [
            _row(uid, uid + offset, uid * 3 + offset, flags=(uid + offset) % 8)
            for uid in range(1, 61)
        ]
        store.add_summaries(folder_id, rows)
        for uid, raw in zip((5, 17, 33), BODIES, strict=True):
            store.save_body(folder_id, uid + offset % 3, raw)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "cache.sqlite3")
    yield opened
    opened.close()


def _matcher(store: Store, query: Query) -> list[tuple[str, int, int]]:
    """What `query.matcher` says of every cached message (as core/store/matching.py shows
    it to the matcher), folder by folder."""
    test = matcher(query)
    found = []
    for folder in ("Archive", "INBOX"):
        folder_id = store.folder_id(folder)
        (rows,) = store._read.execute(
            "SELECT json_group_array(json_array(uid, date, flags, from_name, from_addr,"  # noqa: S608
            " to_addrs, cc_addrs, subject, message_id, "
            f"{HAS_BODY})) FROM messages m WHERE folder_id = ?",
            (folder_id,),
        ).fetchone()
        for row in json.loads(rows):
            if test(CachedMessage(store._read, folder_id, row)):
                found.append((folder, row[0], row[1]))
    return sorted(found, key=lambda hit: (-hit[2], -hit[1], hit[0]))


def _indexed(store: Store, query: Query) -> list[tuple[str, int, int]]:
    hits = CacheView("a", store).find(query)
    assert hits == sorted(hits, key=lambda hit: (-hit[2], -hit[1]))  # newest first
    return sorted(hits, key=lambda hit: (-hit[2], -hit[1], hit[0]))


def test_the_index_finds_what_the_matcher_finds(store: Store) -> None:
    _fill(store)
    _settled(store)
    assert store.full_text.find([store.folder_id("INBOX")], parse_query("budget")) is not None
    some = 0
    for text in QUERIES:
        query = _query(text)
        expected = _matcher(store, query)
        assert _indexed(store, query) == expected, text
        some += bool(expected)
    assert some > len(QUERIES) // 2  # the queries do find things


def test_queued_changes_are_matched_until_indexed(store: Store) -> None:
    store._indexer.stop()  # nothing is indexed: every message waits in the queue
    _fill(store)
    assert store.full_text.backlog() > 0
    for text in QUERIES:
        query = _query(text)
        assert _indexed(store, query) == _matcher(store, query), text


def test_prefix_case_and_letters_beyond_ascii(store: Store) -> None:
    _fill(store)
    _settled(store)
    cache = CacheView("a", store)

    def subjects(text: str) -> set[str]:
        hits = cache.find(parse_query(text), ["INBOX"])
        summaries = store.summaries(store.folder_id("INBOX"), uids=[hit[1] for hit in hits])
        return {summary.subject for summary in summaries}

    assert subjects("budg") == {"Budget 2024 review", "Re: budget (draft)"}
    assert "GRÜSSE aus Köln" in subjects("grüße")  # ß folds to ss, Ü to ü
    assert "Grüße zurück" in subjects("GRÜSSE")
    assert subjects("subject:σίσυφος") == {"ΣΊΣΥΦΟΣ odyssey"}  # a final sigma folds too
    assert subjects('"NEAR" -and-') == {'He said "NEAR" -and- *stars*'}


def test_the_index_follows_every_change(store: Store) -> None:
    inbox, archive = store.ensure_folder("INBOX"), store.ensure_folder("Archive")
    cache = CacheView("a", store)

    def found(text: str, folders: list[str] | None = None) -> list[tuple[str, int]]:
        _settled(store)
        return [(folder, uid) for folder, uid, _ in cache.find(parse_query(text), folders)]

    store.add_summaries(inbox, [_row(1, 0, 0), _row(2, 1, 5)])
    assert found("budget") == [("INBOX", 1)]
    store.add_summaries(inbox, [_row(1, 0, 5)])  # the same UID, another summary
    assert found("budget") == []
    assert found("café") == [("INBOX", 2), ("INBOX", 1)]
    store.save_body(inbox, 2, BODIES[0])
    assert found("tickets") == [("INBOX", 2)]
    assert found("body:köln") == [("INBOX", 2)]
    store.delete_uids(inbox, [2])  # expunged
    assert found("tickets") == []
    store.add_summaries(archive, [_row(9, 1, 5)])  # a move: gone from one, in the other
    store.delete_uids(inbox, [1])
    assert found("café") == [("Archive", 9)]
    assert found("café", ["INBOX"]) == []
    store.add_summaries(inbox, [_row(3, 0, 0)])
    store.reset_folder(inbox)  # UIDVALIDITY changed
    assert found("budget") == []
    store.forget_folder("Archive")
    assert found("café") == []
    rows = store._read.execute("SELECT count(*) FROM search_docs").fetchone()
    assert rows == (0,)  # nothing left behind in the index either


def test_uncached_bodies_counts_messages_without_a_body(store: Store) -> None:
    _fill(store)
    cache = CacheView("a", store)
    assert cache.uncached_bodies(["INBOX"]) == 57
    assert cache.uncached_bodies() == 114
    assert cache.uncached_bodies(["Nowhere"]) == 0


def _reopen(path: Path, change: str) -> Store:
    db = sqlite3.connect(path)
    db.executescript(change)
    db.close()
    return Store(path)


@pytest.mark.parametrize(
    "change",
    [
        "DROP TABLE search_index;",  # lost
        "DROP TABLE search_docs; DROP TRIGGER search_body_added;",
        # a cache of schema 3, from before the index: every message is indexed at first open
        "DROP TABLE search_index; DROP TABLE search_docs; DROP TABLE search_todo;"
        " PRAGMA user_version = 3;",
    ],
)
def test_a_lost_index_is_built_again_from_the_cache(tmp_path: Path, change: str) -> None:
    path = tmp_path / "cache.sqlite3"
    first = Store(path)
    _fill(first)
    first.save_sync_state(first.folder_id("INBOX"), 7, 61, None)  # synced: rebuilt in bulk
    _settled(first)
    first.close()
    store = _reopen(path, change)
    try:
        assert store.rebuilt is None
        bulk = store._read.execute("SELECT folder_id FROM search_bulk").fetchall()
        queued = store._read.execute("SELECT DISTINCT folder_id FROM search_todo").fetchall()
        # The indexer waits a second after an open: each folder's way is still to be seen.
        assert bulk == [(store.folder_id("INBOX"),)]
        assert queued == [(store.folder_id("Archive"),)]
        query = parse_query("tickets")
        assert _indexed(store, query) == _matcher(store, query) != []  # exact meanwhile too
        _settled(store)
        (docs,) = store._read.execute("SELECT count(*) FROM search_docs").fetchone()
        assert docs == 120
        for text in ("tickets", "budget", "from:jose is:unread"):
            query = parse_query(text)
            assert _indexed(store, query) == _matcher(store, query), text
    finally:
        store.close()


def test_a_damaged_index_is_dropped_and_built_again_not_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    store = Store(path)
    try:
        _fill(store)
        _settled(store)
        db = sqlite3.connect(path)
        db.execute("UPDATE search_index_data SET block = x'0badc0de0badc0de' WHERE id > 1")
        db.commit()
        db.close()
        query = parse_query("budget")
        expected = _matcher(store, query)
        assert _indexed(store, query) == expected  # the matcher answers meanwhile
        _settled(store)
        assert _indexed(store, query) == expected
        assert (
            store.full_text.find([store.folder_id("INBOX")], query) is not None
        )  # the index again
        # Met by the index's own writes (a sync adds mail) rather than a search:
        db = sqlite3.connect(path)
        db.execute("UPDATE search_index_data SET block = x'0badc0de0badc0de' WHERE id > 1")
        db.commit()
        db.close()
        store.add_summaries(store.folder_id("INBOX"), [_row(99, 0, 0)])
        store.delete_uids(store.folder_id("INBOX"), [1, 2, 3])
        _settled(store)
        assert _indexed(store, query) == _matcher(store, query)
        assert store.full_text.find([store.folder_id("INBOX")], query) is not None
        assert store.rebuilt is None  # the cache itself was kept
        assert len(store.summaries(store.folder_id("INBOX"))) == 58
    finally:
        store.close()


def test_flags_change_without_touching_the_index(store: Store) -> None:
    inbox = store.ensure_folder("INBOX")
    store.add_summaries(inbox, [_row(1, 0, 0), _row(2, 0, 1)])
    _settled(store)
    store.set_flag_bits(inbox, [2], Flag.FLAGGED, on=True)
    assert store.full_text.backlog() == 0
    hits = CacheView("a", store).find(parse_query("budget is:flagged"))
    assert [uid for _folder, uid, _date in hits] == [2]


def test_closing_does_not_wait_for_the_index_s_turn(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The indexer waits for a quiet moment after every write; closing the store right
    after one (every `tui-mail sync` does) must not wait with it."""
    monkeypatch.setattr(fts, "QUIET", 5.0)
    monkeypatch.setattr(fts, "_MAX_WAIT", 10.0)
    store.add_summaries(store.ensure_folder("INBOX"), [_row(1, 0, 0)])
    time.sleep(0.05)  # the indexer is waiting for its turn
    started = time.monotonic()
    store.close()
    assert time.monotonic() - started < 1.0
