"""Removals from a folder whose threads are kept: taken out of the kept links in this
session and the next (the cache records them, core/store/thread_saved.py), where that is
exact; what the user sees is always what threading the rest from scratch shows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.unit.test_thread_saved import _damage, _from_scratch, _look, _reads
from tui_mail.core.account import thread_memory
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.store import thread_saved
from tui_mail.core.store.cache import Store


@pytest.fixture(autouse=True)
def _save_every_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thread_memory, "SAVE_OVER", 1)
    monkeypatch.setattr(thread_memory, "RESAVE_AFTER", 1000)  # removals stay recorded


def _row(uid: int, refs: str = "", date: int = 0) -> SummaryRow:
    return SummaryRow(
        uid, date or 1_700_000_000 + uid * 60, "Ann", "ann@x", "", "", f"Subject {uid}",
        f"<{uid}@x>", "", refs, 100, 0, "", 0, 0,
    )  # fmt: skip


def _folder(tmp_path: Path) -> tuple[Path, int]:
    """40 messages, every fourth answering the one before it, threads kept."""
    path = tmp_path / "cache.db"
    store = Store(path)
    folder_id = store.ensure_folder("INBOX")
    store.save_sync_state(folder_id, 7, None, None)
    rows = [_row(uid, f"<{uid - 1}@x>" if uid % 4 == 0 else "") for uid in range(1, 41)]
    store.add_summaries(folder_id, rows)
    _look(store, folder_id)
    store.close()
    return path, folder_id


def _recorded(store: Store) -> list[tuple[int, int]]:
    return store._read.execute("SELECT folder_id, uid FROM thread_removed").fetchall()


def test_removals_in_this_session_and_the_next_are_taken_out_without_reading_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, folder_id = _folder(tmp_path)
    store = Store(path)
    _look(store, folder_id)
    store.delete_uids(folder_id, [8, 40, 17])  # answers, and a thread of its own
    assert sorted(uid for _folder, uid in _recorded(store)) == [8, 17, 40]
    read_above = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert read_above == []  # taken out of the kept links
    assert shown == _from_scratch(store, folder_id)
    assert "40" not in shown and "39" in shown
    store.delete_uids(folder_id, [2])
    store.close()
    store = Store(path)  # the next session reads the copy and the four removals
    read_above = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert read_above == []
    assert shown == _from_scratch(store, folder_id)
    # New mail after removals extends what is left.
    store.add_summaries(folder_id, [_row(41, "<39@x>"), _row(42)])
    read_above.clear()
    shown = _look(store, folder_id)
    assert read_above == [39]  # the highest UID kept is 39 now, 40 went
    assert shown == _from_scratch(store, folder_id)
    store.close()


def test_removing_a_message_others_answer_threads_the_folder_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, folder_id = _folder(tmp_path)
    store = Store(path)
    store.delete_uids(folder_id, [7])  # 8 answers 7
    read_above = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert read_above == [0]
    assert shown == _from_scratch(store, folder_id)
    assert _recorded(store) == []  # the new copy was written, the removals with it
    store.close()


def test_a_removal_made_up_for_by_an_older_message_is_not_missed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, folder_id = _folder(tmp_path)
    store = Store(path)
    store.delete_uids(folder_id, [12])
    store.add_summaries(folder_id, [_row(12, "<5@x>", date=1_600_000_000)])  # same count
    store.close()
    store = Store(path)
    read_above = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert read_above == [0]  # the count and highest UID agree, the removal did not
    assert shown == _from_scratch(store, folder_id)
    store.close()


@pytest.mark.parametrize(
    ("statement", "read_above"),
    [
        # a removal recorded of a message still there: the count disagrees
        ("INSERT INTO thread_removed (folder_id, uid) VALUES (1, 9)", [0]),
        # of a message never there: passed over
        ("INSERT INTO thread_removed (folder_id, uid) VALUES (1, 999)", []),
        ("INSERT INTO thread_removed (folder_id, uid) VALUES (1, -5)", []),
        # the table gone (a tool): made again, the copy dropped with it
        ("DROP TABLE thread_removed", [0]),
        ("DROP TRIGGER thread_saved_removal", [0]),
    ],
)
def test_recorded_removals_that_do_not_fit_are_never_shown_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, statement: str, read_above: list[int]
) -> None:
    path, folder_id = _folder(tmp_path)
    _damage(path, statement)
    store = Store(path)
    assert store.rebuilt is None
    reads = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert reads == read_above
    assert shown == _from_scratch(store, folder_id)
    store.close()


def test_too_many_removals_drop_the_copy(tmp_path: Path) -> None:
    path, folder_id = _folder(tmp_path)
    _damage(path, f"UPDATE thread_saved SET removed = {thread_saved.REMOVALS_KEPT}")  # noqa: S608
    store = Store(path)
    store.delete_uids(folder_id, [3])
    assert store.saved_threads.saved(folder_id) is None
    assert _recorded(store) == []
    assert store._read.execute("SELECT count(*) FROM thread_saved_data").fetchone() == (0,)
    store.close()


def test_a_uidvalidity_change_drops_the_copy_and_its_removals(tmp_path: Path) -> None:
    path, folder_id = _folder(tmp_path)
    store = Store(path)
    store.delete_uids(folder_id, [3])
    store.reset_folder(folder_id)
    assert store._read.execute("SELECT count(*) FROM thread_saved").fetchone() == (0,)
    assert _recorded(store) == []
    store.close()


@pytest.mark.parametrize("version", [4, 5])
def test_schemas_4_and_5_and_the_first_form_of_6_get_the_removals_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: int
) -> None:
    path, folder_id = _folder(tmp_path)
    db = sqlite3.connect(path)
    db.executescript(
        "DROP TRIGGER thread_saved_removal; DROP TRIGGER thread_saved_reset;"
        " DROP TABLE thread_saved; DROP TABLE thread_saved_data; DROP TABLE thread_removed;"
        f" PRAGMA user_version = {version};"
    )
    db.close()
    store = Store(path)
    assert store.rebuilt is None and store.count(folder_id) == 40
    _look(store, folder_id)
    store.delete_uids(folder_id, [40])
    assert _recorded(store) == [(folder_id, 40)]
    store.close()
    # Schema 6 as first made today: a trigger dropping the copy, no removals table.
    db = sqlite3.connect(path)
    db.executescript(
        "DROP TRIGGER thread_saved_removal; DROP TABLE thread_removed;"
        " CREATE TRIGGER thread_saved_gone AFTER DELETE ON messages BEGIN"
        " DELETE FROM thread_saved WHERE folder_id = old.folder_id; END;"
    )
    db.close()
    store = Store(path)
    assert store.saved_threads.saved(folder_id) is None  # started again
    reads = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert reads == [0]
    assert shown == _from_scratch(store, folder_id)
    store.delete_uids(folder_id, [39])
    assert _recorded(store) == [(folder_id, 39)]
    store.close()


def test_many_removals_write_the_copy_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thread_memory, "RESAVE_AFTER", 3)
    path, folder_id = _folder(tmp_path)
    store = Store(path)
    store.delete_uids(folder_id, [2, 6])  # answered by none: taken out
    _look(store, folder_id)
    assert store.saved_threads.saved(folder_id) == thread_saved.Saved(40, 40)  # 2 < 3
    store.delete_uids(folder_id, [10])
    _look(store, folder_id)
    assert store.saved_threads.saved(folder_id) == thread_saved.Saved(37, 40)
    assert _recorded(store) == []
    store.close()
    store = Store(path)
    read_above = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert read_above == []
    assert shown == _from_scratch(store, folder_id)
    store.close()


def test_a_removal_lays_out_only_the_threads_it_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, folder_id = _folder(tmp_path)
    store = Store(path)
    _look(store, folder_id)

    def everything(*_args: object) -> None:
        raise AssertionError("laid everything out")

    monkeypatch.setattr(thread_memory, "lay_out_indexed", everything)
    store.delete_uids(folder_id, [40, 21])  # 40 was the newest of its thread, with 39
    shown = _look(store, folder_id)
    assert shown == _from_scratch(store, folder_id)
    assert shown[:2] == ["39", "38"]
    store.close()
