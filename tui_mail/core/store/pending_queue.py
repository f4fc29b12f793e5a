"""The offline queue's own file: actions the user took that the server has not seen yet.

Not in the cache: the cache is a copy of the server's data and may be set aside and rebuilt
at any time (core/store/health.py); these actions exist nowhere else. A small SQLite file
per account under `<data_dir>/queue/`. Caches of the old layout kept the queue in a
`pending_actions` table; `move_from_cache` moves those rows here (through `adopt`) when such
a cache is opened, and a damaged one's readable rows are adopted too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from tui_mail.core.models import Flag
from tui_mail.core.store.health import CacheConnection, connect, writable_or_raise
from tui_mail.core.store.pending import PendingAction

# Queues written by earlier versions hold a flag as its IMAP name (\\Seen), the only
# names they ever wrote. Such rows may be on users' disks, waiting for a server: they are
# read as the flag they name.
_OLD_FLAG_NAMES = {
    "\\seen": Flag.SEEN,
    "\\answered": Flag.ANSWERED,
    "\\flagged": Flag.FLAGGED,
    "\\deleted": Flag.DELETED,
    "\\draft": Flag.DRAFT,
    "$forwarded": Flag.FORWARDED,
}

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pending_actions ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT NOT NULL)"
)


class PendingQueue:
    """The queued actions of one account, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: CacheConnection | None = None

    @property
    def _conn(self) -> CacheConnection:
        """Opened on first use: most sessions never queue anything, and a file that is
        never needed is never created."""
        if self._db is None:
            writable_or_raise(self.path)
            db = connect(self.path)
            db.execute("PRAGMA synchronous=FULL")  # each row is something the user did
            db.execute(_SCHEMA)
            self._db = db
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def add(self, action: PendingAction) -> int:
        """Queue an action; returns its position (replay goes by increasing id)."""
        return self.adopt([_encode(action)])[-1]

    def adopt(self, payloads: Iterable[str]) -> list[int]:
        """Append queued actions as stored (JSON) by this module or an old-layout cache."""
        payloads = list(payloads)
        if not payloads:
            return []
        with self._lock:
            db = self._conn
            db.execute("BEGIN IMMEDIATE")
            try:
                ids = [
                    int(
                        db.execute(
                            "INSERT INTO pending_actions (action) VALUES (?)", (p,)
                        ).lastrowid
                        or 0
                    )
                    for p in payloads
                ]
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return ids

    def actions(self) -> list[PendingAction]:
        if self._db is None and not self.path.exists():
            return []
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, action FROM pending_actions ORDER BY id"
            ).fetchall()
        return [_decode(int(action_id), payload) for action_id, payload in rows]

    def remove(self, action_id: int) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM pending_actions WHERE id = ?", (action_id,))

    def count(self) -> int:
        if self._db is None and not self.path.exists():
            return 0
        with self._lock:
            (count,) = self._conn.execute("SELECT count(*) FROM pending_actions").fetchone()
        return int(count)


def move_from_cache(cache: sqlite3.Connection, queue: PendingQueue) -> int:
    """Move the queue out of an old-layout cache (its `pending_actions` table); returns how
    many actions moved. Copied first, then dropped: a crash between the two replays an
    action twice, which replay tolerates (it asks the server what is still to be done)."""
    found = cache.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pending_actions'"
    ).fetchone()
    if found is None:
        return 0
    payloads = [row[0] for row in cache.execute("SELECT action FROM pending_actions ORDER BY id")]
    queue.adopt(payloads)
    cache.execute("DROP TABLE pending_actions")
    return len(payloads)


def _encode(action: PendingAction) -> str:
    return json.dumps(
        {
            "kind": action.kind,
            "folder": action.folder,
            "uids": list(action.uids),
            "flag": _flag_text(action.flag),
            "on": action.on,
            "destination": action.destination,
            "message_ids": list(action.message_ids),
        }
    )


def _decode(action_id: int, payload: str) -> PendingAction:
    data = json.loads(payload)
    return PendingAction(
        kind=data["kind"],
        folder=data["folder"],
        uids=tuple(int(uid) for uid in data["uids"]),
        flag=_flag(data["flag"]),
        on=bool(data["on"]),
        destination=data["destination"],
        message_ids=tuple(data["message_ids"]),
        id=action_id,
    )


def _flag_text(flag: Flag) -> str:
    """ "SEEN", "SEEN|FLAGGED"; "" for none (a move or a deletion)."""
    return "|".join(member.name or "" for member in flag)


def _flag(text: str) -> Flag:
    """A stored flag, in this module's words or an old queue's IMAP name. A name neither
    knows (a damaged row) reads as no flag, which replay skips, rather than making the
    whole queue unreadable."""
    flag = Flag.NONE
    for part in filter(None, text.split("|")):
        known = _OLD_FLAG_NAMES.get(part.lower()) or Flag.__members__.get(part)
        flag |= known or Flag.NONE
    return flag
