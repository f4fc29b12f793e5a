"""The cache's full-text index: every cached message's sender, recipients and subject, and
the headers and text of every cached body, found in milliseconds (SQLite FTS5).

What it must find is exactly what `query.matcher` finds (core/store/matching.py): a word
is a case-folded SUBSTRING of a part of the message ("dget" finds "budget", as IMAP's
SEARCH does). A word index (FTS5's unicode61) cannot answer that, so the index is FTS5's
trigram tokenizer over the case-folded texts (Python's `casefold`, what the matcher
compares), with `detail=none`: it only says which messages hold every three-letter piece
of a word, and SQL's `instr` on the same case-folded texts (`search_docs`) then decides
exactly. Measured on 100,000 messages (benchmarks/local_search.py, the README): positions
(`detail=full`) made the index four times larger for nothing the `instr` check needs.

Keeping it in step: triggers on `messages` and `bodies` write each change as a row of
`search_todo` (almost free inside a sync's insert); a thread of the store (`Indexer`)
reads those rows in chunks, builds the documents (the body's text decoded in Python) and
writes them to the index in short transactions. FTS5 rows written by a trigger cost five
times more (FTS5 flushes at every statement's savepoint), which is why the index itself
is written here, not by triggers. A message with a row in `search_todo` is not trusted to
the index: searches match it with the matcher instead, so results are exact at every
moment: during a first sync, while an old cache is indexed for the first time, and after
the index was lost or damaged (then dropped and built again from the cache). Searching
it is core/store/fts_search.py.

A folder's first pass (an IMAP sync into an empty folder) is not queued row by row: the
triggers cost a 100,000-message sync 0.16 s of CPU, and indexing its rows one by one in
Python 4.3 s more after it (1.5 s in bulk). `search_bulk` marks the folder with how far
it is indexed (`done_uid`, 0 at first); the triggers skip rows above it, searches treat
rows above it as not indexed (the matcher), and once the pass is complete the indexer
builds those rows' documents in set-based SQL (`index_bulk`), raising the mark a chunk at
a time, then drops it. Rows at or below the mark are queued as always, so a change during
the bulk indexing, or a close in its middle, is never lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager

from tui_mail.core.store import matching
from tui_mail.core.store.health import CacheError, is_damage

log = logging.getLogger(__name__)

OBJECTS = ("search_docs", "search_index", "search_todo", "search_bulk")
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS search_docs (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    date INTEGER NOT NULL,
    name TEXT NOT NULL,
    addr TEXT NOT NULL,
    recipients TEXT NOT NULL,
    cc TEXT NOT NULL,
    subject TEXT NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (folder_id, uid)
)""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5(
    text, content='', tokenize='trigram case_sensitive 1', detail=none
)""",
    """CREATE TABLE IF NOT EXISTS search_todo (
    seq INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL,
    uid INTEGER NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS search_todo_by_message ON search_todo (folder_id, uid)",
    """CREATE TABLE IF NOT EXISTS search_bulk (
    folder_id INTEGER PRIMARY KEY REFERENCES folders(id) ON DELETE CASCADE,
    done_uid INTEGER NOT NULL
)""",
    *(
        # A row above what a first pass's bulk indexing has reached is not queued.
        f"""CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table}
    WHEN {row}.uid <= coalesce((SELECT done_uid FROM search_bulk WHERE folder_id = {row}.folder_id),
                              {row}.uid)
    BEGIN INSERT INTO search_todo (folder_id, uid) VALUES ({row}.folder_id, {row}.uid); END"""  # noqa: S608
        for name, event, table, row in (
            ("search_message_added", "INSERT", "messages", "new"),
            ("search_message_gone", "DELETE", "messages", "old"),
            ("search_body_added", "INSERT", "bodies", "new"),
            ("search_body_gone", "DELETE", "bodies", "old"),
        )
    ),
)
"""One statement each: executescript would commit the transaction they are part of."""
_TRIGGERS = ("search_message_added", "search_message_gone", "search_body_added",
             "search_body_gone")  # fmt: skip
_DOC_COLUMNS = "name, addr, recipients, cc, subject, headers, body"

_CHUNK = 500
"""Messages indexed per transaction: short enough that a sync's commit never waits long."""
QUIET = 0.3
"""Seconds without another writer's commit before the index takes its turn: a sync goes
first (indexing beside it made a 100,000-message first sync twice as long on two cores)."""
_MAX_WAIT = 2.0
"""...but a long sync still lets the index take a chunk this often."""


