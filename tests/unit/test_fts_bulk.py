"""A folder's first pass is indexed in bulk once the pass is complete, not queued row by
row (core/store/fts.py `index_bulk`): searches stay exactly the matcher's before, during and
after it, across changes meanwhile and an indexing cut short by a close."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.test_fts import BODIES, QUERIES, _indexed, _matcher, _query, _row, _settled
from tui_mail.core.store import fts
from tui_mail.core.store.cache import Store

SOME = [q for q in QUERIES if q in ("budget", "tickets", "from:jose is:unread", "grüße", "ab")]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "cache.sqlite3")
    yield opened
    opened.close()


def _exact(store: Store, queries: list[str] = QUERIES) -> None:
    for text in queries:
        query = _query(text)
        assert _indexed(store, query) == _matcher(store, query), text


def _count(store: Store, table: str) -> int:
    (count,) = store._read.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
    return int(count)


def _first_pass(store: Store, folder: str, uids: range, offset: int = 0) -> int:
    """A sync's first pass of `folder`, left open (not yet complete)."""
    folder_id = store.ensure_folder(folder)
    store.begin_first_pass(folder_id, 7)
    rows = [_row(uid, uid + offset, uid * 3 + offset, flags=uid % 8) for uid in uids]
    store.add_summaries(folder_id, rows[-20:])  # the newest first, as a sync does
    store.add_summaries(folder_id, rows[:-20])
    for uid, raw in zip((5, 17, 33), BODIES, strict=True):
        if uid in uids:
            store.save_body(folder_id, uid, raw)
    return folder_id


def test_a_first_pass_queues_nothing_and_is_indexed_in_bulk_once_complete(store: Store) -> None:
    inbox = _first_pass(store, "INBOX", range(1, 61))
    archive = _first_pass(store, "Archive", range(1, 61), offset=7)
    assert _count(store, "search_todo") == 0  # no row queued by the sync's inserts
    assert store.full_text.backlog() == 120
    _exact(store)  # the matcher answers for both meanwhile
    store.save_sync_state(inbox, 7, 61, None)  # INBOX's pass is complete: indexed
    deadline_store_settles_inbox(store)
    assert _count(store, "search_docs") == 60
    _exact(store)
    store.save_sync_state(archive, 7, 61, None)
    _settled(store)
    assert _count(store, "search_docs") == 120
    assert _count(store, "search_bulk") == 0
    found = store.full_text.find([inbox, archive], _query("budget"))
    assert found is not None and found != []
    _exact(store)


def deadline_store_settles_inbox(store: Store) -> None:
    """Wait until only the Archive's 60 rows wait for the index."""
    deadline = time.monotonic() + 20
    while store.full_text.backlog() > 60:
        assert time.monotonic() < deadline, "INBOX was never indexed"
        time.sleep(0.02)


def test_changes_while_indexing_in_bulk_stay_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fts, "_BULK_CHUNK", 25)
    path = tmp_path / "cache.sqlite3"
    store = Store(path)
    store._indexer.stop()  # indexing is driven by hand below
    inbox = _first_pass(store, "INBOX", range(1, 61))
    _first_pass(store, "Archive", range(1, 61), offset=7)
    for folder_id in (inbox, store.folder_id("Archive")):
        store.save_sync_state(folder_id, 7, 61, None)
    assert fts.index_bulk(store._read, store._transaction, 25) == 25  # INBOX 1-25 indexed
    _exact(store, SOME)
    # Changes below and above what the bulk indexing has reached:
    store.delete_uids(inbox, [5, 40])  # an indexed message with a body, one not yet indexed
    store.save_body(inbox, 10, BODIES[0])
    store.save_body(inbox, 50, BODIES[1])
    store.add_summaries(inbox, [_row(61, 0, 0), _row(3, 1, 5)])  # new mail; a changed row
    _exact(store)
    # A kill in the middle (this store is never closed): the next start goes on.
    again = Store(path)
    try:
        _exact(again, SOME)
        _settled(again)
        assert _count(again, "search_bulk") == 0
        assert _count(again, "search_docs") == 119
        _exact(again)
        found = again.full_text.find([again.folder_id("INBOX")], _query("tickets"))
        assert found is not None and [hit[1] for hit in found] == [10]
    finally:
        again.close()
        store.close()


def test_a_folder_forgotten_or_reset_during_its_first_pass(store: Store) -> None:
    inbox = _first_pass(store, "INBOX", range(1, 61))
    store.forget_folder("INBOX")
    assert _count(store, "search_bulk") == 0  # nothing left to mislead a new folder
    archive = _first_pass(store, "Archive", range(1, 61), offset=7)
    store.save_sync_state(archive, 7, 61, None)
    _settled(store)
    store.reset_folder(archive)  # UIDVALIDITY changed: a first pass again
    archive = _first_pass(store, "Archive", range(1, 31), offset=3)
    store.ensure_folder("INBOX")
    _exact(store)
    store.save_sync_state(archive, 7, 31, None)
    _settled(store)
    _exact(store)
    assert _count(store, "search_docs") == 30
    assert inbox  # (the id a folder had)
