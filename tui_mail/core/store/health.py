"""Opening the cache safely, and turning what a disk or a file can do to it into sentences.

The cache is a copy of the server's data, so a damaged one is set aside (renamed to
`<name>.damaged-<timestamp>`, never deleted: it is the user's file) and rebuilt from the
server. What is not a copy (the offline queue, the outbox, drafts, UI state) lives in other
files, so rebuilding cannot lose it.

Damage is looked for when the cache is opened (the file header, then SQLite's
`quick_check` of the folder and message tables: about 50 ms for 100,000 messages; the
bodies are not read, a damaged body page is found when it is read; skipped while the
file is exactly as a clean close left it after a passed check: check_memo.py) and recognised
whenever SQLite reports it later (SQLITE_CORRUPT, SQLITE_NOTADB). A full disk, a
read-only file or folder and other I/O failures become errors that say what happened and
what to do, and never cost the user a file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_mail.config.private import private_dir, private_sqlite
from tui_mail.core.errors import CacheDamaged, CacheError, CacheReadOnly, DiskFull
from tui_mail.core.store import check_memo

_MAGIC = b"SQLite format 3\x00"
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_CHECKED_TABLES = ("folders", "messages")

# The cache's errors live in core/errors.py (a UI catches them without importing the
# store); named here too because the store's callers have always found them here.
__all__ = ["CacheDamaged", "CacheError", "CacheReadOnly", "DiskFull"]


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """A damaged cache was set aside at `moved_to`; `reason` says what was wrong."""

    moved_to: Path
    reason: str

    def sentence(self) -> str:
        return (
            f"The cache was damaged ({self.reason}); it was set aside as {self.moved_to.name} "
            "and is being rebuilt from the server. Actions queued offline are kept."
        )


def is_damage(error: BaseException) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _DAMAGE_CODES
    text = str(error)
    return "malformed" in text or "not a database" in text


def describe(error: BaseException, path: Path) -> CacheError:
    """A sentence for a failure of SQLite or the OS on the cache at `path`."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    os_errno = error.errno if isinstance(error, OSError) else None
    if primary == sqlite3.SQLITE_FULL or os_errno in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(path)
    if primary == sqlite3.SQLITE_IOERR and no_room(path):
        # Growing the -shm file (at every open of a WAL database) fails as a mere
        # SQLITE_IOERR_SHMSIZE, "disk I/O error", when the disk is full.
        return disk_full(path)
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM) or os_errno in (
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
    ):
        return CacheReadOnly(
            f"The cache {path} (or its folder) cannot be written: {_reason(error)}. "
            "Make it writable, or point TUI_MAIL_DATA_DIR at a writable folder; "
            "nothing was deleted."
        )
    if is_damage(error):
        return CacheDamaged(
            f"The cache {path} is damaged ({_reason(error)}); it is set aside and rebuilt "
            "from the server (if a command stopped on this, run it again)."
        )
    return CacheError(
        f"The cache {path} could not be used: {_reason(error)}. Check the disk and the "
        "file's permissions, then try again."
    )


def no_room(path: Path) -> bool:
    """Whether the disk holding `path` has no free block left (for this user)."""
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False


def disk_full(path: Path) -> DiskFull:
    what = "the offline queue" if path.parent.name == "queue" else "the cache"
    return DiskFull(
        f"The disk holding {path.parent} is full, so {what} could not be written. "
        "Nothing in it was lost; free some space and try again."
    )


_FILE_ERRNOS = {
    errno.ENOSPC: "the disk is full; free some space and try again",
    errno.EDQUOT: "the disk quota is used up; free some space and try again",
    errno.EROFS: "the file system is read-only; make it writable or use another folder",
    errno.EACCES: "permission denied; check the file's and its folder's permissions",
    errno.EPERM: "permission denied; check the file's and its folder's permissions",
    errno.EIO: "the disk reported an I/O error; check the disk",
}


def file_problem(error: BaseException) -> str | None:
    """A sentence for a disk or file failure that reached the top unexplained (None when
    it is something else, a real internal error)."""
    if isinstance(error, sqlite3.Error):  # a database opened without a CacheConnection
        if isinstance(describe(error, Path()), DiskFull):
            advice = "the disk is full; free some space and try again"
        elif is_damage(error):
            advice = "it is damaged; TUI_MAIL_DEBUG=1 shows which file, to move aside"
        else:
            advice = "check the disk and the permissions of the data directory"
        return f"A local database of tui-mail could not be used ({_reason(error)}): {advice}."
    if isinstance(error, OSError) and error.errno in _FILE_ERRNOS:
        where = f" ({error.filename})" if error.filename else ""
        return f"A file could not be written or read{where}: {_FILE_ERRNOS[error.errno]}."
    return None


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