def create(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        db.execute(statement)


def drop(db: sqlite3.Connection) -> None:
    for trigger in _TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for table in OBJECTS:
        db.execute(f"DROP TABLE IF EXISTS {table}")


def reset(db: sqlite3.Connection) -> None:
    """An empty index, built again in the background: a folder whose sync is complete in
    bulk (a third of the CPU of one message at a time: 1.5 s against 4.3 s at 100k, which
    every cache pays once after an upgrade drops its index), any other message queued."""
    drop(db)
    create(db)
    db.execute(
        "INSERT INTO search_bulk (folder_id, done_uid) SELECT f.id, 0 FROM folders f"
        " WHERE f.partial_uidvalidity IS NULL AND f.uidvalidity IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM messages m WHERE m.folder_id = f.id)"
    )
    # In UID order (else the order of whichever index the planner scans): the documents'
    # ids then follow the folder's order, which is nearly its date order, and a search's
    # hits come out of the index nearly newest first (core/store/fts_search.py sorts them).
    db.execute(
        "INSERT INTO search_todo (folder_id, uid) SELECT folder_id, uid FROM messages"
        " WHERE folder_id NOT IN (SELECT folder_id FROM search_bulk) ORDER BY folder_id, uid"
    )


def ensure(db: sqlite3.Connection) -> None:
    """At open: an index lost (a table or trigger missing) is built again from the cache."""
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    if not {*OBJECTS, *_TRIGGERS} <= names:
        log.info("the search index is missing a part; building it again")
        with _immediate(db):
            reset(db)


@contextlib.contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error, CacheError):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


# -- building documents -------------------------------------------------------------------

Doc = tuple[str, str, str, str, str, str, str]
"""name, addr, recipients, cc, subject, headers, body: case-folded, as `search_docs`."""


def safe(text: str) -> str:
    """`text` as SQLite can store it (a lone surrogate from a broken charset cannot be)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode(errors="replace").decode()
    return text


def document(summary: Sequence[str], raw: bytes | None) -> Doc:
    """The document of a message: its summary's (name, addr, to, cc, subject) and, when its
    body is cached, the decoded headers and text, all case-folded as the matcher compares."""
    headers = body = ""
    if raw:
        try:
            headers, body = matching.raw_texts(raw)
        except Exception:  # a message the parser gives up on: searched by its summary
            log.exception("cannot read a cached message's text for the search index")
    # FTS5's trigram tokenizer stops at a NUL: what follows one would never be found. A
    # newline stands in for it (no word typed holds either); a document stored before
    # keeps its NUL, so deleting it from the index gives the tokens it was indexed with.
    parts = (*summary, headers.replace("\0", "\n"), body.replace("\0", "\n"))
    return tuple(safe(part.casefold()) for part in parts)  # type: ignore[return-value]


def requeue_nul(db: sqlite3.Connection) -> None:
    """Queue again the documents an older version stored with a NUL (part of their text is
    missing from the index): once, at the migration to schema 6 (0.2 s at a million)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_docs'").fetchone():
        db.execute(
            "INSERT INTO search_todo (folder_id, uid) SELECT folder_id, uid FROM search_docs"
            " WHERE instr(headers, char(0)) > 0 OR instr(body, char(0)) > 0"
        )


def _indexed(doc: Sequence[str]) -> str:
    """What the index holds of a document (its 'delete' must be given the same text)."""
    return "\n".join(doc)


def index_some(
    read: sqlite3.Connection,
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
    limit: int = _CHUNK,
) -> int:
    """Bring up to `limit` queued messages into the index; how many were taken.

    Read (and the bodies decoded) outside the write lock; written only for messages that
    did not change meanwhile (a newer queue row means they did: a later chunk takes them)."""
    queued = read.execute(
        "SELECT seq, folder_id, uid FROM search_todo ORDER BY seq LIMIT ?", (limit,)
    ).fetchall()
    if not queued:
        return 0
    top = queued[-1][0]
    by_folder: dict[int, set[int]] = {}
    for _seq, folder_id, uid in queued:
        by_folder.setdefault(folder_id, set()).add(uid)
    docs: dict[tuple[int, int], tuple[int, Doc]] = {}
    for folder_id, uids in by_folder.items():
        rows = read.execute(
            "SELECT m.uid, m.date, m.from_name, m.from_addr, m.to_addrs, m.cc_addrs, m.subject,"
            " b.raw FROM messages m LEFT JOIN bodies b"
            " ON b.folder_id = m.folder_id AND b.uid = m.uid"
            " WHERE m.folder_id = ? AND m.uid IN (SELECT value FROM json_each(?))",
            (folder_id, json.dumps(sorted(uids))),
        ).fetchall()
        for uid, date, *summary, raw in rows:
            docs[(folder_id, uid)] = (date, document(summary, None if raw is None else bytes(raw)))
    with transaction() as db:
        still = db.execute(
            "SELECT seq, folder_id, uid FROM search_todo WHERE seq <= ? ORDER BY seq", (top,)
        ).fetchall()
        if still != queued:  # the cache was set aside and rebuilt meanwhile: read again
            return len(queued)
        for folder_id, uids in by_folder.items():
            for uid in uids:
                newer = db.execute(
                    "SELECT 1 FROM search_todo WHERE folder_id = ? AND uid = ? AND seq > ?",
                    (folder_id, uid, top),
                ).fetchone()
                if newer is None:
                    _write(db, folder_id, uid, docs.get((folder_id, uid)))
        db.execute("DELETE FROM search_todo WHERE seq <= ?", (top,))
    return len(queued)


