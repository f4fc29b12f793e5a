"""The message list's rows: MessageSummary read from the cache's `messages` table.

Functions of a read connection (the Store hands its own). Each query returns ONE JSON row
instead of one row per message: Python's sqlite3 hands the GIL over for every row stepped,
which is slow while a sync thread is parsing headers (see Store.ordered_uids).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext

from tui_mail.core.models import Flag, MessageSummary

SUMMARY_COLUMNS = (
    "uid, date, from_name, from_addr, to_addrs, cc_addrs, subject, message_id, in_reply_to,"
    " refs, size, flags, keywords, has_attachment, modseq"
)
"""The `messages` columns a SummaryRow holds, in its order."""


def summaries(
    db: sqlite3.Connection,
    folder_id: int,
    *,
    limit: int | None = None,
    offset: int = 0,
    unread_only: bool = False,
    uids: Iterable[int] | None = None,
) -> list[MessageSummary]:
    """Messages newest first (by date, then UID)."""
    unread = " AND (flags & ?) = 0" if unread_only else ""
    unread_params: list[object] = [int(Flag.SEEN)] if unread_only else []
    if uids is not None:
        return _summaries_of(db, folder_id, list(uids), unread, unread_params)[
            offset : None if limit is None else offset + limit
        ]
    # One JSON row instead of one row per message: see the module docstring.
    sql = (
        f"SELECT json_group_array(json_array({SUMMARY_COLUMNS})) FROM ("  # noqa: S608
        f"SELECT {SUMMARY_COLUMNS} FROM messages WHERE folder_id = ?{unread}"
        " ORDER BY date DESC, uid DESC LIMIT ? OFFSET ?)"
    )
    params = [folder_id, *unread_params, -1 if limit is None else limit, offset]
    (rows,) = db.execute(sql, params).fetchone()
    return [_summary(tuple(row)) for row in json.loads(rows)]


def _summaries_of(
    db: sqlite3.Connection,
    folder_id: int,
    uids: list[int],
    unread: str,
    unread_params: list[object],
) -> list[MessageSummary]:
    """Rows for given UIDs by primary key, sorted here: with ORDER BY in SQL the planner
    walks the date index over the whole folder instead (0.2 s per page at 100,000)."""
    found: list[MessageSummary] = []
    for start in range(0, len(uids), 500):  # well under SQLite's variable limit
        chunk = uids[start : start + 500]
        sql = (
            f"SELECT json_group_array(json_array({SUMMARY_COLUMNS})) FROM messages"  # noqa: S608
            f" WHERE folder_id = ?{unread} AND uid IN ({','.join('?' * len(chunk))})"
        )
        (rows,) = db.execute(sql, [folder_id, *unread_params, *chunk]).fetchone()
        found.extend(_summary(tuple(row)) for row in json.loads(rows))
    found.sort(key=lambda m: (m.date, m.uid), reverse=True)
    return found


def _summary(row: tuple[object, ...]) -> MessageSummary:
    (uid, date, from_name, from_addr, to, cc, subject, message_id, in_reply_to, refs, size,
     flags, keywords, has_attachment, _modseq) = row  # fmt: skip
    return MessageSummary(
        uid=int(uid),  # type: ignore[call-overload]
        date=int(date),  # type: ignore[call-overload]
        from_name=str(from_name),
        from_addr=str(from_addr),
        to=str(to),
        cc=str(cc),
        subject=str(subject),
        message_id=str(message_id),
        in_reply_to=str(in_reply_to),
        references=str(refs),
        size=int(size),  # type: ignore[call-overload]
        flags=Flag(int(flags)),  # type: ignore[call-overload]
        keywords=tuple(str(keywords).split()),
        has_attachment=bool(has_attachment),
    )


def search_words(db: sqlite3.Connection, folder_id: int, words: list[str]) -> list[int]:
    """UIDs whose subject or sender contain every word (case-insensitive): instant
    results from the cache while the server search runs."""
    where = "folder_id = ?"
    params: list[object] = [folder_id]
    for word in words:
        where += " AND (subject LIKE ? ESCAPE '\\' OR from_name LIKE ? ESCAPE '\\'"
        where += " OR from_addr LIKE ? ESCAPE '\\')"
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params += [pattern, pattern, pattern]
    rows = db.execute(f"SELECT uid FROM messages WHERE {where}", params).fetchall()  # noqa: S608
    return [row[0] for row in rows]


THREAD_CHUNK = 5_000
"""Messages read at once for threading: a JSON row of them is about a megabyte, where one
of a million messages' headers was hundreds (and the decoded rows a gigabyte)."""


