"""What a folder's flags cost to count and to find (schema 5): partial indexes that hold
only the unseen and only the flagged messages.

`is:flagged` and `is:unread` with no word read the folder's rows in date order and test
each one's flags (521 ms at a million), and `Store.counts`, which every sync ends with,
read every row for its flags (0.4-2 s at a million). Each index holds (folder_id, date,
uid) in the order a list and a search want, and `flags` too: SQLite (3.40) does not see
that the index's condition already decides the query's test of `flags`, and without the
column it read every hit's row (counting 143,000 unseen took 160 ms instead of 5 ms).
The total is a count over the narrow (folder_id, date, uid) index: 30 ms at a million.

Counts kept in the folders row by triggers were tried first (constant time): a counting
trigger beside the full-text index's and these indexes made a sync's inserts 0.45 s
slower per 100,000 messages (0.69 -> 1.15 s of CPU), against 0.04 s for the indexes
alone; a few milliseconds per count at the end of a sync are the better trade.

SQLite uses a partial index only when the query's WHERE holds the index's own condition
as a term, written the same way (`(flags & 4) != 0` would not do): `FLAG_SQL` is that
text, which core/store/matching.py writes for `HasFlag` and `LacksFlag`, numbers and all
(a bound number works only through SQLite preparing the statement again once bound).
"""

from __future__ import annotations

import logging
import sqlite3

from tui_mail.core.models import Flag

log = logging.getLogger(__name__)

FLAG_SQL: dict[tuple[Flag, bool], str] = {
    (Flag.SEEN, False): f"({{t}}flags & {int(Flag.SEEN)}) = 0",
    (Flag.FLAGGED, True): f"({{t}}flags & {int(Flag.FLAGGED)}) = {int(Flag.FLAGGED)}",
}
"""(flag, set) -> the condition of the partial index serving it; `{t}` is the table's
alias with its dot ("m.") or nothing. Other flags are no index's: most messages are read,
unflagged, not deleted, so those tests keep most rows anyway."""

INDEXES = {
    "messages_unseen": FLAG_SQL[Flag.SEEN, False],
    "messages_flagged": FLAG_SQL[Flag.FLAGGED, True],
}
"""Partial index -> its condition (core/store/fts_search.py tests a search's hits in them)."""


def install(db: sqlite3.Connection) -> None:
    """Add what schema 5 adds to a cache of any older schema (or a new one); running it
    again is safe. Made at once, not at first use like the sort indexes: a count needs
    the unseen one at the end of the first sync (0.4 s to make for a million messages)."""
    for name, condition in INDEXES.items():
        db.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON messages (folder_id, date, uid, flags)"
            f" WHERE {condition.format(t='')}"
        )


def ensure(db: sqlite3.Connection) -> None:
    """At open: an index lost (dropped by hand, by a tool) is made again."""
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    if not set(INDEXES) <= names:
        log.info("the cache's flag indexes are missing; making them again")
        install(db)


def counts(db: sqlite3.Connection, folder_id: int) -> tuple[int, int]:
    """(total, unseen) of the folder's cached messages, each counted from an index."""
    unseen = FLAG_SQL[Flag.SEEN, False].format(t="")
    total, unread = db.execute(
        "SELECT (SELECT count(*) FROM messages WHERE folder_id = ?),"  # noqa: S608
        f" (SELECT count(*) FROM messages WHERE folder_id = ? AND {unseen})",
        (folder_id, folder_id),
    ).fetchone()
    return int(total), int(unread)