# -- a folder's first pass, in bulk -------------------------------------------------------

_BULK_CHUNK = 5000
"""Messages of a first pass indexed per transaction (about 0.1 s of the write lock)."""
_JOINED = " || char(10) || ".join(_DOC_COLUMNS.split(", "))
"""`_indexed` in SQL: what the index holds of a row of `search_docs`."""


def begin_bulk(db: sqlite3.Connection, folder_id: int) -> None:
    """A first pass into an empty folder: its rows are indexed in bulk once the pass is
    complete (`index_bulk`), not queued one by one (see the module's docstring)."""
    db.execute(
        "INSERT OR IGNORE INTO search_bulk (folder_id, done_uid) SELECT ?, 0"
        " WHERE NOT EXISTS (SELECT 1 FROM messages WHERE folder_id = ?)"
        " AND NOT EXISTS (SELECT 1 FROM search_docs WHERE folder_id = ?)"
        " AND NOT EXISTS (SELECT 1 FROM search_todo WHERE folder_id = ?)",
        (folder_id,) * 4,
    )


class _Texts:
    """SQL functions building documents as `document` does (registered on the writer)."""

    def __init__(self) -> None:
        self._raw: bytes | None = None
        self._texts = ("", "")

    @staticmethod
    def fold(text: str | None) -> str:
        return safe((text or "").casefold())

    def body(self, raw: bytes | None, part: int) -> str:
        if raw is None:
            return ""
        if raw != self._raw:  # headers then text of one body: decoded once
            self._raw, self._texts = raw, ("", "")
            with contextlib.suppress(Exception):  # as `document`: searched by its summary
                self._texts = document(("",) * 5, bytes(raw))[5:]
        return self._texts[part]


def index_bulk(
    read: sqlite3.Connection,
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
    limit: int = _BULK_CHUNK,
) -> int:
    """Index the next `limit` messages of a folder whose first pass is complete, in set-based
    SQL (a chunk of 5,000 in about 0.1 s, against 0.6 s one by one); how many were taken.
    A folder still in its first pass waits: the sync adds its oldest rows last."""
    found = read.execute(
        "SELECT b.folder_id, b.done_uid FROM search_bulk b JOIN folders f ON f.id = b.folder_id"
        " WHERE f.partial_uidvalidity IS NULL AND f.uidvalidity IS NOT NULL LIMIT 1"
    ).fetchone()
    if found is None:
        return 0
    folder_id, done = found
    texts = _Texts()
    with transaction() as db:
        db.create_function("search_fold", 1, texts.fold, deterministic=True)
        db.create_function("search_body", 2, texts.body, deterministic=True)
        now = db.execute(
            "SELECT done_uid FROM search_bulk WHERE folder_id = ?", (folder_id,)
        ).fetchone()
        if now is None or now[0] != done:  # indexed or dropped meanwhile
            return 1
        (top, count) = db.execute(
            "SELECT max(uid), count(*) FROM (SELECT uid FROM messages"
            " WHERE folder_id = ? AND uid > ? ORDER BY uid LIMIT ?)",
            (folder_id, done, limit),
        ).fetchone()
        if not count:
            db.execute("DELETE FROM search_bulk WHERE folder_id = ?", (folder_id,))
            return 1
        span = (folder_id, done, top)
        db.execute(
            f"INSERT INTO search_docs (folder_id, uid, date, {_DOC_COLUMNS})"  # noqa: S608
            " SELECT m.folder_id, m.uid, m.date, search_fold(m.from_name),"
            " search_fold(m.from_addr), search_fold(m.to_addrs), search_fold(m.cc_addrs),"
            " search_fold(m.subject), search_body(b.raw, 0), search_body(b.raw, 1)"
            " FROM messages m LEFT JOIN bodies b ON b.folder_id = m.folder_id AND b.uid = m.uid"
            " WHERE m.folder_id = ? AND m.uid > ? AND m.uid <= ? ORDER BY m.uid",
            span,
        )
        _to_index(
            db,
            f"INSERT INTO search_index (rowid, text) SELECT id, {_JOINED} FROM search_docs"  # noqa: S608
            " WHERE folder_id = ? AND uid > ? AND uid <= ?",
            span,
        )
        db.execute("UPDATE search_bulk SET done_uid = ? WHERE folder_id = ?", (top, folder_id))
    return int(count)


