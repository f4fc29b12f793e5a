"""A folder's counts and flag searches from partial indexes (core/store/flag_counts.py):
the counts equal a full count of the rows after every kind of write, an older cache gets
the indexes without losing its rows or its full-text index, and a count or a flag query
with no word reads the index that holds only those messages."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.models import Flag
from tui_mail.core.query import parse_query
from tui_mail.core.store import flag_counts, matching
from tui_mail.core.store.cache import Store
from tui_mail.core.store.schema import SCHEMA_VERSION


def _row(uid: int, flags: int) -> SummaryRow:
    return SummaryRow(uid, 1_700_000_000 + uid * 600, "Ann", "ann@example.org", "me@x", "",
                      f"subject {uid}", f"<{uid}@x>", "", "", 100, flags, "", 0, 0)  # fmt: skip


def _counted(store: Store, folder_id: int) -> tuple[int, int]:
    """(total, unseen) as a full count of the rows finds them."""
    db = sqlite3.connect(store.path)
    total, unseen = db.execute(
        "SELECT count(*), coalesce(sum((flags & 1) = 0), 0) FROM messages WHERE folder_id = ?",
        (folder_id,),
    ).fetchone()
    db.close()
    return int(total), int(unseen)


def _exact(store: Store, *folder_ids: int) -> None:
    for folder_id in folder_ids:
        assert store.counts(folder_id) == _counted(store, folder_id)


def test_counts_stay_exact_through_every_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.sqlite3")
    inbox, other = store.ensure_folder("INBOX"), store.ensure_folder("Other")
    rng = random.Random(17)
    store.add_summaries(inbox, [_row(uid, rng.choice([0, 1, 5])) for uid in range(1, 301)])
    store.add_summaries(other, [_row(uid, 0) for uid in range(1, 41)])
    assert store.counts(other) == (40, 40)
    _exact(store, inbox)
    # Fetched again (a sync that met a message twice): replaced, not counted twice.
    store.add_summaries(inbox, [_row(uid, 1 - uid % 2) for uid in range(250, 351)])
    _exact(store, inbox)
    assert store.counts(inbox)[0] == 350
    changes = [(uid, rng.choice([0, 1, 4, 5]), "", 9) for uid in range(1, 351, 3)]
    store.update_flags(inbox, changes)
    _exact(store, inbox)
    store.set_flag_bits(inbox, range(1, 100), Flag.SEEN, on=True)
    store.set_flag_bits(inbox, range(50, 150), Flag.SEEN, on=False)
    store.set_flag_bits(inbox, range(1, 351), Flag.FLAGGED, on=True)  # unseen untouched
    _exact(store, inbox)
    store.delete_uids(inbox, [*range(10, 60), 9999])  # an expunge, one UID never cached
    _exact(store, inbox)
    assert store.counts(other) == (40, 40)
    store.begin_first_pass(inbox, 7)  # a first pass with no earlier one: rows go
    assert store.counts(inbox) == (0, 0)
    store.add_summaries(inbox, [_row(uid, uid % 2) for uid in range(1, 11)])
    assert store.counts(inbox) == (10, 5)
    store.reset_folder(inbox)  # UIDVALIDITY changed
    assert store.counts(inbox) == (0, 0)
    assert store.counts(other) == (40, 40)
    store.forget_folder("Other")
    again = store.ensure_folder("Other")
    assert store.counts(again) == (0, 0)
    store.close()


def _as_schema_4(path: Path) -> None:
    """Take a cache back to what schema 4 left: no flag indexes."""
    db = sqlite3.connect(path)
    db.executescript(
        "DROP INDEX messages_unseen; DROP INDEX messages_flagged; PRAGMA user_version = 4;"
    )
    db.close()


def _indexes(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    db.close()
    return names


def _settled(store: Store) -> None:
    for _ in range(200):
        if store.full_text.backlog() == 0:
            return
        store._indexer.nudge()
        time.sleep(0.05)
    raise AssertionError("the index did not catch up")


def test_a_schema_4_cache_is_counted_and_keeps_its_rows_and_index(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    store = Store(path)
    inbox = store.ensure_folder("INBOX")
    store.add_summaries(inbox, [_row(uid, uid % 3 == 0) for uid in range(1, 121)])
    _settled(store)
    store.close()
    _as_schema_4(path)

    store = Store(path)
    try:
        assert store.rebuilt is None
        assert store.counts(inbox) == (120, 80)
        assert store.full_text.backlog() == 0  # the index was kept, not queued again
        assert store.full_text.find([inbox], parse_query("subject:117")) == [
            (inbox, 117, 1_700_000_000 + 117 * 600)
        ]
        (version,) = store._read.execute("PRAGMA user_version").fetchone()
        assert version == SCHEMA_VERSION == 6
        assert {"messages_unseen", "messages_flagged"} <= _indexes(path)
        store.set_flag_bits(inbox, [3, 6], Flag.SEEN, on=False)
        assert store.counts(inbox) == (120, 82)
    finally:
        store.close()


def test_a_lost_index_is_made_again_at_open(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    store = Store(path)
    inbox = store.ensure_folder("INBOX")
    store.add_summaries(inbox, [_row(uid, uid % 2) for uid in range(1, 11)])
    store.close()
    db = sqlite3.connect(path)
    db.executescript("DROP INDEX messages_flagged;")
    db.close()
    store = Store(path)
    try:
        assert "messages_flagged" in _indexes(path)
        assert store.counts(inbox) == (10, 5)
    finally:
        store.close()


SINCE = date(2023, 11, 20)


@pytest.mark.parametrize(
    ("text", "index", "wanted"),
    [
        ("is:flagged", "messages_flagged", lambda r: r.flags & Flag.FLAGGED),
        ("is:unread", "messages_unseen", lambda r: not r.flags & Flag.SEEN),
        (
            f"is:flagged since:{SINCE}",
            "messages_flagged",
            lambda r: r.flags & Flag.FLAGGED and date.fromtimestamp(r.date) >= SINCE,
        ),
    ],
)
def test_a_flag_query_with_no_word_reads_its_partial_index(
    tmp_path: Path, text: str, index: str, wanted: Callable[[SummaryRow], bool]
) -> None:
    """What the query finds is right, and SQLite reads the index that holds only those
    messages: the SQL must hold the index's condition exactly as the index writes it."""
    store = Store(tmp_path / "c.sqlite3")
    try:
        inbox = store.ensure_folder("INBOX")
        rng = random.Random(5)
        rows = [_row(uid, rng.choice([0, 1, 5, 4])) for uid in range(1, 2001)]
        store.add_summaries(inbox, rows)
        newest_first = sorted(rows, key=lambda r: (r.date, r.uid), reverse=True)
        expected = [r.uid for r in newest_first if wanted(r)]
        assert 0 < len(expected) < len(rows)
        query = parse_query(text)
        found = store.full_text.find([inbox], query)
        assert found is not None
        assert [uid for _folder, uid, _date in found] == expected
        assert store.matching_uids(inbox, query) == expected
        clauses = [matching.clause(term) for term in query.terms]
        where = " AND ".join(["m.folder_id IN (?)", *(f"({c.sql})" for c in clauses)])
        plan = store._read.execute(
            f"EXPLAIN QUERY PLAN SELECT m.uid FROM messages m WHERE {where}"  # noqa: S608
            " ORDER BY m.date DESC, m.uid DESC",
            [inbox, *(p for c in clauses for p in c.params)],
        ).fetchall()
        assert any(f"COVERING INDEX {index}" in str(step) for step in plan), plan
        counting = store._read.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM messages WHERE folder_id = ?"  # noqa: S608
            f" AND {flag_counts.FLAG_SQL[Flag.SEEN, False].format(t='')}",
            [inbox],
        ).fetchall()
        assert any("COVERING INDEX messages_unseen" in str(step) for step in counting)
    finally:
        store.close()
