"""The cache's open-time check is skipped for a file exactly as a clean close left it after
a passed check (core/store/check_memo.py), and only then: damage written after the close,
even at once, a close that did not happen, a check cut short or a day gone by check again."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.store import check_memo, health
from tui_mail.core.store.cache import Store


def _row(uid: int) -> SummaryRow:
    subject = f"subject {uid} " + "x" * 80
    return SummaryRow(uid, 1_700_000_000 + uid, f"Name {uid}", f"u{uid}@x.org", "", "",
                      subject, f"<m{uid}@x>", "", "", 10, 1, "", 0, 0)  # fmt: skip


def _filled(path: Path) -> Path:
    store = Store(path)
    store.add_summaries(store.ensure_folder("INBOX"), [_row(uid) for uid in range(1, 400)])
    store.folders()  # the check's verdict taken
    store.close()
    return path


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the open-time check ran on."""
    ran: list[Path] = []
    original = health.DeepCheck._run

    def counted(self: health.DeepCheck) -> None:
        ran.append(self._path)
        original(self)

    monkeypatch.setattr(health.DeepCheck, "_run", counted)
    return ran


def _damage_a_middle_page(path: Path) -> None:
    """Scribble over a leaf page of the messages table, the file's size unchanged."""
    db = sqlite3.connect(path)
    (page_size,) = db.execute("PRAGMA page_size").fetchone()
    leaves = [row[0] for row in db.execute(
        "SELECT pageno FROM dbstat WHERE name = 'messages' AND pagetype = 'leaf'")]  # fmt: skip
    db.close()
    with path.open("r+b") as file:
        file.seek((leaves[len(leaves) // 2] - 1) * page_size)
        file.write(b"\xa5" * page_size)


def test_a_file_left_as_it_was_is_not_checked_again(tmp_path: Path, checks: list[Path]) -> None:
    path = _filled(tmp_path / "c.sqlite3")
    assert checks == [path]
    store = Store(path)
    assert len(store.summaries(store.folder_id("INBOX"))) == 399
    store.add_summaries(store.folder_id("INBOX"), [_row(500)])  # a re-sync's write
    store.close()
    again = Store(path)
    assert len(again.summaries(again.folder_id("INBOX"))) == 400
    again.close()
    assert checks == [path]  # once, for three opens


def test_damage_written_right_after_a_close_is_found(tmp_path: Path, checks: list[Path]) -> None:
    path = _filled(tmp_path / "c.sqlite3")
    size = path.stat().st_size
    assert check_memo.trusted(path) is not None
    _damage_a_middle_page(path)  # within the same tick of the file clock, most likely
    assert path.stat().st_size == size
    assert check_memo.trusted(path) is None
    store = Store(path)
    try:
        store.folders()
        assert store.rebuilt is not None
        assert len(checks) == 3  # before, after the damage, of the rebuilt cache
    finally:
        store.close()


def test_a_leftover_wal_a_stale_memo_or_a_cut_short_check_mean_a_check(
    tmp_path: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _filled(tmp_path / "c.sqlite3")
    wal = path.with_name(path.name + "-wal")
    wal.write_bytes(b"\0" * 32)  # a crash left it (SQLite ignores a WAL it cannot use)
    Store(path).close()
    assert len(checks) == 2
    monkeypatch.setattr(check_memo, "FRESH_FOR", 0.0)  # a day later
    Store(path).close()
    assert len(checks) == 3
    monkeypatch.undo()
    check_memo.forget(path)
    monkeypatch.setattr(health.DeepCheck, "_run", lambda self: time.sleep(0.2))
    Store(path).close()  # closed before its check ended: no memo
    assert not check_memo.memo_path(path).exists()


def test_a_write_in_the_same_tick_as_the_close_is_seen(tmp_path: Path) -> None:
    """File times move in ticks of a few ms: a write right after the memo (same size, same
    tick) must not look like the file tui-mail left."""
    path = tmp_path / "c.sqlite3"
    for _ in range(20):
        path.write_bytes(b"a" * 8192)
        check_memo.remember(path, time.time())
        assert check_memo.trusted(path) is not None
        with path.open("r+b") as file:
            file.seek(4096)
            file.write(b"b")
        assert check_memo.trusted(path) is None