class _CacheCursor(sqlite3.Cursor):
    """Rows stepped after the first can meet damage too: translated like execute's."""

    def _translate(self, error: sqlite3.Error) -> CacheError:
        connection: CacheConnection = self.connection  # type: ignore[assignment]
        return connection._translate(error)

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.Error as error:
            raise self._translate(error) from error

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.Error as error:
            raise self._translate(error) from error

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.Error as error:
            raise self._translate(error) from error


class CacheConnection(sqlite3.Connection):
    """A connection whose failures arrive as CacheError sentences (see `describe`).

    `on_damage` is told first when SQLite reports damage, so the owner can rebuild."""

    cache_path: Path = Path()
    on_damage: Callable[[], None] | None = None

    def _translate(self, error: sqlite3.Error) -> CacheError:
        if is_damage(error) and self.on_damage is not None:
            self.on_damage()
        return describe(error, self.cache_path)

    def cursor(self, factory: Any = _CacheCursor) -> Any:
        return super().cursor(factory)

    # Through self.cursor(): the C execute() makes a plain cursor, whose later rows
    # (fetchall) would raise untranslated.
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return self.cursor().execute(sql, parameters)  # type: ignore[no-any-return]
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.Error as error:
            raise self._translate(error) from error

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return self.cursor().executemany(sql, parameters)  # type: ignore[no-any-return]
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.Error as error:
            raise self._translate(error) from error

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(sql_script)
        except sqlite3.Error as error:
            raise self._translate(error) from error


def connect(
    path: Path, on_damage: Callable[[], None] | None = None, *, frozen: bool = False
) -> CacheConnection:
    """A CacheConnection to `path` (autocommit; usable from any thread). `frozen`: read
    only, and without the -shm file a WAL database needs (which a full disk cannot grow):
    SQLite's `immutable`, so it sees the file as last checkpointed."""
    private_sqlite(path)  # mail is private: 0600 (and so its -wal/-shm), in 0700 folders
    target: str | Path = path
    if frozen:
        target = f"file:{urllib.parse.quote(str(path))}?immutable=1"
    try:
        db = sqlite3.connect(
            target,
            check_same_thread=False,
            isolation_level=None,
            factory=CacheConnection,
            uri=frozen,
        )
    except sqlite3.Error as error:
        raise describe(error, path) from error
    db.cache_path = path
    db.on_damage = on_damage
    return db


def header_problem(path: Path) -> str | None:
    """What is wrong with the file's SQLite header, cheaply (None: nothing seen)."""
    try:
        with path.open("rb") as file:
            head = file.read(100)
            size = os.fstat(file.fileno()).st_size
    except FileNotFoundError:
        return None
    if size == 0:
        return None  # a new, empty database
    if len(head) < 100:
        return "the file is truncated"
    if not head.startswith(_MAGIC):
        return "the file is not a SQLite database"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    # The page count is valid when "version-valid-for" matches the change counter. But a
    # checkpoint writes page 1 (the new count) before the pages that lengthen the file:
    # killed in between, the file is short and its WAL holds the rest, which SQLite
    # replays. With a WAL left, the quick_check (DeepCheck) judges the pages instead.
    short = head[92:96] == head[24:28] and pages and size < page_size * pages
    if short and not check_memo.wal_left(path):
        return "the file is truncated"
    return None


def check(db: sqlite3.Connection, path: Path) -> str | None:
    """Why the open cache is damaged, or None: the cheap part (header and schema); the
    tables are checked by a DeepCheck."""
    problem = header_problem(path)
    if problem is not None:
        return problem
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except CacheError as error:
        if isinstance(error.__cause__, sqlite3.Error) and is_damage(error.__cause__):
            return str(error.__cause__)
        raise
    return None


