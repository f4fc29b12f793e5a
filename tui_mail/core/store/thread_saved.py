"""A big folder's threads kept in the cache from one session to the next (schema 6).

Threading a million messages reads and links every one: 9.3-9.5 s of CPU, which the first
threaded look of every session paid again. What linking made (thread_state.Linked, about
35 bytes a message) and what laying it out made for the default order (newest thread
first, with the index thread_growth needs: 32 bytes a message) are kept here, as arrays
written out whole: read back, they are the same arrays in tens of milliseconds. A new
session's first look at an unchanged folder takes the order as it is; new mail extends
the links and grows the order (core/account/thread_memory.py decides which).

`thread_saved` has a row per folder, saying which folder state it describes: the
folder's UIDVALIDITY, its message count and its highest UID when it was written (checked
inside the writing transaction, so a row never describes a folder that changed before it
was written). `thread_saved_data` holds the two blobs (links, layout). A message removed
from a folder with a copy is recorded in `thread_removed` (a trigger: a count alone would
not see a removal made up for by a message older than the last one read), for the reader
to take out of the links (Linked.remove, where exact); past REMOVALS_KEPT removals the
trigger drops the copy instead. It costs deletes a look-up each, inserts nothing. New
mail only raises the count and the highest UID: the reader extends what it finds.
Nothing is written while a folder's first pass is under way (older messages are still
coming).

Each blob carries its CRC-32 and each part its type and length: a blob that does not read
exactly as written (cut short, another layout, another machine's byte order) is dropped
and the folder threaded from scratch; it is never a reason to set the cache aside. The
`format` column names this code's layout, the byte order and the int hash's modulus
(thread_links.key depends on it). Blobs are read and written a part at a time through
SQLite's blob I/O: no copy of the whole (60 MB for a million messages) is ever made.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import sys
import unicodedata
import zlib
from array import array
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import NamedTuple

from tui_mail.core.store.health import CacheError
from tui_mail.core.store.long_reads import LongReads
from tui_mail.core.store.thread_growth import Laid
from tui_mail.core.store.thread_state import PART_TYPES, Linked
from tui_mail.core.store.threads import ThreadOrder

log = logging.getLogger(__name__)

FORMAT = (
    f"2 {sys.byteorder} {sys.hash_info.modulus} {array('i').itemsize} {unicodedata.unidata_version}"
)
"""This layout of the rows and what their keys depend on: the byte order, the int hash's
modulus, and the Unicode version (subjects are keyed case-folded); a row of another is
not read (and is replaced when written). Raise the number when keys or links change."""

_ORDER_TYPES = "qiiiiii"
"""ThreadOrder's uids, numbers, parents, next_siblings, depths; Laid's thread_of and
gap_thread."""

_PARTS = {"links": 0, "layout": 1}
"""Which row of thread_saved_data holds which blob of a folder: folder_id * 2 + this."""

# Each blob is alone at the end of its own row: SQLite makes a zeroblob of the size asked
# without allocating it only as a record's last column; in the middle of the folder's row
# it held it twice in memory while inserting (63 MB for the links of a million).
REMOVALS_KEPT = 5_000
"""Removals recorded since the kept copy before it is dropped instead (a new session
takes them out of the links it reads back; past this, threading again is as cheap)."""

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS thread_saved (
    folder_id INTEGER PRIMARY KEY REFERENCES folders(id) ON DELETE CASCADE,
    format TEXT NOT NULL,
    uidvalidity INTEGER,
    count INTEGER NOT NULL,
    max_uid INTEGER NOT NULL,
    links_crc INTEGER NOT NULL,
    layout_crc INTEGER,
    removed INTEGER NOT NULL DEFAULT 0
)""",
    """CREATE TABLE IF NOT EXISTS thread_saved_data (id INTEGER PRIMARY KEY, data BLOB NOT NULL)""",
    # AUTOINCREMENT: an id is never given again, so "removals after id N" stays true
    # after the rows up to N went with a new copy.
    """CREATE TABLE IF NOT EXISTS thread_removed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS thread_removed_folder ON thread_removed (folder_id, id)",
    f"""CREATE TRIGGER IF NOT EXISTS thread_saved_removal AFTER DELETE ON messages
    WHEN EXISTS (SELECT 1 FROM thread_saved WHERE folder_id = old.folder_id) BEGIN
    INSERT INTO thread_removed (folder_id, uid) VALUES (old.folder_id, old.uid);
    UPDATE thread_saved SET removed = removed + 1 WHERE folder_id = old.folder_id;
    DELETE FROM thread_saved_data WHERE id IN (old.folder_id * 2, old.folder_id * 2 + 1)
    AND (SELECT removed FROM thread_saved WHERE folder_id = old.folder_id) > {REMOVALS_KEPT};
    DELETE FROM thread_removed WHERE folder_id = old.folder_id
    AND (SELECT removed FROM thread_saved WHERE folder_id = old.folder_id) > {REMOVALS_KEPT};
    DELETE FROM thread_saved WHERE folder_id = old.folder_id AND removed > {REMOVALS_KEPT};
    END""",  # noqa: S608 (a constant of this module)
    # A new UIDVALIDITY (reset_folder) makes every UID another message: the copy goes.
    """CREATE TRIGGER IF NOT EXISTS thread_saved_reset AFTER UPDATE OF uidvalidity ON folders
    WHEN old.uidvalidity IS NOT new.uidvalidity BEGIN
    DELETE FROM thread_saved WHERE folder_id = old.id;
    DELETE FROM thread_saved_data WHERE id IN (old.id * 2, old.id * 2 + 1);
    DELETE FROM thread_removed WHERE folder_id = old.id;
    END""",
)
_OBJECTS = (
    "thread_saved",
    "thread_saved_data",
    "thread_removed",
    "thread_saved_removal",
    "thread_saved_reset",
)
_FORMER = "thread_saved_gone"
"""The trigger of schema 6's first form (a removal dropped the copy; no removal table)."""


