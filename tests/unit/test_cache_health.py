"""What SQLite and the OS report about a cache file, turned into sentences (real SQLite
errors on real files; no server)."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from tui_mail.core.models import Flag
from tui_mail.core.store import health as cache_health
from tui_mail.core.store.cache import Store
from tui_mail.core.store.health import CacheDamaged, CacheReadOnly, DiskFull
from tui_mail.core.store.pending import PendingAction
from tui_mail.core.store.pending_queue import PendingQueue, move_from_cache


def sqlite_error(path: Path, sql: str, *, uri: bool = False) -> sqlite3.Error:
    db = sqlite3.connect(path, uri=uri)
    try:
        db.execute(sql).fetchall()
    except sqlite3.Error as error:
        return error
    finally:
        db.close()
    raise AssertionError("no error")


def test_damage_and_read_only_are_told_apart(tmp_path: Path) -> None:
    text = tmp_path / "text.sqlite3"
    text.write_text("not a database\n")
    damaged = cache_health.describe(sqlite_error(text, "SELECT 1 FROM sqlite_master"), text)
    assert isinstance(damaged, CacheDamaged)
    assert "set aside and rebuilt from the server" in str(damaged)

    good = tmp_path / "good.sqlite3"
    sqlite3.connect(good).execute("CREATE TABLE t (x)").connection.close()
    read_only = cache_health.describe(
        sqlite_error(Path(f"file:{good}?mode=ro"), "INSERT INTO t VALUES (1)", uri=True), good
    )
    assert isinstance(read_only, CacheReadOnly) and read_only.exit_code == 2
    assert "nothing was deleted" in str(read_only)


def test_os_errors_of_a_disk_are_sentences_and_others_are_not() -> None:
    full = OSError(errno.ENOSPC, "No space left on device", "/data/outbox/x")
    assert isinstance(cache_health.describe(full, Path("/data/cache/c.sqlite3")), DiskFull)
    sentence = cache_health.file_problem(full)
    assert sentence is not None and "/data/outbox/x" in sentence and "disk is full" in sentence
    assert cache_health.file_problem(ConnectionResetError(errno.ECONNRESET, "reset")) is None
    assert cache_health.file_problem(ValueError("a bug")) is None


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", None),
        (b"SQLite format 3\x00" + b"\x00" * 20, "the file is truncated"),
        (b"\x89PNG" + b"\x00" * 200, "the file is not a SQLite database"),
    ],
)
def test_header_problems(tmp_path: Path, content: bytes, problem: str | None) -> None:
    path = tmp_path / "c.sqlite3"
    path.write_bytes(content)
    assert cache_health.header_problem(path) == problem


def test_a_truncated_database_is_seen_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.executemany("INSERT INTO t VALUES (?)", [("x" * 500,) for _ in range(100)])
    db.commit()
    db.close()
    assert cache_health.header_problem(path) is None
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)
    assert cache_health.header_problem(path) == "the file is truncated"


def test_set_aside_keeps_the_file_and_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"main")
    Path(f"{path}-wal").write_bytes(b"wal")
    moved = cache_health.set_aside(path)
    assert moved.name.startswith("c.sqlite3.damaged-")
    assert moved.read_bytes() == b"main"
    assert Path(f"{moved}-wal").read_bytes() == b"wal"
    assert not path.exists() and not Path(f"{path}-wal").exists()


def test_queue_keeps_order_and_is_created_only_when_used(tmp_path: Path) -> None:
    queue = PendingQueue(tmp_path / "queue" / "q.sqlite3")
    assert queue.count() == 0 and queue.actions() == []
    assert not (tmp_path / "queue").exists()
    first = queue.add(PendingAction("flag", "INBOX", (1,), flag=Flag.SEEN))
    queue.add(PendingAction("move", "INBOX", (2,), destination="Archive"))
    assert [a.kind for a in queue.actions()] == ["flag", "move"]
    queue.remove(first)
    assert [a.destination for a in queue.actions()] == ["Archive"]
    queue.close()


def test_rebuilding_the_cache_does_not_touch_the_queue(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache" / "c.sqlite3", tmp_path / "queue" / "c.sqlite3")
    store.queue.add(PendingAction("expunge", "INBOX", (7,)))
    store.ensure_folder("INBOX")
    store.rebuild()
    assert store.rebuilt is not None and store.rebuilt.moved_to.exists()
    assert store.queue.count() == 1
    store.close()


def test_old_layout_queue_rows_move_out(tmp_path: Path) -> None:
    cache = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    cache.execute("CREATE TABLE pending_actions (id INTEGER PRIMARY KEY, action TEXT)")
    cache.execute(
        "INSERT INTO pending_actions (action) VALUES (?)",
        ('{"kind": "flag", "folder": "INBOX", "uids": [3], "flag": "\\\\Seen", "on": true,'
         ' "destination": "", "message_ids": []}',),
    )  # fmt: skip
    queue = PendingQueue(tmp_path / "q.sqlite3")
    assert move_from_cache(cache, queue) == 1
    assert [(a.uids, a.flag) for a in queue.actions()] == [((3,), Flag.SEEN)]
    assert move_from_cache(cache, queue) == 0  # the table is gone
    queue.close()
    cache.close()


def _latest_wal_frame(wal: bytes, page_size: int, page: int) -> bytes:
    """The newest copy of `page` in a WAL file (32-byte header, then frames of a 24-byte
    header and one page): what a checkpoint writes back into the database file."""
    found = b""
    for start in range(32, len(wal) - 24 - page_size + 1, 24 + page_size):
        if int.from_bytes(wal[start : start + 4], "big") == page:
            found = wal[start + 24 : start + 24 + page_size]
    return found


def test_a_crash_in_the_middle_of_a_checkpoint_is_not_damage(tmp_path: Path) -> None:
    """A checkpoint writes page 1 (the header, with the new page count) before the pages
    that make the file longer: killed in between, the file is shorter than its header
    says, and the WAL beside it still holds every page. SQLite recovers it; the cache
    must not be set aside for it (it was, once, on a million-message cache)."""
    path = tmp_path / "cache.sqlite3"
    store = Store(path)
    inbox = store.ensure_folder("INBOX")
    store.close()
    live = sqlite3.connect(path)
    live.execute("PRAGMA wal_autocheckpoint = 0")
    live.execute("CREATE TABLE filler (x)")
    live.executemany("INSERT INTO filler VALUES (?)", [("x" * 900,) for _ in range(400)])
    live.commit()
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    wal = Path(f"{path}-wal").read_bytes()
    (page_size,) = live.execute("PRAGMA page_size").fetchone()
    main = bytearray(path.read_bytes())
    header = _latest_wal_frame(wal, page_size, 1)
    assert header and int.from_bytes(header[28:32], "big") * page_size > len(main)
    main[:page_size] = header  # the checkpoint's first write, and nothing after it
    (crashed / "cache.sqlite3").write_bytes(bytes(main))
    (crashed / "cache.sqlite3-wal").write_bytes(wal)
    live.close()
    assert cache_health.header_problem(crashed / "cache.sqlite3") is None
    reopened = Store(crashed / "cache.sqlite3")
    try:
        assert reopened.rebuilt is None
        assert reopened.folder_id("INBOX") == inbox
        (rows,) = reopened._read.execute("SELECT count(*) FROM filler").fetchone()
        assert rows == 400
    finally:
        reopened.close()