def thread_fields(
    db: sqlite3.Connection,
    folder_id: int,
    unread_only: bool = False,
    above_uid: int = 0,
    reading: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> Iterator[tuple[int, int, str, str, str, str]]:
    """(uid, date, message_id, in_reply_to, references, subject) of every message (with
    a UID above `above_uid`), by (date, uid): what core/store/threads.py builds
    conversations from, as it reads them.

    A chunk at a time, each ONE JSON row (see the module docstring), from the
    (folder_id, date, uid) index: each chunk starts after the last one's (date, uid).
    Each query runs inside `reading` (the store's LongReads: closing it interrupts them).
    """
    unread = " AND (flags & ?) = 0" if unread_only else ""
    params: tuple[int, ...] = (above_uid, int(Flag.SEEN)) if unread_only else (above_uid,)
    # The newest few (above_uid) found by UID and sorted (the unary + keeps the planner
    # off the date index, whose walk to them is 0.2 s for a million).
    plus = "+" if above_uid else ""
    after = (-(2**63), -1)
    while True:
        with reading():
            (rows,) = db.execute(
                "SELECT json_group_array(json_array(uid, date, message_id, in_reply_to, refs,"  # noqa: S608
                " subject)) FROM (SELECT uid, date, message_id, in_reply_to, refs, subject"
                f" FROM messages WHERE folder_id = ? AND ({plus}date, {plus}uid) > (?, ?)"
                f" AND uid > ?{unread} ORDER BY {plus}date, {plus}uid LIMIT ?)",
                (folder_id, *after, *params, THREAD_CHUNK),
            ).fetchone()
        chunk = json.loads(rows) if rows else []
        yield from map(tuple, chunk)
        if len(chunk) < THREAD_CHUNK:
            return
        after = (chunk[-1][1], chunk[-1][0])


def max_uid(db: sqlite3.Connection, folder_id: int) -> int:
    row = db.execute("SELECT max(uid) FROM messages WHERE folder_id = ?", (folder_id,)).fetchone()
    return int(row[0] or 0)


def count(db: sqlite3.Connection, folder_id: int) -> int:
    row = db.execute("SELECT count(*) FROM messages WHERE folder_id = ?", (folder_id,)).fetchone()
    return int(row[0])


def tally(db: sqlite3.Connection, folder_id: int, uids: Iterable[int]) -> tuple[int, int]:
    """(cached, unseen) among these UIDs: what an action on them does to the counts."""
    wanted = list(uids)
    total = unseen = 0
    for start in range(0, len(wanted), 500):  # well under SQLite's variable limit
        chunk = wanted[start : start + 500]
        found, unread = db.execute(
            "SELECT count(*), coalesce(sum((flags & ?) = 0), 0) FROM messages"  # noqa: S608
            f" WHERE folder_id = ? AND uid IN ({','.join('?' * len(chunk))})",
            (int(Flag.SEEN), folder_id, *chunk),
        ).fetchone()
        total, unseen = total + int(found), unseen + int(unread)
    return total, unseen


def recent_correspondents(db: sqlite3.Connection, limit: int) -> list[tuple[str, str, str, str]]:
    """(from_name, from_addr, to, cc) of the newest `limit` cached messages, every
    folder: what address completion in the compose screen learns from."""
    rows = db.execute(
        "SELECT from_name, from_addr, to_addrs, cc_addrs FROM messages ORDER BY date DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]
