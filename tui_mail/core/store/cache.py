"""The local cache: one SQLite database per account, and the only code that writes it.

WAL mode so the UI can read while sync writes: every reading thread has its own connection
and never waits for the writer (a lock held by a 2,000-row insert once froze keys for two
seconds during a big sync). Writes go through one connection under a lock. Batches are
committed as they arrive, so a long first sync shows progress and a crash keeps what was
already fetched.

Opening it checks it first (core/store/health.py): a damaged cache is set aside and a new
one built, and damage found later is repaired at the next access. The offline queue lives
in a file of its own (core/store/pending_queue.py) so that neither loses it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.models import Flag, Folder, FolderSyncState, MessageSummary
from tui_mail.core.query import Query
from tui_mail.core.sort import DEFAULT_SORT, SortKey, SortSpec
from tui_mail.core.store import (
    flag_counts,
    folder_list,
    fts,
    full_text,
    health,
    matching,
    missing_bodies,
    ordering,
    summaries,
    thread_saved,
)
from tui_mail.core.store.changes import Changes, noting
from tui_mail.core.store.health import CacheConnection, CacheError, DiskFull, Rebuilt
from tui_mail.core.store.long_reads import LongReads
from tui_mail.core.store.pending_queue import PendingQueue
from tui_mail.core.store.schema import open_cache, open_frozen
from tui_mail.core.store.summaries import SUMMARY_COLUMNS


class UnknownFolder(LookupError):
    """The folder is not in the cache (list folders or sync first)."""


class Store:
    """The cache of one account."""

    def __init__(self, path: Path, queue_path: Path | None = None) -> None:
        self.path = path
        self.queue = PendingQueue(queue_path or path.with_name(path.stem + ".queue.sqlite3"))
        """The pending actions, in a file of their own so that a rebuild cannot lose them."""
        self._lock = threading.RLock()
        self.rebuilt: Rebuilt | None = None
        """Set when a damaged cache was set aside and this one built in its place."""
        self.on_rebuilt: Callable[[Rebuilt], object] | None = None
        """Called (on the thread that met the damage) once a rebuilt cache is in place."""
        self.on_damaged: Callable[[], object] | None = None
        """Called when SQLite first reports damage, inside the failing call: no store use."""
        self._damaged: str | None = None
        self.disk_full: DiskFull | None = None
        """Set when the disk was too full to open the cache for writing: it is open read
        only (what was cached can be read; every write raises DiskFull)."""
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._checking: health.DeepCheck | None = None
        self._checked: health.DeepCheck | None = None  # kept for close: check_memo.py
        reads = self._long_reads = LongReads()
        self._db = self._open()
        self.changes = Changes()
        """What this store changed lately: lets a list apply it (core/store/changes.py)."""
        self.changes.check(self._db)
        # Keeps the full-text index in step after every write (core/store/fts.py).
        self._indexer = fts.Indexer(lambda: self._read, self._transaction)
        self.full_text = full_text.FullText(lambda: self._read, self._indexer, self._long_reads)
        """The full-text index: find, newest, uncached_bodies, backlog (store/full_text.py)."""
        self.saved_threads = thread_saved.SavedThreads(lambda: self._read, self._transaction, reads)
        if self.disk_full is None:
            self._indexer.nudge()

    def _open(self) -> CacheConnection:
        try:
            db, rebuilt = open_cache(self.path, self.queue, self._mark_damaged)
        except DiskFull as full:
            db = open_frozen(self.path, full)  # else `full` goes on: nothing to show
            db.on_damage = self._mark_damaged
            self.disk_full = DiskFull(
                f"The disk holding {self.path.parent} is full, so the cache is open read "
                "only: the mail cached so far can be read, but new mail is not stored and "
                "syncs stop. Free some space, then start tui-mail again."
            )
            return db
        self.rebuilt = rebuilt or self.rebuilt
        self._checking = self._checked = health.DeepCheck(self.path)
        return db

    def _settle(self) -> None:
        """Before a read or write: take the open-time check's verdict, and rebuild a cache
        found damaged (then or since)."""
        if self._checking is None and self._damaged is None:
            return
        if self._damaged is None and self._checking and self._checking.reads_go_on():
            return
        with self._lock:
            checking, self._checking = self._checking, None
            problem = checking.result() if checking is not None else None
            if problem is not None:
                self._damaged = problem
            if self._damaged is not None:
                self.rebuild()

    def _mark_damaged(self) -> None:
        """SQLite reported damage: rebuild at the next access (the failing call still has
        to roll back on the old connection)."""
        if self._damaged is None:
            self._damaged = "SQLite reported damaged pages"
            if self.on_damaged is not None:
                self.on_damaged()

    def rebuild(self) -> Rebuilt:
        """Set the damaged cache aside and start an empty one (the next sync refills it)."""
        with self._lock:
            if self._checking is not None:  # its connection to the old file goes first
                self._checking.result()
                self._checking = None
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._local = threading.local()
            self._db.close()
            self.rebuilt = Rebuilt(health.set_aside(self.path), self._damaged or "damaged pages")
            self._damaged = None
            self._db = self._open()
            self.changes.reopened(self._db)
            rebuilt = self.rebuilt
        if self.on_rebuilt is not None:
            self.on_rebuilt(rebuilt)
        return rebuilt

    @property
    def _read(self) -> sqlite3.Connection:
        """This thread's read connection (sees every committed write; never blocks on one)."""
        self._settle()
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            frozen = self.disk_full is not None
            reader = health.connect(self.path, self._mark_damaged, frozen=frozen)
            self._local.reader = reader
            with self._lock:
                self._readers.append(reader)
        return reader

    def close(self) -> None:
        self._indexer.stop()  # before the lock: it may be waiting for it
        with self._lock:
            if self._checking is not None:  # its connection must be gone first
                self._checking.stop()
                self._checking = None
            # Other threads' long reads are cut short first (core/store/long_reads.py).
            self._long_reads.stop(self._readers, getattr(self._local, "reader", None))
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._db.close()
            self.queue.close()
            if self._damaged:  # found damaged and not rebuilt yet: the next start is clean
                with contextlib.suppress(CacheError):  # else the next start's check finds it
                    health.set_aside(self.path)
            health.remember(self.path, None if self._damaged else self._checked)

    def _writable(self) -> None:
        """Refuse a write, in words, while the cache is open read only (a full disk)."""
        if self.disk_full is not None:  # the sentence of the start, whoever meets it
            raise DiskFull(str(self.disk_full))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._settle()
            self._writable()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                with contextlib.suppress(CacheError):  # the error in hand is the one to tell
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self.changes.check(self._db)
        self._indexer.nudge()

    # -- folders -----------------------------------------------------------------------

    def replace_folders(self, folders: Iterable[Folder]) -> None:
        """Record the server's folder list; folders that disappeared lose their cache."""
        folders = list(folders)
        with self._transaction() as db:
            folder_list.replace_folders(db, folders)

    def folders(self) -> list[Folder]:
        """Cached folders with counts from the server's last answer."""
        return folder_list.folders(self._read)

    def set_folder_counts(self, counts: dict[str, tuple[int, int]]) -> None:
        """Record (total, unseen) per folder as the server just counted them (STATUS)."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE folders SET server_total = ?, server_unseen = ? WHERE name = ?",
                ((total, unseen, name) for name, (total, unseen) in counts.items()),
            )

    def shift_folder_counts(self, name: str, total: int, unseen: int) -> None:
        """Apply what an action changed to a folder's counts at once (the server's own
        count confirms it later); nothing happens to counts never learnt."""
        with self._transaction() as db:
            db.execute(
                "UPDATE folders SET server_total = max(0, server_total + ?),"
                " server_unseen = max(0, coalesce(server_unseen, 0) + ?)"
                " WHERE name = ? AND server_total IS NOT NULL",
                (total, unseen, name),
            )

    def ensure_folder(self, name: str) -> int:
        """The folder's id, creating a bare entry when sync reaches a folder not yet listed."""
        with self._lock:
            self._settle()
            row = self._db.execute("SELECT id FROM folders WHERE name = ?", (name,)).fetchone()
            if row is not None:
                return int(row[0])
            self._writable()
            cursor = self._db.execute("INSERT INTO folders (name) VALUES (?)", (name,))
            return int(cursor.lastrowid or 0)

    def folder_id(self, name: str) -> int:
        row = self._read.execute("SELECT id FROM folders WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise UnknownFolder(name)
        return int(row[0])

    def sync_state(self, name: str) -> FolderSyncState:
        folder_id = self.ensure_folder(name)
        row = self._read.execute(
            "SELECT uidvalidity, uidnext, highestmodseq, partial_uidvalidity FROM folders"
            " WHERE id = ?",
            (folder_id,),
        ).fetchone()
        return FolderSyncState(folder_id, row[0], row[1], row[2], row[3])

    def begin_first_pass(self, folder_id: int, uidvalidity: int) -> None:
        """A first pass starts storing rows under `uidvalidity`; rows an earlier, unfinished
        pass stored under another one (or an unknown one) mean nothing and go."""
        with self._transaction() as db:
            db.execute(
                "DELETE FROM messages WHERE folder_id = ? AND folder_id NOT IN"
                " (SELECT id FROM folders WHERE id = ? AND partial_uidvalidity = ?)",
                (folder_id, folder_id, uidvalidity),
            )
            db.execute(
                "UPDATE folders SET partial_uidvalidity = ? WHERE id = ?", (uidvalidity, folder_id)
            )
            fts.begin_bulk(db, folder_id)  # an empty folder's index is made in bulk after it
        self.changes.lost()

    def save_sync_state(
        self, folder_id: int, uidvalidity: int, uidnext: int | None, highestmodseq: int | None
    ) -> None:
        """Recorded only after a complete pass: the next sync asks only for what changed."""
        with self._transaction() as db:
            db.execute(
                "UPDATE folders SET uidvalidity = ?, uidnext = ?, highestmodseq = ?,"
                " partial_uidvalidity = NULL WHERE id = ?",
                (uidvalidity, uidnext, highestmodseq, folder_id),
            )

    def reset_folder(self, folder_id: int) -> None:
        """Forget every cached message of a folder (its UIDVALIDITY changed)."""
        with self._transaction() as db:
            db.execute("DELETE FROM messages WHERE folder_id = ?", (folder_id,))
            db.execute(
                "UPDATE folders SET uidvalidity = NULL, uidnext = NULL, highestmodseq = NULL,"
                " partial_uidvalidity = NULL WHERE id = ?",
                (folder_id,),
            )
        self.changes.lost()

    def rename_folder(self, old: str, new: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE folders SET name = ? WHERE name = ?", (new, old))

    def forget_folder(self, name: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM folders WHERE name = ?", (name,))

    # -- messages ----------------------------------------------------------------------

    def add_summaries(self, folder_id: int, rows: Iterable[SummaryRow]) -> int:
        """Insert or replace message rows in one transaction; returns how many."""
        uids: list[int] = []
        with self._transaction() as db:
            cursor = db.executemany(
                f"INSERT OR REPLACE INTO messages (folder_id, {SUMMARY_COLUMNS})"  # noqa: S608
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((folder_id, *row) for row in noting(rows, lambda row: row.uid, uids)),
            )
        self.changes.touched(folder_id, uids)
        return cursor.rowcount

    def update_flags(self, folder_id: int, changes: Iterable[tuple[int, int, str, int]]) -> int:
        """Apply (uid, flags, keywords, modseq) from the server; returns rows that changed."""
        uids: list[int] = []
        with self._transaction() as db:
            cursor = db.executemany(
                "UPDATE messages SET flags = ?, keywords = ?, modseq = ?"
                " WHERE folder_id = ? AND uid = ? AND (flags != ? OR keywords != ?)",
                (
                    (flags, keywords, modseq, folder_id, uid, flags, keywords)
                    for uid, flags, keywords, modseq in noting(changes, lambda c: c[0], uids)
                ),
            )
        if cursor.rowcount:
            self.changes.touched(folder_id, uids)
        return cursor.rowcount

    def set_flag_bits(self, folder_id: int, uids: Iterable[int], flag: Flag, on: bool) -> None:
        """Reflect a flag change the user made (after the server accepted it)."""
        expression = "flags | ?" if on else "flags & ~?"
        uids = list(uids)
        with self._transaction() as db:
            db.executemany(
                f"UPDATE messages SET flags = {expression} WHERE folder_id = ? AND uid = ?",  # noqa: S608
                ((int(flag), folder_id, uid) for uid in uids),
            )
        self.changes.touched(folder_id, uids)

    def delete_uids(self, folder_id: int, uids: Iterable[int]) -> int:
        uids = list(uids)
        with self._transaction() as db:
            cursor = db.executemany(
                "DELETE FROM messages WHERE folder_id = ? AND uid = ?",
                ((folder_id, uid) for uid in uids),
            )
        self.changes.touched(folder_id, uids)
        return cursor.rowcount

    def changed_since(self, folder_id: int, version: int) -> set[int] | None:
        """UIDs of the folder added, changed or removed since `version` (changes.version);
        None: not known, read everything. A write under way is not waited for: its commit
        looks for other writers itself (Changes.check)."""
        if self._lock.acquire(blocking=False):
            try:
                self.changes.check(self._db)
            finally:
                self._lock.release()
        return self.changes.since(folder_id, version)

    def uids(self, folder_id: int) -> list[int]:
        rows = self._read.execute(
            "SELECT uid FROM messages WHERE folder_id = ? ORDER BY uid", (folder_id,)
        ).fetchall()
        return [row[0] for row in rows]

    def ordered_uids(
        self,
        folder_id: int,
        *,
        unread_only: bool = False,
        sort: SortSpec = DEFAULT_SORT,
        limit: int = -1,
    ) -> list[int]:
        """Every UID in list order (`sort`: newest first by default), for a list that
        renders only what is seen (core/store/ordering.py has the indexes that serve it).

        Served from the (folder_id, date, uid) index alone, as ONE result row: Python's
        sqlite3 hands the GIL over for every row stepped, and while a sync thread is parsing
        headers each handover is slow (100,000 rows took 0.2 s instead of 0.02 s, and keys
        waited for it). test_store pins that the aggregate keeps the subquery's order.
        `limit` (-1: all) reads only the first rows: a big folder's first screen.
        """
        where = "folder_id = ?" + (" AND (flags & ?) = 0" if unread_only else "")
        params: tuple[int, ...] = (folder_id, int(Flag.SEEN)) if unread_only else (folder_id,)
        self._sort_index(sort.key)
        db = self._read  # first: making a reader waits while close() holds the lock
        with self._long_reads.reading():
            (joined,) = db.execute(
                f"SELECT group_concat(uid) FROM (SELECT uid FROM messages WHERE {where}"  # noqa: S608
                f" ORDER BY {ordering.order_by(sort)} LIMIT ?)",
                (*params, limit),
            ).fetchone()
        return ordering.parse_uids(joined)

    def search_cached(self, folder_id: int, words: list[str]) -> list[int]:
        """UIDs whose subject or sender contain every word (summaries.search_words)."""
        return summaries.search_words(self._read, folder_id, words)

    def matching_uids(self, folder_id: int, query: Query) -> list[int]:
        """UIDs of cached messages matching `query`, newest first (core/store/matching.py)."""
        return matching.matching_uids(self._read, folder_id, query)

    def sort_ready(self, key: SortKey) -> bool:
        """Whether `key`'s index is made (else the first sort by it makes it: 14 s for a
        million messages on a busy 2-core machine)."""
        return ordering.has_index(self._read, key)

    def _sort_index(self, key: SortKey) -> None:
        """Make the index that serves `key` at its first use (core/store/ordering.py says
        why then); a cache open read only sorts without it."""
        statement = ordering.index_statement(key)
        if statement is None or self.disk_full is not None or ordering.has_index(self._read, key):
            return
        with contextlib.suppress(DiskFull), self._transaction() as db:
            db.execute(statement)

    def sort_keys(self, folder_id: int, uids: list[int], key: SortKey) -> ordering.Keys:
        """(flags, place in `key`'s natural order) of these messages (ordering.sort_keys)."""
        return ordering.sort_keys(self._read, folder_id, uids, key)

    def sort_values(self, folder_id: int, sort: SortSpec) -> list[tuple[str | int, int, int]]:
        """(value of the sort key, date, UID) in `sort`'s order: for merging folders."""
        self._sort_index(sort.key)
        return ordering.sort_values(self._read, folder_id, sort)

    def thread_fields(
        self, folder_id: int, *, unread_only: bool = False, above_uid: int = 0
    ) -> Iterator[tuple[int, int, str, str, str, str]]:
        """What conversations are built from, by (date, uid) (summaries.thread_fields)."""
        db, reading = self._read, self._long_reads.reading
        return summaries.thread_fields(db, folder_id, unread_only, above_uid, reading)

    def max_uid(self, folder_id: int) -> int:
        return summaries.max_uid(self._read, folder_id)

    def count(self, folder_id: int) -> int:
        """Messages cached (from an index: 0.1 s for a million; counts() reads flags too)."""
        return summaries.count(self._read, folder_id)

    def counts(self, folder_id: int) -> tuple[int, int]:
        """(total, unseen) as cached (core/store/flag_counts.py)."""
        return flag_counts.counts(self._read, folder_id)

    def tally(self, folder_id: int, uids: Iterable[int]) -> tuple[int, int]:
        """(cached, unseen) among these UIDs: what an action on them does to the counts."""
        return summaries.tally(self._read, folder_id, uids)

    def missing_bodies(
        self, folder_ids: list[int], since: int, max_size: int, limit: int | None = None
    ) -> list[tuple[int, int, int]]:
        """(folder_id, uid, size) of recent messages without a cached body, newest first."""
        return missing_bodies.missing_bodies(self._read, folder_ids, since, max_size, limit)

    def count_missing_bodies(self, folder_ids: list[int], since: int, max_size: int) -> int:
        return missing_bodies.count_missing(self._read, folder_ids, since, max_size)

    def bodies_size(self) -> int:
        return missing_bodies.bodies_size(self._read)

    def summaries(
        self,
        folder_id: int,
        *,
        limit: int | None = None,
        offset: int = 0,
        unread_only: bool = False,
        uids: Iterable[int] | None = None,
    ) -> list[MessageSummary]:
        """Messages newest first (by date, then UID)."""
        return summaries.summaries(
            self._read, folder_id, limit=limit, offset=offset, unread_only=unread_only, uids=uids
        )

    def summary(self, folder_id: int, uid: int) -> MessageSummary | None:
        found = self.summaries(folder_id, uids=[uid])
        return found[0] if found else None

    # -- bodies ------------------------------------------------------------------------

    def body(self, folder_id: int, uid: int) -> bytes | None:
        row = self._read.execute(
            "SELECT raw FROM bodies WHERE folder_id = ? AND uid = ?", (folder_id, uid)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def save_body(self, folder_id: int, uid: int, raw: bytes) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO bodies (folder_id, uid, raw) VALUES (?, ?, ?)",
                (folder_id, uid, raw),
            )

    # -- addresses ---------------------------------------------------------------------

    def recent_correspondents(self, limit: int = 5000) -> list[tuple[str, str, str, str]]:
        """(from_name, from_addr, to, cc) of the newest cached messages, every folder."""
        return summaries.recent_correspondents(self._read, limit)