class DeepCheck:
    """SQLite's quick_check of the folder and message tables, on a thread of its own.

    About 30-50 ms for 100,000 messages: started when the cache is opened, it runs while
    the UI is being imported (SQLite lets go of the GIL), and the store asks for the
    verdict at its first read or write (of a big cache: its first write, or its first
    read once the check is over)."""

    READS_WAIT_UNDER = 64 * 2**20
    """Reads and writes of a cache this big or bigger (150,000 messages and up) do not wait
    for the verdict: a million messages take 2 s to check, which the first rows on screen
    must not wait for (a write on the way to them did: 1.14 s -> 0.82 s warm at 1M).
    Damage found is acted on at the first access after the check; SQLite reports a
    damaged page it reads or writes meanwhile anyway."""

    BIG_STARTS_AFTER = 1.5
    """Seconds after the opening that the check of a cache of READS_WAIT_UNDER or more
    starts (a warm million-message folder shows its first rows in under one)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._problem: str | None = None
        self._db: sqlite3.Connection | None = None
        self._stopped = False
        self._closing = threading.Lock()
        self.passed_at = check_memo.trusted(path)
        """When the file last passed a check (None: not yet, or it did not): a file left
        unchanged since a clean close after a check is not checked again (check_memo.py)."""
        try:
            self._reads_wait = path.stat().st_size < self.READS_WAIT_UNDER
        except OSError:
            self._reads_wait = True
        # A big cache's check waits for the first screen: nothing waits for it, and its
        # seconds of a core slowed the start-up on a 2-core machine.
        delay = 0.0 if self._reads_wait else self.BIG_STARTS_AFTER
        self._thread = threading.Timer(delay, self._run)
        self._thread.name, self._thread.daemon = "cache-check", True
        if self.passed_at is None:
            self._thread.start()

    def reads_go_on(self) -> bool:
        """Whether an access may go ahead before the verdict (a big cache, still checking)."""
        return not self._reads_wait and self._thread.is_alive()

    def _run(self) -> None:
        try:
            db = self._db = sqlite3.connect(self._path, check_same_thread=False)
        except sqlite3.Error:
            return  # the store's own connection reports what is wrong with opening it
        try:
            if self._stopped:
                return
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            for table in _CHECKED_TABLES:
                if table in tables:
                    rows = db.execute(f"PRAGMA quick_check({table})").fetchall()
                    if rows != [("ok",)]:
                        self._problem = "SQLite's check found damaged pages"
                        return
            self.passed_at = time.time()
        except sqlite3.Error as error:
            if is_damage(error):
                self._problem = str(error)
        finally:
            with self._closing:  # never while stop() interrupts it
                self._db = None
                db.close()

    def stop(self) -> None:
        """Cut the check short (the store closes: a million messages need 2 s more)."""
        self._stopped = True
        self._thread.cancel()  # not started yet: it never will
        with self._closing:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.interrupt()
        self._join()

    def result(self) -> str | None:
        """Why the tables are damaged, or None (waits for the check to end)."""
        self._join()
        return self._problem

    def _join(self) -> None:
        if self._thread.ident is not None:  # not started: the memo vouched for the file
            self._thread.join()


def remember(path: Path, check: DeepCheck | None) -> None:
    """At a clean close (all connections gone): whether the next open may skip its check."""
    check_memo.remember(path, None if check is None else check.passed_at)


def set_aside(path: Path) -> Path:
    """Rename the damaged cache (and its WAL files) to `<name>.damaged-<timestamp>`."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{counter}")
    try:
        os.replace(path, target)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
    except OSError as error:
        raise describe(error, path) from error
    return target


def salvage_pending(path: Path) -> list[str]:
    """The offline queue of an old-layout cache that is damaged: what can still be read."""
    with contextlib.suppress(sqlite3.Error):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return [row[0] for row in db.execute("SELECT action FROM pending_actions ORDER BY id")]
        finally:
            db.close()
    return []


def writable_or_raise(path: Path) -> None:
    """Refuse, in words, a cache whose file or folder cannot be written (before SQLite
    tries and reports something vaguer). Root passes os.access; EROFS still shows."""
    folder = path.parent
    try:
        private_dir(folder)
    except OSError as error:
        raise describe(error, path) from error
    for target in (folder, path):
        if target.exists() and not os.access(target, os.W_OK):
            raise describe(OSError(errno.EACCES, "permission denied", str(target)), path)
    if os.statvfs(folder).f_flag & os.ST_RDONLY:
        raise describe(OSError(errno.EROFS, "read-only file system", str(folder)), path)