def install(db: sqlite3.Connection) -> None:
    """Add what schema 6 adds (running it again is safe; inside a transaction, in it)."""
    for statement in _SCHEMA:
        db.execute(statement)


def ensure(db: sqlite3.Connection) -> None:
    """At open: a table or trigger lost (dropped by a tool) is made again; the rows of a
    table whose trigger was missing may describe folders since changed: they go."""
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    if not set(_OBJECTS) <= names or _FORMER in names:
        log.info("the cache's kept threads are missing a part; starting them again")
        db.execute(f"DROP TRIGGER IF EXISTS {_FORMER}")
        db.execute("DROP TRIGGER IF EXISTS thread_saved_removal")
        db.execute("DROP TRIGGER IF EXISTS thread_saved_reset")
        for table in ("thread_saved", "thread_saved_data", "thread_removed"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        install(db)


class Saved(NamedTuple):
    """What a row describes: the folder when it was written."""

    size: int
    """Messages in the folder."""
    max_uid: int


class SavedThreads:
    """The rows of one store, read on the calling thread's connection, written through the
    store's transaction."""

    def __init__(
        self,
        read: Callable[[], sqlite3.Connection],
        transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
        long_reads: LongReads,
    ) -> None:
        self._read = read
        self._transaction = transaction
        self._long_reads = long_reads
        """Blob reads are among them: closing the store waits for them to end (closing a
        connection under another thread's read crashes the interpreter)."""

    def saved(self, folder_id: int) -> Saved | None:
        """The folder as its row describes it, if the row is of this format and the
        folder's UIDVALIDITY (no blob read)."""
        row = (
            self._read()
            .execute(
                "SELECT s.count, s.max_uid FROM thread_saved s JOIN folders f ON f.id = s.folder_id"
                " WHERE s.folder_id = ? AND s.format = ? AND s.uidvalidity IS f.uidvalidity",
                (folder_id, FORMAT),
            )
            .fetchone()
        )
        return None if row is None else Saved(int(row[0]), int(row[1]))

    def removed_since(self, folder_id: int, mark: int) -> tuple[list[int], int] | None:
        """The UIDs removed from the folder after removal `mark` (0: since the copy),
        and the mark to ask after them next time; None when removals are not recorded
        (the cache keeps no copy for the folder, or dropped it after too many)."""
        db = self._read()
        if db.execute("SELECT 1 FROM thread_saved WHERE folder_id = ?", (folder_id,)).fetchone():
            rows = db.execute(
                "SELECT id, uid FROM thread_removed WHERE folder_id = ? AND id > ? ORDER BY id",
                (folder_id, mark),
            ).fetchall()
            return [int(uid) for _id, uid in rows], int(rows[-1][0]) if rows else mark
        return None

    def removal_mark(self, folder_id: int) -> int:
        """The last removal recorded for the folder: what threads read after now have
        taken out (read it before reading the folder)."""
        row = (
            self._read()
            .execute("SELECT max(id) FROM thread_removed WHERE folder_id = ?", (folder_id,))
            .fetchone()
        )
        return int(row[0] or 0)

    def links(self, folder_id: int, saved: Saved) -> Linked | None:
        """The links the row keeps, if it still describes `saved`; None (and the row
        dropped) when they do not read as written."""
        parts = self._parts(folder_id, saved, "links", PART_TYPES)
        if parts is None:
            return None
        try:
            linked = Linked.from_parts(parts)
        except ValueError:
            linked = None
        if linked is None or len(linked) != saved.size:
            self._drop(folder_id, "links")
            return None
        return linked

    def laid(self, folder_id: int, saved: Saved) -> Laid | None:
        """The default order the row keeps (newest thread first), if it has one."""
        parts = self._parts(folder_id, saved, "layout", _ORDER_TYPES)
        if parts is None:
            return None
        uids, numbers, parents, siblings, depths, thread_of, gap_thread = parts
        if not len(uids) == len(numbers) == len(parents) == len(siblings) == len(depths):
            self._drop(folder_id, "layout")
            return None
        if len(uids) != saved.size or len(thread_of) != saved.size:
            self._drop(folder_id, "layout")
            return None
        order = ThreadOrder(uids.tolist(), numbers, parents, siblings, depths)
        return Laid(order, thread_of, gap_thread)

    def save(
        self,
        folder_id: int,
        saved: Saved,
        links: Sequence[array[int]],
        layout: Sequence[array[int]] | None,
        mark: int = 0,
    ) -> bool:
        """Keep these links (Linked.parts) and the default order made of them
        (order_parts), if the folder is still as `saved` says, nothing was removed
        after removal `mark` (what the links took out), and its first pass is over;
        whether they were kept. The arrays are written from their own memory, a
        part at a time (no blob of all of them is made: 60 MB for a million messages)."""
        blobs = {"links": links, "layout": layout}
        with self._transaction() as db:
            (count, top, first_pass, uidvalidity) = db.execute(
                "SELECT (SELECT count(*) FROM messages WHERE folder_id = f.id),"
                " (SELECT max(uid) FROM messages WHERE folder_id = f.id),"
                " f.partial_uidvalidity IS NOT NULL, f.uidvalidity FROM folders f WHERE f.id = ?",
                (folder_id,),
            ).fetchone() or (None, None, True, None)
            if first_pass or (count, top or 0) != (saved.size, saved.max_uid):
                return False
            if db.execute(
                "SELECT 1 FROM thread_removed WHERE folder_id = ? AND id > ?", (folder_id, mark)
            ).fetchone():
                return False  # a removal the links have not seen (made up for by a message)
            heads = {name: _head(parts) for name, parts in blobs.items() if parts is not None}
            _delete(db, folder_id)
            db.execute(
                "INSERT INTO thread_saved (folder_id, format, uidvalidity, count, max_uid,"
                " links_crc, layout_crc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    folder_id,
                    FORMAT,
                    uidvalidity,
                    saved.size,
                    saved.max_uid,
                    _crc(heads["links"], links),
                    None if layout is None else _crc(heads["layout"], layout),
                ),
            )
            # Zeroes of the blob's size, then the arrays written in place, a part at a time.
            for name, parts in blobs.items():
                if parts is None:
                    continue
                row = folder_id * 2 + _PARTS[name]
                db.execute(
                    "INSERT INTO thread_saved_data (id, data) VALUES (?, zeroblob(?))",
                    (row, _size(heads[name], parts)),
                )
                with db.blobopen("thread_saved_data", "data", row) as blob:
                    for chunk in (heads[name], *parts):
                        blob.write(memoryview(chunk).cast("B"))
        return True

    def _parts(
        self, folder_id: int, saved: Saved, column: str, types: str
    ) -> list[array[int]] | None:
        """The arrays of one blob, read a part at a time; None when they do not read
        exactly as written (the row is dropped then)."""
        db = self._read()
        row = db.execute(
            f"SELECT {column}_crc IS NOT NULL, {column}_crc FROM thread_saved"  # noqa: S608
            " WHERE folder_id = ? AND format = ? AND count = ? AND max_uid = ?",
            (folder_id, FORMAT, saved.size, saved.max_uid),
        ).fetchone()
        if row is None or not row[0]:
            return None
        try:
            with (
                self._long_reads.reading(),
                db.blobopen(
                    "thread_saved_data", "data", folder_id * 2 + _PARTS[column], readonly=True
                ) as blob,
            ):
                parts = _read_parts(blob, types, row[1])
        except sqlite3.Error:  # no such row, or a page that does not read: not kept
            parts = None
        if parts is None:
            self._drop(folder_id, column)
        return parts

    def _drop(self, folder_id: int, what: str) -> None:
        log.warning("the threads kept for folder %s do not read as written (%s)", folder_id, what)
        with contextlib.suppress(CacheError, sqlite3.Error), self._transaction() as db:
            _delete(db, folder_id)


