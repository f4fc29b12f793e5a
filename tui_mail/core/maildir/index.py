"""Stable UIDs for maildir files, kept in a small SQLite file under the data directory.

A maildir has no UIDs; the rest of the client thinks in IMAP terms (per-folder UIDs that
only grow, a UIDVALIDITY that says when they were renumbered). This index hands out a UID the
first time it sees a file's unique name and remembers where the file was last seen. It is
rebuilt (with a new UIDVALIDITY, so caches know to start again) when it is lost or when the
account points at another directory. It also remembers which POP3 messages were downloaded.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tui_mail.config.private import private_sqlite

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS folders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    uidvalidity INTEGER NOT NULL,
    uidnext INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    base TEXT NOT NULL,
    subdir TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (folder_id, uid),
    UNIQUE (folder_id, base)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pop3_uidls (
    uidl TEXT PRIMARY KEY,
    downloaded INTEGER NOT NULL
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class IndexedFolder:
    folder_id: int
    uidvalidity: int
    uidnext: int


@dataclass(frozen=True, slots=True)
class IndexedFile:
    """Where a message's file was last seen: `folder/subdir/name`."""

    uid: int
    base: str
    subdir: str
    name: str


class UidIndex:
    """The UID index of one maildir tree. Used from one thread at a time."""

    def __init__(self, path: Path, root: Path) -> None:
        private_sqlite(path)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version not in (0, SCHEMA_VERSION):
            self._db.executescript(
                "DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS folders;"
                " DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS pop3_uidls;"
            )
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._adopt_root(str(root.resolve()))

    def _adopt_root(self, root: str) -> None:
        # The UIDs of another tree mean nothing here: start again (new UIDVALIDITYs follow).
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'root'").fetchone()
            if row is not None and row[0] == root:
                return
            db.execute("DELETE FROM files")
            db.execute("DELETE FROM folders")
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('root', ?)", (root,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- folders -----------------------------------------------------------------------

    def folder(self, name: str) -> IndexedFolder:
        """The folder's entry, created with a fresh UIDVALIDITY the first time."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT id, uidvalidity, uidnext FROM folders WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                # Random, so that a rebuilt index never reuses the UIDVALIDITY a cache holds.
                uidvalidity = secrets.randbelow(2**31 - 1) + 1
                cursor = db.execute(
                    "INSERT INTO folders (name, uidvalidity, uidnext) VALUES (?, ?, 1)",
                    (name, uidvalidity),
                )
                return IndexedFolder(int(cursor.lastrowid or 0), uidvalidity, 1)
        return IndexedFolder(int(row[0]), int(row[1]), int(row[2]))

    def rename_folder(self, old: str, new: str) -> None:
        """Rename a folder and its subfolders; their UIDs stay valid."""
        prefix = old + "/"
        with self._transaction() as db:
            db.execute("DELETE FROM folders WHERE name = ? OR substr(name, 1, ?) = ?",
                       (new, len(new) + 1, new + "/"))  # fmt: skip
            db.execute(
                "UPDATE folders SET name = ? || substr(name, ?) WHERE name = ?"
                " OR substr(name, 1, ?) = ?",
                (new, len(old) + 1, old, len(prefix), prefix),
            )

    def forget_folder(self, name: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM folders WHERE name = ?", (name,))

    # -- files -------------------------------------------------------------------------

    def files(self, folder_id: int) -> dict[str, IndexedFile]:
        """Unique name -> where the file was last seen, for every message of the folder."""
        with self._lock:
            rows = self._db.execute(
                "SELECT uid, base, subdir, name FROM files WHERE folder_id = ?", (folder_id,)
            ).fetchall()
        return {base: IndexedFile(uid, base, subdir, name) for uid, base, subdir, name in rows}

    def by_uid(self, folder_id: int, uids: Iterable[int]) -> dict[int, IndexedFile]:
        wanted = sorted(set(uids))
        found: dict[int, IndexedFile] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = self._db.execute(
                    "SELECT uid, base, subdir, name FROM files WHERE folder_id = ?"  # noqa: S608
                    f" AND uid IN ({','.join('?' * len(chunk))})",
                    (folder_id, *chunk),
                ).fetchall()
                for uid, base, subdir, name in rows:
                    found[uid] = IndexedFile(uid, base, subdir, name)
        return found

    def add(self, folder_id: int, files: list[tuple[str, str, str]]) -> list[int]:
        """Give each (base, subdir, name) the next UID, in the order given."""
        if not files:
            return []
        with self._transaction() as db:
            (uidnext,) = db.execute(
                "SELECT uidnext FROM folders WHERE id = ?", (folder_id,)
            ).fetchone()
            uids = list(range(uidnext, uidnext + len(files)))
            db.executemany(
                "INSERT OR REPLACE INTO files (folder_id, uid, base, subdir, name)"
                " VALUES (?, ?, ?, ?, ?)",
                ((folder_id, uid, *entry) for uid, entry in zip(uids, files, strict=True)),
            )
            db.execute(
                "UPDATE folders SET uidnext = ? WHERE id = ?", (uidnext + len(files), folder_id)
            )
        return uids

    def relocate(self, folder_id: int, moves: Iterable[tuple[int, str, str]]) -> None:
        """Record that the files of these UIDs are now (subdir, name)."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE files SET subdir = ?, name = ? WHERE folder_id = ? AND uid = ?",
                ((subdir, name, folder_id, uid) for uid, subdir, name in moves),
            )

    def remove(self, folder_id: int, uids: Iterable[int]) -> None:
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM files WHERE folder_id = ? AND uid = ?",
                ((folder_id, uid) for uid in uids),
            )

    # -- POP3 --------------------------------------------------------------------------

    def downloaded_uidls(self) -> dict[str, int]:
        """UIDL -> when it was downloaded (Unix time)."""
        with self._lock:
            rows = self._db.execute("SELECT uidl, downloaded FROM pop3_uidls").fetchall()
        return {uidl: int(when) for uidl, when in rows}

    def remember_uidl(self, uidl: str, when: int) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO pop3_uidls (uidl, downloaded) VALUES (?, ?)", (uidl, when)
            )

    def forget_uidls(self, uidls: Iterable[str]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM pop3_uidls WHERE uidl = ?", ((u,) for u in uidls))