def _write(db: sqlite3.Connection, folder_id: int, uid: int, dated: tuple[int, Doc] | None) -> None:
    """Replace the message's document (None: it is gone) in `search_docs` and the index."""
    old = db.execute(
        f"SELECT id, {_DOC_COLUMNS} FROM search_docs WHERE folder_id = ? AND uid = ?",  # noqa: S608
        (folder_id, uid),
    ).fetchone()
    if old is not None:
        _to_index(
            db,
            "INSERT INTO search_index (search_index, rowid, text) VALUES ('delete', ?, ?)",
            (old[0], _indexed(old[1:])),
        )
        db.execute("DELETE FROM search_docs WHERE id = ?", (old[0],))
    if dated is not None:
        date, doc = dated
        cursor = db.execute(
            f"INSERT INTO search_docs (folder_id, uid, date, {_DOC_COLUMNS})"  # noqa: S608
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (folder_id, uid, date, *doc),
        )
        _to_index(
            db,
            "INSERT INTO search_index (rowid, text) VALUES (?, ?)",
            (cursor.lastrowid, _indexed(doc)),
        )


def _to_index(db: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> None:
    """A write to the FTS5 table: its damage is the index's (Damaged: built again), not
    the cache's (which CacheConnection would set aside, refetching every header)."""
    try:
        sqlite3.Connection.execute(db, sql, params)
    except sqlite3.Error as error:
        if is_damage(error):
            raise Damaged from error
        raise


class Indexer:
    """The store's thread that keeps the index in step: woken after every write
    (`nudge`), it indexes what was queued, a chunk per transaction, then sleeps."""

    def __init__(
        self,
        reader: Callable[[], sqlite3.Connection],
        transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
    ) -> None:
        self._reader = reader
        self._transaction = transaction
        self._wanted = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # As if written a second from now: a start-up (the UI importing, painting its rows)
        # goes first too, and an old cache's index is built after it.
        self._written = time.monotonic() + 1.0
        self.broken = False
        """Set when a search met a damaged index: it is dropped and built again."""

    def nudge(self) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            if threading.current_thread() is not self._thread:  # its own commits: no
                self._written = time.monotonic()
            self._wanted.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="search-index", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
            self._wanted.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def _take_turn(self) -> bool:
        """Wait while another writer is busy (see QUIET); False once stopped."""
        deadline = time.monotonic() + _MAX_WAIT
        # Stopped ends the wait: the set event returns at once, and looping on it spun
        # until the quiet time was over (every close of the store took 0.3 s more).
        while (
            not self._stopped.is_set()
            and (now := time.monotonic()) < deadline
            and now - self._written < QUIET
        ):
            self._stopped.wait(QUIET - (now - self._written))
        return not self._stopped.is_set()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopped.is_set():
                return
            self._wanted.clear()
            try:
                if self.broken:
                    with self._transaction() as db:
                        reset(db)
                    self.broken = False
                while self._take_turn() and (
                    index_some(self._reader(), self._transaction)
                    or index_bulk(self._reader(), self._transaction)
                ):
                    pass
            except Damaged:
                log.warning("the search index is damaged; building it again from the cache")
                self.broken = True
                self._wanted.set()
            except (CacheError, sqlite3.Error) as error:
                # The store tells the damage, the full disk, the closed file itself; the
                # queue waits for the next write (searches meanwhile use the matcher).
                log.warning("the search index could not be updated: %s", error)
                self._stopped.wait(1.0)
            except Exception:  # a bug: the thread goes on (searches stay exact, slower)
                log.exception("the search index could not be updated")
                self._stopped.wait(1.0)


class Damaged(Exception):
    """The index itself is damaged: drop it and build it again; the matcher answers."""