def _delete(db: sqlite3.Connection, folder_id: int) -> None:
    db.execute("DELETE FROM thread_saved WHERE folder_id = ?", (folder_id,))
    rows = [(folder_id * 2 + part,) for part in _PARTS.values()]
    db.executemany("DELETE FROM thread_saved_data WHERE id = ?", rows)
    db.execute("DELETE FROM thread_removed WHERE folder_id = ?", (folder_id,))


def laid_parts(laid: Laid) -> list[array[int]]:
    """A default order as the arrays SavedThreads.save takes for the layout."""
    order = laid.order
    parts = [order.uids, order.numbers, order.parents, order.next_siblings, order.depths]
    parts += [laid.thread_of, laid.gap_thread]
    return [
        part if isinstance(part, array) and part.typecode == typecode else array(typecode, part)
        for typecode, part in zip(_ORDER_TYPES, parts, strict=True)
    ]


def _head(parts: Sequence[array[int]]) -> array[int]:
    """A blob's head: how many arrays, then each one's type and length."""
    head = array("q", [len(parts)])
    for part in parts:
        head.extend((ord(part.typecode), len(part)))
    return head


def _size(head: array[int], parts: Sequence[array[int]]) -> int:
    return sum(len(part) * part.itemsize for part in (head, *parts))


def _crc(head: array[int], parts: Sequence[array[int]]) -> int:
    crc = 0
    for part in (head, *parts):
        crc = zlib.crc32(memoryview(part).cast("B"), crc)
    return crc


def _read_parts(blob: sqlite3.Blob, types: str, crc: int | None) -> list[array[int]] | None:
    """The arrays a blob holds, if they are of these types, fill it exactly and match
    their CRC."""
    word = array("q").itemsize
    head_bytes = blob.read((1 + 2 * len(types)) * word)
    if len(head_bytes) != (1 + 2 * len(types)) * word:
        return None
    head = array("q")
    head.frombytes(head_bytes)
    if head[0] != len(types):
        return None
    found = zlib.crc32(head_bytes)
    parts: list[array[int]] = []
    for index, typecode in enumerate(types):
        code, length = head[1 + 2 * index], head[2 + 2 * index]
        part = array(typecode)
        if code != ord(typecode) or not 0 <= length <= len(blob):
            return None
        data = blob.read(length * part.itemsize)
        if len(data) != length * part.itemsize:
            return None
        found = zlib.crc32(data, found)
        part.frombytes(data)
        del data
        parts.append(part)
    if blob.tell() != len(blob) or found != crc:
        return None
    return parts
