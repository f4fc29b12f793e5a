"""Which cached messages of a folder match a query (core/query.py), read from the cache only.

What a limited view needs offline: the cache holds every message's summary (sender,
recipients, subject, date, flags) and, for messages read before, the whole message. Each
term is first turned into SQL where SQLite can decide it alone (flags, dates, UIDs, ASCII
words in the summary's columns), so a 100,000-message folder is narrowed by one query; the
terms it cannot decide exactly (non-ASCII words, whose case SQLite's LIKE does not fold;
the body) leave a superset that `query.matcher` then checks in Python, over `CachedMessage`.

What the cache can answer, and so what a limit means:
- `from:` `to:` `cc:` `subject:` look at the summary's decoded values;
- `since:` and `before:` compare the day the list shows (the Date header's time, in the
  local time zone), not the day written in the header as IMAP's SENTSINCE does;
- `body:` and plain words look into the text of messages whose body is cached; plain
  words also match the sender, recipients and subject of every message.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

from tui_mail.core.message.charsets import decode_header_value
from tui_mail.core.message.headers import split_header_block
from tui_mail.core.message.searchable import text_of
from tui_mail.core.models import Flag
from tui_mail.core.query import (
    FieldContains,
    HasFlag,
    Header,
    LacksFlag,
    Query,
    SentBefore,
    SentSince,
    Term,
    Text,
    UidIn,
    matcher,
)
from tui_mail.core.store import flag_counts
from tui_mail.core.store.threads import gc_paused

HAS_BODY = "EXISTS (SELECT 1 FROM bodies b WHERE b.folder_id = m.folder_id AND b.uid = m.uid)"


@dataclass(frozen=True, slots=True)
class _Shown:
    """A value `query.matcher` reads of a cached message (CachedMessage's `header` or its
    summary's `text`), as the summary's columns and as SQL that joins them the same way."""

    columns: tuple[str, ...]
    joined: str
    separators: str
    """What the join puts between columns: a word holding none of these characters lies
    within one column, where a LIKE per column (cheaper than joining: measured 20-35 %
    of the folder's scan) finds it; one holding any may span two, and is looked for in
    the joined value (`"Alice Smith <alice"`)."""


_FROM = _Shown(
    ("from_name", "from_addr"),
    "(CASE WHEN m.from_name = '' THEN m.from_addr"
    " ELSE m.from_name || ' <' || m.from_addr || '>' END)",
    " <>",
)  # as CachedMessage._summary("from")
_COLUMNS: dict[str, _Shown] = {
    "from": _FROM,
    **{
        field: _Shown((column,), f"m.{column}", "")
        for field, column in (
            ("to", "to_addrs"),
            ("cc", "cc_addrs"),
            ("subject", "subject"),
            ("message-id", "message_id"),
        )
    },
}
"""Header fields the summary holds, and the columns that hold them."""
_SUMMARY = _Shown(
    ("from_name", "from_addr", "to_addrs", "cc_addrs", "subject"),
    "(m.from_name || ' ' || m.from_addr || ' ' || m.to_addrs || ' ' || m.cc_addrs"
    " || ' ' || m.subject)",
    " ",
)
"""What a plain word is looked for in when there is no cached body (as CachedMessage.text
joins it)."""
_MAX_UIDS_IN_SQL = 500
"""Well under SQLite's variable limit; a longer UidIn is checked in Python."""

# A limit is matched again after every sync, and decoding cached bodies is most of its time
# (2,000 bodies: half a second): the texts of recently decoded messages are kept, keyed by
# the raw message itself (its length and hash), so a rebuilt cache or a UID reused after a
# UIDVALIDITY change can never be given another message's text.
_TEXTS: OrderedDict[tuple[int, int], tuple[str, str]] = OrderedDict()
_TEXTS_LOCK = threading.Lock()
_TEXTS_KEPT = 4000
_TEXT_KEPT_MAX = 64 * 1024
"""Characters of text a kept message may have (longer ones are decoded each time)."""


@dataclass(frozen=True, slots=True)
class Clause:
    sql: str
    params: tuple[object, ...]
    exact: bool
    """True when SQL alone decides the term; else its rows still go through `matcher`."""


def matching_uids(db: sqlite3.Connection, folder_id: int, query: Query) -> list[int]:
    """UIDs of the folder's cached messages matching `query`, newest first."""
    clauses = [clause(term) for term in query.terms]
    where = " AND ".join(["m.folder_id = ?", *(f"({c.sql})" for c in clauses if c.sql)])
    params = [folder_id, *(p for c in clauses for p in c.params)]
    order = " ORDER BY m.date DESC, m.uid DESC"
    if all(c.exact for c in clauses):
        # One result row, not one per message: see core/store/summaries.py.
        (joined,) = db.execute(
            f"SELECT group_concat(uid) FROM (SELECT m.uid FROM messages m WHERE {where}{order})",  # noqa: S608
            params,
        ).fetchone()
        return [int(uid) for uid in joined.split(",")] if joined else []
    (rows,) = db.execute(
        "SELECT json_group_array(json_array(uid, date, flags, from_name, from_addr, to_addrs,"  # noqa: S608
        " cc_addrs, subject, message_id, has_body)) FROM (SELECT m.uid, m.date, m.flags,"
        " m.from_name, m.from_addr, m.to_addrs, m.cc_addrs, m.subject, m.message_id,"
        f" {HAS_BODY} AS has_body FROM messages m WHERE {where}{order})",
        params,
    ).fetchone()
    test = matcher(query)
    found: list[int] = []
    with gc_paused():  # up to 100,000 small lists: see core/store/threads.py
        candidates = json.loads(rows) if rows else []
    for row in candidates:
        if test(CachedMessage(db, folder_id, row)):
            found.append(int(row[0]))
    return found


def clause(term: Term) -> Clause:
    """`term` as SQL on `messages m`: exact, or a superset `matcher` narrows."""
    match term:
        case HasFlag(flag):
            return Clause(_flag_sql(flag, on=True), (), exact=True)
        case LacksFlag(flag):
            return Clause(_flag_sql(flag, on=False), (), exact=True)
        case UidIn(uids) if len(uids) <= _MAX_UIDS_IN_SQL:
            return Clause(f"m.uid IN ({','.join('?' * len(uids))})", tuple(uids), exact=True)
        case SentSince(day):
            return Clause("m.date >= ?", (local_midnight(day),), exact=True)
        case SentBefore(day):
            return Clause("m.date > 0 AND m.date < ?", (local_midnight(day),), exact=True)
        case FieldContains("body", _text):
            return Clause(HAS_BODY, (), exact=False)
        case FieldContains(field, text) | Header(field, text) if field.lower() in _COLUMNS:
            return _contains(_COLUMNS[field.lower()], text, or_body=False)
        case Header(_name, _text):
            return Clause(HAS_BODY, (), exact=False)  # only a cached message has it
        case Text(text):
            return _contains(_SUMMARY, text, or_body=True)
    return Clause("", (), exact=False)  # UidIn too long for SQL: matcher decides


# The letters beyond ASCII whose casefold holds ASCII letters (all of Unicode, as Python's
# str.casefold has them; tests/unit/test_limit_casefold.py checks the table is whole). In a
# stored value they stand for ASCII letters the matcher finds and LIKE does not see: Straße
# holds "strasse", ﬁle "file", İstanbul "i̇stanbul".
_EXPANDS = {
    "ß": "ss", "İ": "i\u0307", "ŉ": "\u02bcn", "\u017f": "s", "ǰ": "j\u030c", "ẖ": "h\u0331",
    "ẗ": "t\u0308", "ẘ": "w\u030a", "ẙ": "y\u030a", "ẚ": "a\u02be", "ẞ": "ss", "\u212a": "k",
    "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
}  # fmt: skip


def _flag_sql(flag: Flag, *, on: bool) -> str:
    """The test of one flag, with its number in the SQL: written as a partial index's
    condition where one serves it (core/store/flag_counts.py), which SQLite then uses."""
    known = flag_counts.FLAG_SQL.get((flag, on))
    if known is not None:
        return known.format(t="m.")
    bit = int(flag)
    return f"(m.flags & {bit}) = {bit if on else 0}"


def _contains(shown: _Shown, text: str, *, or_body: bool) -> Clause:
    """`text` in the value `shown` (or, `or_body`, a body is cached that may hold it).

    SQLite's LIKE folds the case of ASCII letters only: in a word with other letters each
    run of them becomes `%` (josé -> %jos%), so SQL keeps a superset and `matcher` decides.
    A value holding a letter whose casefold holds the word's ASCII letters (ß for "ss") is
    also looked at with those letters written out, so SQL never drops what `matcher`
    finds (GRÜSSE, grüsse and Grüße are one word to it)."""
    exact = text.isascii() and not or_body
    pattern = "%"
    for char in text:
        if char.isascii():
            pattern += "\\" + char if char in "\\%_" else char
        elif not pattern.endswith("%") or pattern.endswith("\\%"):
            pattern += "%"
    if pattern == "%":
        return Clause("", (), exact=False)  # nothing SQL can look for: matcher decides
    if not pattern.endswith("%") or pattern.endswith("\\%"):
        pattern += "%"
    body = f" OR {HAS_BODY}" if or_body else ""
    if any(char in text for char in shown.separators):
        values = [shown.joined]
    else:
        values = [f"m.{column}" for column in shown.columns]
    likes = [_like(value, pattern) for value in values]
    sql = " OR ".join(like for like, _count in likes) + body
    return Clause(sql, (pattern,) * sum(count for _like, count in likes), exact=exact)


def _like(column: str, pattern: str) -> tuple[str, int]:
    """(`column LIKE pattern` as `matcher` finds it, how many `pattern` parameters it takes).

    Where the value holds a letter whose casefold holds one of the pattern's, LIKE looks at
    the value with those letters written out as casefold writes them, which is exact; the
    letters are few and rare, so most values are never rewritten."""
    letters = set(pattern.lower())
    expands = sorted(c for c, folded in _EXPANDS.items() if letters.intersection(folded))
    like = f"{column} LIKE ? ESCAPE '\\'"
    if not expands:
        return like, 1
    expanded = column
    for char in expands:  # literals from the table above: no quote can be in them
        expanded = f"replace({expanded}, '{char}', '{_EXPANDS[char]}')"
    # Cheapest first: an ASCII value (most are) has as many characters as bytes (a blob's
    # length is not counted), and a GLOB for the letters is cheaper than rewriting.
    beyond_ascii = f"length({column}) != length(CAST({column} AS BLOB))"
    glob = f"{column} GLOB '*[{''.join(expands)}]*'"
    return f"({like} OR ({beyond_ascii} AND {glob} AND {expanded} LIKE ? ESCAPE '\\'))", 2


def local_midnight(day: date) -> int:
    """The Unix time `day` begins in the local time zone (the list shows local days)."""
    return int(time.mktime(day.timetuple()))


def header_fields(raw: bytes) -> dict[str, str]:
    """The raw message's header fields (undecoded), from the block before the first blank line."""
    end = min((i for i in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if i >= 0),
              default=len(raw))  # fmt: skip
    return split_header_block(raw[:end])


def raw_texts(raw: bytes, fields: dict[str, str] | None = None) -> tuple[str, str]:
    """(every decoded header value, the text of every text part) of a raw message: what
    `Text` and `body:` look into (the full-text index stores the same, core/store/fts.py)."""
    fields = header_fields(raw) if fields is None else fields
    return " ".join(decode_header_value(v) for v in fields.values()), text_of(raw)


class CachedMessage:
    """One cached message as a query sees it (a `query.Candidate`): its summary, and its
    whole text when the cache holds its body (read only when a term asks for it)."""

    __slots__ = ("_body", "_db", "_fields", "_folder_id", "_raw", "_row")

    def __init__(self, db: sqlite3.Connection, folder_id: int, row: list[object]) -> None:
        self._db = db
        self._folder_id = folder_id
        self._row = row
        self._raw: bytes | None = None
        self._fields: dict[str, str] | None = None
        self._body: str | None = None

    @property
    def uid(self) -> int:
        return int(self._row[0])  # type: ignore[call-overload, no-any-return]

    def flags(self) -> Flag:
        return Flag(int(self._row[2]))  # type: ignore[call-overload]

    def _summary(self, name: str) -> str | None:
        """A header field as the summary holds it; None when the summary has no column.
        (SQL joins the columns the same way: _COLUMNS, _SUMMARY.)"""
        row = self._row
        if name == "from":
            name_, addr = str(row[3]), str(row[4])
            return f"{name_} <{addr}>" if name_ else addr
        index = {"to": 5, "cc": 6, "subject": 7, "message-id": 8}.get(name)
        return None if index is None else str(row[index])

    def _cached(self) -> bytes:
        if self._raw is None:
            found = None
            if self._row[9]:
                found = self._db.execute(
                    "SELECT raw FROM bodies WHERE folder_id = ? AND uid = ?",
                    (self._folder_id, self.uid),
                ).fetchone()
            self._raw = b"" if found is None else bytes(found[0])
        return self._raw

    def _header_fields(self) -> dict[str, str]:
        if self._fields is None:
            self._fields = header_fields(self._cached())
        return self._fields

    def header(self, name: str) -> str:
        summary = self._summary(name)
        if summary is not None:
            return summary
        return decode_header_value(self._header_fields().get(name, ""))

    def sent_day(self) -> date | None:
        stamp = int(self._row[1])  # type: ignore[call-overload]
        return date.fromtimestamp(stamp) if stamp else None

    def _texts(self) -> tuple[str, str]:
        """(every decoded header value, the text of every text part) of the cached message,
        from `_TEXTS` when this very message was decoded before."""
        raw = self._cached()
        if not raw:
            return "", ""
        key = (len(raw), hash(raw))
        with _TEXTS_LOCK:
            found = _TEXTS.get(key)
            if found is not None:
                _TEXTS.move_to_end(key)
                return found
        texts = raw_texts(raw, self._header_fields())
        if len(texts[1]) <= _TEXT_KEPT_MAX:
            with _TEXTS_LOCK:
                _TEXTS[key] = texts
                while len(_TEXTS) > _TEXTS_KEPT:
                    _TEXTS.popitem(last=False)
        return texts

    def body(self) -> str:
        if self._body is None:
            self._body = self._texts()[1]
        return self._body

    def text(self) -> str:
        summary = " ".join(str(self._row[i]) for i in range(3, 8))
        headers, body = self._texts()
        return f"{summary} {headers}\n{body}" if headers or body else summary
