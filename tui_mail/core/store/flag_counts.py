"""What a folder's flags cost to count and to find, whatever its size (schema 5).

Counts: every folder row holds how many messages the cache has of it and how many of them
are unseen (`folders.message_total`, `folders.message_unseen`), kept by triggers on
`messages` in the very transaction of each write, so `Store.counts` reads one row instead
of counting the folder (0.4-2 s for a million messages, at the end of every sync). A
trigger costs about a microsecond a row written (0.1 s of a 100,000-message first sync);
counting in the store's methods instead would miss any write that does not pass there.
`INSERT OR REPLACE` deletes the row it replaces without firing delete triggers unless
`recursive_triggers` is on: the write connection turns it on (`configure`), or a message
fetched twice would be counted twice.

Flags: `is:flagged` and `is:unread` with no word read the folder's rows in date order and
test each one's flags (521 ms at a million). Partial indexes hold only the flagged and
only the unseen messages, in the (folder_id, date, uid) order a list and a search want,
and `flags` too: SQLite (3.40) does not see that the index's condition already decides
the query's test of `flags`, and without the column it read every hit's row (a count of
143,000 unseen took 160 ms instead of 5 ms).
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

_OLD, _NEW = (FLAG_SQL[Flag.SEEN, False].format(t=t) for t in ("old.", "new."))
"""Whether the row before a change, and after it, is unseen (1 or 0)."""
_INDEXES = {
    "messages_unseen": FLAG_SQL[Flag.SEEN, False],
    "messages_flagged": FLAG_SQL[Flag.FLAGGED, True],
}
_TRIGGERS = {
    "message_counts_added": f"""AFTER INSERT ON messages BEGIN
    UPDATE folders SET message_total = message_total + 1,
    message_unseen = message_unseen + ({_NEW}) WHERE id = new.folder_id; END""",  # noqa: S608
    "message_counts_gone": f"""AFTER DELETE ON messages BEGIN
    UPDATE folders SET message_total = message_total - 1,
    message_unseen = message_unseen - ({_OLD}) WHERE id = old.folder_id; END""",  # noqa: S608
    # Flags change by the thousand in a sync: only a change of the unseen bit (or of the
    # folder, which nothing does today) touches the counts.
    "message_counts_changed": f"""AFTER UPDATE OF flags, folder_id ON messages
    WHEN old.folder_id != new.folder_id OR ({_OLD}) != ({_NEW}) BEGIN
    UPDATE folders SET message_total = message_total - 1,
    message_unseen = message_unseen - ({_OLD}) WHERE id = old.folder_id;
    UPDATE folders SET message_total = message_total + 1,
    message_unseen = message_unseen + ({_NEW}) WHERE id = new.folder_id; END""",  # noqa: S608
}
_COLUMNS = ("message_total", "message_unseen")


def configure(db: sqlite3.Connection) -> None:
    """For the connection that writes: a replaced message row fires the delete trigger."""
    db.execute("PRAGMA recursive_triggers = ON")


def install(db: sqlite3.Connection) -> None:
    """Add what schema 5 adds to a cache of any older schema (or a new one), and count
    every folder once; the caller's transaction holds it, and running it again is safe."""
    present = {row[1] for row in db.execute("PRAGMA table_info(folders)")}
    for column in _COLUMNS:
        if column not in present:
            db.execute(f"ALTER TABLE folders ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
    for name, body in _TRIGGERS.items():
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    for name, condition in _INDEXES.items():
        db.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON messages (folder_id, date, uid, flags)"
            f" WHERE {condition.format(t='')}"
        )
    recount(db)


def ensure(db: sqlite3.Connection) -> None:
    """At open: a trigger or index lost (dropped by hand, a tool) is made again and the
    counts taken afresh, as counts a missing trigger did not keep cannot be trusted."""
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    if {*_TRIGGERS, *_INDEXES} <= names:
        return
    log.info("the cache's folder counts lost a trigger or index; counting again")
    db.execute("BEGIN IMMEDIATE")
    try:
        install(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def recount(db: sqlite3.Connection) -> None:
    """Count every folder's messages from scratch (what the triggers then keep)."""
    # Two counts, each from an index (unseen: the partial one), not one pass over the rows.
    unseen = FLAG_SQL[Flag.SEEN, False].format(t="m.")
    db.execute(
        "UPDATE folders SET message_total = (SELECT count(*) FROM messages m"  # noqa: S608
        " WHERE m.folder_id = folders.id), message_unseen = (SELECT count(*) FROM messages m"
        f" WHERE m.folder_id = folders.id AND {unseen})"
    )


def counts(db: sqlite3.Connection, folder_id: int) -> tuple[int, int]:
    """(total, unseen) of the folder's cached messages; (0, 0) for a folder not cached."""
    row = db.execute(
        "SELECT message_total, message_unseen FROM folders WHERE id = ?", (folder_id,)
    ).fetchone()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))
