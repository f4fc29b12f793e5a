"""Opening the cache file: check it, set a damaged one aside, configure, migrate, and move
an old layout's offline queue to its own file (see core/store/health.py for why).

The cache's schema and its migrations live here too: what a file must look like once open.
Schema 3 adds `folders.partial_uidvalidity` (a first pass stored rows but did not finish,
see core/imap/sync.py); a schema-2 cache keeps its rows and reconciles every folder once.
Schema 4 adds the full-text index (core/store/fts.py): an older cache keeps its rows and
queues every message for the index, which a thread of the store builds in the background.
Schema 5 adds partial indexes of the unseen and the flagged messages, for counts and flag
queries (core/store/flag_counts.py); a schema-4 cache keeps its rows and full-text index.
Schema 6 adds the threads of big folders kept between sessions (core/store/thread_saved.py);
a schema-4 or 5 cache keeps its rows, indexes and full-text index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from tui_mail.core.store import flag_counts, fts, health, thread_saved
from tui_mail.core.store.health import CacheConnection, CacheError, DiskFull, Rebuilt
from tui_mail.core.store.pending_queue import PendingQueue, move_from_cache

SCHEMA_VERSION = 6

# folders.attributes held IMAP LIST attributes; nothing reads it any more (a Folder carries
# `selectable` and `role` instead), and the column stays so older caches need no migration.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS folders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    delimiter TEXT,
    role TEXT,
    attributes TEXT NOT NULL DEFAULT '',
    subscribed INTEGER NOT NULL DEFAULT 1,
    selectable INTEGER NOT NULL DEFAULT 1,
    server_total INTEGER,
    server_unseen INTEGER,
    uidvalidity INTEGER,
    uidnext INTEGER,
    highestmodseq INTEGER,
    partial_uidvalidity INTEGER
);
CREATE TABLE IF NOT EXISTS messages (
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    date INTEGER NOT NULL,
    from_name TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    to_addrs TEXT NOT NULL,
    cc_addrs TEXT NOT NULL,
    subject TEXT NOT NULL,
    message_id TEXT NOT NULL,
    in_reply_to TEXT NOT NULL,
    refs TEXT NOT NULL,
    size INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    keywords TEXT NOT NULL,
    has_attachment INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    PRIMARY KEY (folder_id, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_date ON messages (folder_id, date, uid);
CREATE TABLE IF NOT EXISTS bodies (
    folder_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    raw BLOB NOT NULL,
    PRIMARY KEY (folder_id, uid),
    FOREIGN KEY (folder_id, uid) REFERENCES messages(folder_id, uid) ON DELETE CASCADE
) WITHOUT ROWID;
"""


def open_cache(
    path: Path,
    queue: PendingQueue,
    on_damage: Callable[[], None],
) -> tuple[CacheConnection, Rebuilt | None]:
    """The cache's write connection, and what was set aside if it was found damaged."""
    health.writable_or_raise(path)
    db = health.connect(path)  # damage found here is handled here, not reported
    try:
        configure(db)
        problem = health.check(db, path)
    except CacheError as error:
        if not health.is_damage(error.__cause__ or error):
            db.close()
            raise
        problem = str(error.__cause__ or error)
    rebuilt = None
    if problem is not None:
        db.close()
        queue.adopt(health.salvage_pending(path))  # an old layout's queue, if readable
        rebuilt = Rebuilt(health.set_aside(path), problem)
        db = health.connect(path)
        configure(db)
    migrate(db)
    fts.ensure(db)
    flag_counts.ensure(db)
    thread_saved.ensure(db)
    move_from_cache(db, queue)
    db.on_damage = on_damage
    return db, rebuilt


def open_frozen(path: Path, full: DiskFull) -> CacheConnection:
    """The cache, read only, when the disk is too full to open it for writing (a WAL
    database's -shm file cannot grow): what was cached can still be read. Raises `full`
    when there is nothing to read (no cache yet, an old layout, damage)."""
    if not path.exists() or path.stat().st_size == 0:
        raise full
    db = health.connect(path, frozen=True)
    try:
        problem = health.check(db, path)
        (version,) = db.execute("PRAGMA user_version").fetchone()
    except CacheError:
        problem, version = "unreadable", None
    if problem is not None or version != SCHEMA_VERSION:
        db.close()
        raise full
    return db


def configure(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across application crashes in WAL mode; only a power cut can lose
    # the last transactions, and those are re-fetched from the server.
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")


def migrate(db: sqlite3.Connection) -> None:
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version == SCHEMA_VERSION:
        return
    if version in (4, 5):
        _migrate_kept(db, version)
        return
    # An index a client without it left behind (or a newer one's) is not trusted.
    fts.drop(db)
    if version == 2:
        # Version 2 could keep rows the server had expunged during an interrupted first
        # sync, for ever: every folder gets one reconciling pass (no header re-fetched).
        db.executescript(
            "ALTER TABLE folders ADD COLUMN partial_uidvalidity INTEGER;"
            " UPDATE folders SET partial_uidvalidity = uidvalidity, uidvalidity = NULL,"
            " uidnext = NULL, highestmodseq = NULL;"
        )
    elif version not in (0, 3):
        # A cache from a newer or older layout holds nothing the server cannot give back.
        db.executescript(
            "DROP TABLE IF EXISTS bodies; DROP TABLE IF EXISTS messages;"
            " DROP TABLE IF EXISTS folders;"
        )
    db.executescript(_SCHEMA)
    fts.reset(db)  # every message already cached is indexed again, in the background
    flag_counts.install(db)
    thread_saved.install(db)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _migrate_kept(db: sqlite3.Connection, version: int) -> None:
    """Schemas 5 and 6 add indexes and tables of their own: the rows and the full-text
    index stay (indexing a million messages again would take a minute, in the
    background). One transaction: a migration cut short leaves the old schema whole."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if version == 4:
            flag_counts.install(db)
        thread_saved.install(db)
        fts.requeue_nul(db)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
