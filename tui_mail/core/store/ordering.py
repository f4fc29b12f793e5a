"""Sorting the cache's messages in SQL (core/sort.py says what each key means).

A re-sort of 100,000 messages must put rows on screen in well under 100 ms, so each
order is read from a covering index, walked forwards or backwards: 20-26 ms for 100,000
UIDs here, where SQLite sorting the folder itself took 60-100 ms.

The indexes are made the first time their key is used (`ensure_index`), not with the
schema: kept up to date all the time, the six of them made a 100,000-message first sync
1.4 s slower (0.4 s -> 1.8 s of inserts), a price nobody who never sorts should pay. Making
one costs 0.1-0.8 s once per cache. They index expressions of built-in functions only
(an index on a Python function would break every other reader of the file, and a stored
column would cost every sync), with the columns the expression reads appended: without
them SQLite 3.40 does not see the index as covering and looks every row up (170 ms).

The subject's "Re:"/"Fwd:" prefixes are stripped in SQL, two deep ("RE: AW: x" -> "x");
`lower()` folds ASCII letters only (an accented capital sorts apart, as in mutt).
"""

from __future__ import annotations

import json
import sqlite3

from tui_mail.core.models import Flag
from tui_mail.core.sort import SortKey, SortSpec

_PREFIXES = "('re','fw','fwd','aw','sv','antw','vs','ref')"
"""core/message/headers.py strip_reply_prefix's words ("Re[2]:" too: digits are trimmed)."""


def _strip_one(text: str) -> str:
    # The colon test first: most subjects fail it, and CASE then skips the string work.
    colon = f"instr({text}, ':')"
    word = f"trim(lower(substr({text}, 1, {colon} - 1)), ' 0123456789[]')"
    return (
        f"CASE WHEN {colon} BETWEEN 2 AND 10 AND {word} IN {_PREFIXES}"
        f" THEN ltrim(substr({text}, {colon} + 1)) ELSE {text} END"
    )


_SENDER = "lower(CASE WHEN from_name != '' THEN from_name ELSE from_addr END)"
_RECIPIENT = "lower(ltrim(to_addrs, '\"'' <'))"
_SUBJECT = f"lower(ltrim({_strip_one(_strip_one('subject'))}))"
_TIES = ("date DESC", "uid DESC")
_SEEN, _FLAGGED = int(Flag.SEEN), int(Flag.FLAGGED)


class _Order:
    def __init__(self, terms: tuple[str, ...], index: str | None = None, read: str = "") -> None:
        self.terms = terms
        """ORDER BY terms in the natural direction."""
        self.index = index
        """The name of the index that serves them (None: one the schema has)."""
        self.read = read
        """Columns the terms read, appended to the index so that it covers the query."""


_ORDERS: dict[SortKey, _Order] = {
    SortKey.DATE: _Order(_TIES),  # messages_by_date
    SortKey.ARRIVAL: _Order(("uid DESC",)),  # the primary key
    SortKey.FROM: _Order((f"{_SENDER} ASC", *_TIES), "messages_by_sender", "from_name, from_addr"),
    SortKey.TO: _Order((f"{_RECIPIENT} ASC", *_TIES), "messages_by_recipient", "to_addrs"),
    SortKey.SUBJECT: _Order((f"{_SUBJECT} ASC", *_TIES), "messages_by_subject", "subject"),
    SortKey.SIZE: _Order(("size DESC", *_TIES), "messages_by_size"),
    SortKey.UNREAD: _Order(
        (f"(flags & {int(Flag.SEEN)}) ASC", *_TIES), "messages_by_unread", "flags"
    ),
    SortKey.FLAGGED: _Order(
        (f"(flags & {int(Flag.FLAGGED)}) DESC", *_TIES), "messages_by_flagged", "flags"
    ),
}


def order_by(sort: SortSpec) -> str:
    """The ORDER BY terms of `sort`, exactly as its index holds them (else it is unused);
    reversed, every term flips and the index is walked backwards."""
    terms = _ORDERS[sort.key].terms
    if sort.reverse:
        terms = tuple(_flip(term) for term in terms)
    return ", ".join(terms)


