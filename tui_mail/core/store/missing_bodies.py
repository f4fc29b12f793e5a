"""What downloading bodies ahead asks the cache (core/account/offline_bodies.py): which
recent messages have no cached body yet, and how much room the cached bodies take.

Asking the cache each time, rather than keeping a list of our own, is what makes the
download resumable: whatever a stopped run did not save is simply still missing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence


def missing_bodies(
    db: sqlite3.Connection,
    folder_ids: Sequence[int],
    since: int,
    max_size: int,
    limit: int | None = None,
) -> list[tuple[int, int, int]]:
    """(folder_id, uid, size) of the messages in these folders dated `since` or later, of
    at most `max_size` bytes, whose body is not cached: newest first, the first `limit`."""
    if not folder_ids:
        return []
    marks = ",".join("?" * len(folder_ids))
    rows = db.execute(
        "SELECT m.folder_id, m.uid, m.size FROM messages AS m"  # noqa: S608 (only ?s)
        f" WHERE m.folder_id IN ({marks}) AND m.date >= ? AND m.size <= ?"
        " AND NOT EXISTS (SELECT 1 FROM bodies AS b"
        " WHERE b.folder_id = m.folder_id AND b.uid = m.uid)"
        " ORDER BY m.date DESC, m.uid DESC LIMIT ?",
        (*folder_ids, since, max_size, -1 if limit is None else limit),
    ).fetchall()
    return [(int(f), int(u), int(s)) for f, u, s in rows]


def count_missing(
    db: sqlite3.Connection, folder_ids: Sequence[int], since: int, max_size: int
) -> int:
    """How many messages `missing_bodies` would give without a limit (a second or so for
    100,000: asked once per run, for its progress)."""
    if not folder_ids:
        return 0
    marks = ",".join("?" * len(folder_ids))
    (count,) = db.execute(
        "SELECT count(*) FROM messages AS m"  # noqa: S608 (only ?s)
        f" WHERE m.folder_id IN ({marks}) AND m.date >= ? AND m.size <= ?"
        " AND NOT EXISTS (SELECT 1 FROM bodies AS b"
        " WHERE b.folder_id = m.folder_id AND b.uid = m.uid)",
        (*folder_ids, since, max_size),
    ).fetchone()
    return int(count)


def bodies_size(db: sqlite3.Connection) -> int:
    """Bytes of every cached body (SQLite reads a blob's length without its content)."""
    (total,) = db.execute("SELECT coalesce(sum(length(raw)), 0) FROM bodies").fetchone()
    return int(total)