def sort_value(key: SortKey) -> str:
    """The SQL expression of `key`'s first term (what the unified inbox merges by)."""
    return _ORDERS[key].terms[0].rsplit(" ", 1)[0]


def _flip(term: str) -> str:
    expression, direction = term.rsplit(" ", 1)
    return f"{expression} {'ASC' if direction == 'DESC' else 'DESC'}"


def index_statement(key: SortKey) -> str | None:
    """CREATE INDEX for `key` (idempotent), or None when the schema's indexes serve it."""
    order = _ORDERS[key]
    if order.index is None:
        return None
    read = f", {order.read}" if order.read else ""
    return (
        f"CREATE INDEX IF NOT EXISTS {order.index} ON messages"
        f" (folder_id, {', '.join(order.terms)}{read})"
    )


def has_index(db: sqlite3.Connection, key: SortKey) -> bool:
    order = _ORDERS[key]
    if order.index is None:
        return True
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (order.index,)
    ).fetchone()
    return found is not None


_PARSE_CHUNK = 300_000
"""Characters of UIDs parsed at once: about 40,000 UIDs, a few milliseconds."""


def parse_uids(joined: str | None) -> list[int]:
    """The UIDs of a group_concat (json.loads reads integers in half the time int() takes
    one by one), a chunk at a time: one json.loads of a million UIDs holds the GIL for
    0.3-0.5 s, and a list ordered on a background thread must not stall the UI's keys."""
    if not joined:
        return []
    if len(joined) <= _PARSE_CHUNK:
        return list(json.loads(f"[{joined}]"))
    uids: list[int] = []
    start, end = 0, len(joined)
    while start < end:
        stop = joined.find(",", start + _PARSE_CHUNK)
        stop = end if stop < 0 else stop
        uids += json.loads(f"[{joined[start:stop]}]")
        start = stop + 1
    return uids


def first_descending(key: SortKey) -> bool:
    """Whether `key`'s natural order puts larger values of `sort_value` first."""
    return _ORDERS[key].terms[0].endswith(" DESC")


def sort_values(
    db: sqlite3.Connection, folder_id: int, sort: SortSpec
) -> list[tuple[str | int, int, int]]:
    """(value of the key, date, UID) of every message in `sort`'s order, as ONE JSON row
    (see Store.ordered_uids for why one)."""
    (rows,) = db.execute(
        f"SELECT json_group_array(json_array(value, date, uid)) FROM (SELECT"  # noqa: S608
        f" {sort_value(sort.key)} AS value, date, uid FROM messages WHERE folder_id = ?"
        f" ORDER BY {order_by(sort)})",
        (folder_id,),
    ).fetchone()
    return [(value, int(date), int(uid)) for value, date, uid in json.loads(rows)] if rows else []


MOVES_WITH_FLAGS = frozenset({SortKey.UNREAD, SortKey.FLAGGED})
"""Keys whose place for a message changes with its flags (the others never change)."""


Keys = dict[int, tuple[int, tuple[str | int, ...]]]
"""UID -> (flags, place): see sort_keys."""


def sort_keys(db: sqlite3.Connection, folder_id: int, uids: list[int], key: SortKey) -> Keys:
    """UID -> (flags, the message's place under `key`'s natural order as a tuple that
    Python compares as SQLite orders: ascending terms as they are, descending ones (all
    integers) negated). Text compares alike: BINARY collation is UTF-8 byte order, which
    is code point order."""
    columns = []
    for term in _ORDERS[key].terms:
        expression, direction = term.rsplit(" ", 1)
        columns.append(f"-({expression})" if direction == "DESC" else expression)
    found: Keys = {}
    for start in range(0, len(uids), 500):
        chunk = uids[start : start + 500]
        rows = db.execute(
            f"SELECT uid, flags, {', '.join(columns)} FROM messages"  # noqa: S608
            f" WHERE folder_id = ? AND uid IN ({','.join('?' * len(chunk))})",
            (folder_id, *chunk),
        )
        for uid, flags, *values in rows:
            found[uid] = (flags, tuple(values))
    return found
