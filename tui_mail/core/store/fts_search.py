"""Searching the full-text index (core/store/fts.py says what it holds and how it keeps in
step): a query's words narrow by the index's trigrams (words of one or two letters by
the trigrams they begin: core/store/fts_short.py), `instr` on the case-folded documents
decides, flags and dates are SQL on `messages`; messages the index has not caught up
with go through `query.matcher`, so the answer is exactly the matcher's. The hits are
put newest first here, in Python (`newest_first`), not by SQLite's sorter."""

from __future__ import annotations

import json
import logging
import operator
import re
import sqlite3
from collections.abc import Iterator, Sequence
from itertools import chain, repeat

from tui_mail.core.query import FieldContains, Query, Text, UidIn, matcher
from tui_mail.core.store import flag_counts, fts_short, matching
from tui_mail.core.store.fts import Damaged, safe
from tui_mail.core.store.health import is_damage
from tui_mail.core.store.threads import gc_paused

log = logging.getLogger(__name__)

# What the matcher compares each part with, as SQL on the case-folded `search_docs d`
# (casefold of a concatenation is the concatenation of the casefolds): `from` is
# "Name <addr>" (or the address alone), a plain word looks into the summary's five values
# joined by spaces, then the cached message's headers and text.
_FROM = "(CASE WHEN d.name != '' THEN d.name || ' <' || d.addr || '>' ELSE d.addr END)"
_TEXT = (
    "(d.name || ' ' || d.addr || ' ' || d.recipients || ' ' || d.cc || ' ' || d.subject ||"
    " CASE WHEN d.headers != '' OR d.body != '' THEN ' ' || d.headers || char(10) || d.body"
    " ELSE '' END)"
)
_PARTS = {"from": _FROM, "to": "d.recipients", "cc": "d.cc", "subject": "d.subject",
          "body": "d.body"}  # fmt: skip
_COLUMNS = {
    _FROM: ("d.name", "d.addr"),
    _TEXT: ("d.name", "d.addr", "d.recipients", "d.cc", "d.subject", "d.headers", "d.body"),
}
"""The texts a part is joined from."""
_PENDING = (
    "(EXISTS (SELECT 1 FROM search_todo t WHERE t.folder_id = {0}.folder_id AND t.uid = {0}.uid)"
    " OR {0}.uid > coalesce((SELECT b.done_uid FROM search_bulk b"
    " WHERE b.folder_id = {0}.folder_id), {0}.uid))"
)
"""Not yet in the index: queued, or above what a first pass's bulk indexing has reached."""
_SPLIT = re.compile(r"[\s<>]+")
"""What the texts are joined with (and `from` adds): no piece of a word found in the index
can hold one, so a word is looked up by the pieces between them."""
_MAX_TRIGRAMS = 24


def find(
    db: sqlite3.Connection, folder_ids: Sequence[int], query: Query
) -> list[tuple[int, int, int]] | None:
    """(folder_id, uid, date) of the cached messages in `folder_ids` matching `query`,
    newest first; None when the index cannot answer it (the caller asks the matcher)."""
    if not folder_ids:
        return []
    parts = split(query)
    if parts is None:
        return None
    words, kept = parts
    # Sorting tens of thousands of hits in memory, not in a temporary file: measured, a
    # third of a search's time.
    db.execute("PRAGMA temp_store = MEMORY")
    scope = ",".join("?" * len(folder_ids))
    flags = [f"({c.sql})" for c in kept]
    flag_params = [p for c in kept for p in c.params]
    if not words:  # flags, dates, UIDs: the messages table decides alone
        where = " AND ".join([f"m.folder_id IN ({scope})", *flags])
        return _run(db, "m", f"FROM messages m WHERE {where}", [*folder_ids, *flag_params])
    pending = behind(db, folder_ids)
    try:
        found: list[tuple[list[int], list[int], list[int] | None]] = []
        for part in _indexed_search(
            db, words, folder_ids, pending=bool(pending), flagged=bool(flags)
        ):
            source, where, params = _flagged(part, kept, folder_ids) if kept else part
            found.append(_columns(db, f"FROM {source} WHERE {where}", [*params, *flag_params],
                                  many=len(folder_ids) > 1))  # fmt: skip
    except sqlite3.Error as error:
        if is_damage(error):
            raise Damaged from error
        if interrupted(error):
            raise
        log.exception("the search index could not answer %r", query)
        return None
    uids = list(chain.from_iterable(part[0] for part in found))
    dates = list(chain.from_iterable(part[1] for part in found))
    folders = list(chain.from_iterable(part[2] or () for part in found))
    with gc_paused():
        hits = newest_first(uids, dates, folders or None, folder_ids[0]) if uids else []
    if pending:  # what the index has not caught up with: the matcher
        hits += _matched(db, pending, query, kept)
        hits.sort(key=lambda hit: (-hit[2], -hit[1]))
    return hits


Part = tuple[str, str, list[object]]
"""FROM, WHERE and parameters of one part of a search (its hits are some of the answer)."""


_IN_INDEX = {condition.format(t="m."): name for name, condition in flag_counts.INDEXES.items()}
"""A flag test on `messages m` -> the partial index holding exactly its messages."""


def _flagged(part: Part, kept: list[matching.Clause], folder_ids: Sequence[int]) -> Part:
    """`part` with the query's flags and dates tested on `messages m`."""
    source, where, params = part
    flags = [f"({c.sql})" for c in kept]
    if source.startswith("search_docs"):  # no index: the flagged (say) messages first
        source = "messages m CROSS JOIN search_docs d ON d.folder_id = m.folder_id" \
                 " AND d.uid = m.uid"  # fmt: skip
        where = f"m.folder_id IN ({','.join('?' * len(folder_ids))}) AND {where}"
        return source, where + "".join(f" AND {f}" for f in flags), [*folder_ids, *params]
    if all(c.sql in _IN_INDEX for c in kept):
        # Unread, flagged: a look into that flag's partial index (folder, date, uid), not
        # the message's row: `alice is:unread` at 1M, 83,250 candidates, 170 -> 80 ms.
        tests = [
            f"EXISTS (SELECT 1 FROM messages m INDEXED BY {_IN_INDEX[c.sql]} WHERE"  # noqa: S608
            f" m.folder_id = d.folder_id AND m.date = d.date AND m.uid = d.uid AND {c.sql})"
            for c in kept
        ]
        return source, " AND ".join([where, *tests]), params
    # The index's (or the cached bodies') documents first.
    source += " CROSS JOIN messages m ON m.folder_id = d.folder_id AND m.uid = d.uid"
    return source, where + "".join(f" AND {f}" for f in flags), params


Words = list[tuple[str, str]]
"""(SQL expression of the part on `search_docs d`, case-folded word) of a query."""


def split(query: Query) -> tuple[Words, list[matching.Clause]] | None:
    """The query's words (what the documents decide) and its other terms as SQL on
    `messages m` (flags, dates, UIDs); None when the index cannot answer it."""
    words: Words = []
    kept: list[matching.Clause] = []
    for term in query.terms:
        match term:
            case FieldContains(field, text) if field in _PARTS:
                words.append((_PARTS[field], text.casefold()))
            case Text(text):
                words.append((_TEXT, text.casefold()))
            case UidIn(uids) if len(uids) > 500:
                return None
            case _:
                found = matching.clause(term)
                if not found.exact:  # a header only the cached message holds
                    return None
                kept.append(found)
    return words, kept


def word_tests(words: Words) -> tuple[list[str], list[object]]:
    """SQL conditions on `search_docs d` (and their parameters) that hold exactly when the
    document holds every word where it is looked for."""
    conditions: list[str] = []
    params: list[object] = []
    for expression, word in words:
        if not word:
            continue
        # A word without a joining character lies within one of the texts joined: looked
        # for in each, no joined copy of them is made for every document.
        columns = _COLUMNS.get(expression) if not _SPLIT.search(word) else None
        tests = [f"instr({column}, ?) > 0" for column in columns or (expression,)]
        conditions.append("(" + " OR ".join(tests) + ")")
        params += [word] * len(tests)
    return conditions, params


def interrupted(error: BaseException) -> bool:
    """Whether a read was cut short on purpose (a newer search superseded it)."""
    return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT


def behind(db: sqlite3.Connection, folder_ids: Sequence[int]) -> list[int]:
    """Those of `folder_ids` with messages the index has not caught up with (queued, or
    above a first pass's bulk mark): their words go to the matcher. One indexed look per
    folder, however long the queue (a rebuilt index queues every message)."""
    return [
        folder_id
        for (folder_id,) in db.execute(
            "SELECT f.value FROM json_each(?) f WHERE"
            " EXISTS (SELECT 1 FROM search_todo t WHERE t.folder_id = f.value)"
            " OR EXISTS (SELECT 1 FROM search_bulk b WHERE b.folder_id = f.value)",
            (json.dumps(list(folder_ids)),),
        )
    ]


def _indexed_search(
    db: sqlite3.Connection,
    words: Words,
    folder_ids: Sequence[int],
    *,
    pending: bool,
    flagged: bool,
) -> list[Part]:
    """(FROM, WHERE, parameters) of each part of the search finding `words` in the
    documents of these folders (their hits together are the answer): the index narrows
    by trigrams (or, for words of one or two letters, core/store/fts_short.py), `instr`
    decides."""
    scope = ",".join("?" * len(folder_ids))
    conditions = [f"d.folder_id IN ({scope})"]
    params: list[object] = [*folder_ids]
    tests, test_params = word_tests(words)
    conditions += tests
    params += test_params
    if pending:
        conditions.append("NOT " + _PENDING.format("d"))
    texts = [word for _expression, word in words]
    grams = trigrams(texts)
    # CROSS JOIN: the index first (the planner would run the MATCH once per message).
    indexed = "search_index s CROSS JOIN search_docs d ON d.id = s.rowid"
    if grams:
        match = " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams)
        return [(indexed, " AND ".join(["search_index MATCH ?", *conditions]), [match, *params])]
    pieces = fts_short.short_pieces(texts)
    # With flags or dates, the messages they pick first (a word's trigrams, looked up
    # for each, cost more: `bu is:flagged` 30 ms that way, 0.2 s through them at 1M).
    found = fts_short.groups(db, pieces, folder_ids) if pieces and not flagged else None
    if found is None:  # the documents carry the date: the messages table is not read
        return [("search_docs d", " AND ".join(conditions), params)]
    # Documents holding a cached body's text may end with the word: read (through
    # `bodies`, often few of them); the others, through the index.
    cached = "bodies b CROSS JOIN search_docs d ON d.folder_id = b.folder_id AND d.uid = b.uid"
    parts = [(cached, " AND ".join([f"b.folder_id IN ({scope})", f"NOT ({fts_short.NO_TAIL})",
                                     *conditions]), [*folder_ids, *params])]  # fmt: skip
    short = fts_short.match([], found)
    if short is not None:
        where = " AND ".join(["search_index MATCH ?", fts_short.NO_TAIL, *conditions])
        parts.append((indexed, where, [short, *params]))
    return parts


def _matched(
    db: sqlite3.Connection, folder_ids: list[int], query: Query, kept: list[matching.Clause]
) -> list[tuple[int, int, int]]:
    """The hits among messages queued for the index, as `query.matcher` finds them (its
    flags and dates narrowed in SQL first). Not matching_uids: its SQL narrowing of words
    misses what case folding expands (GRÜSSE is grüsse, Grüße too; LIKE sees no "ss")."""
    test = matcher(query)
    where = " AND ".join(["m.folder_id = ?", _PENDING.format("m"), *(f"({c.sql})" for c in kept)])
    hits: list[tuple[int, int, int]] = []
    for folder_id in folder_ids:
        (rows,) = db.execute(
            "SELECT json_group_array(json_array(uid, date, flags, from_name, from_addr,"  # noqa: S608
            " to_addrs, cc_addrs, subject, message_id, has_body)) FROM (SELECT m.uid, m.date,"
            " m.flags, m.from_name, m.from_addr, m.to_addrs, m.cc_addrs, m.subject,"
            f" m.message_id, {matching.HAS_BODY} AS has_body FROM messages m WHERE {where})",
            [folder_id, *(p for c in kept for p in c.params)],
        ).fetchone()
        with gc_paused():
            candidates = json.loads(rows) if rows else []
        hits += [
            (folder_id, row[0], row[1])
            for row in candidates
            if test(matching.CachedMessage(db, folder_id, row))
        ]
    return hits


def trigrams(words: Iterator[str] | Sequence[str]) -> list[str]:
    """The three-letter pieces every matching document holds (a few are enough to narrow:
    `instr` decides), left out where the FTS5 query syntax could not carry them."""
    grams: dict[str, None] = {}
    for word in words:
        for piece in _SPLIT.split(word):
            # Pieces that cover the word without overlapping ("quarterly": qua, rte, rly):
            # every gram the index intersects costs a pass over its list of documents,
            # and the overlapping ones narrow little more (at 1M: 6 grams of "quarterly"
            # 22 ms, these 3 grams 12 ms, for the same 142,800 documents).
            starts: Sequence[int] = range(0, len(piece) - 2, 3)
            if len(piece) > 3 and len(piece) % 3:
                starts = [*starts, len(piece) - 3]
            for start in starts:
                gram = piece[start : start + 3]
                if gram.isprintable() and safe(gram) == gram:
                    grams[gram] = None
    chosen = list(grams)
    if len(chosen) > _MAX_TRIGRAMS:
        step = len(chosen) / _MAX_TRIGRAMS
        chosen = [chosen[int(i * step)] for i in range(_MAX_TRIGRAMS)]
    return chosen


def _columns(
    db: sqlite3.Connection, source: str, params: list[object], *, many: bool
) -> tuple[list[int], list[int], list[int] | None]:
    """UIDs, dates and (`many` folders) folder ids of the hits of `SELECT ... {source}`
    on `search_docs d`, in the order found: `newest_first` sorts them, not SQL. SQLite's
    sorter took 75-100 ms of a 142,800-hit search at 1M (its merge sort costs the same
    however ordered the rows come), while the documents' ids follow each folder's UIDs
    (core/store/fts.py), nearly its dates, so the index hands them over nearly newest
    first and Python's sort (timsort: linear on runs) puts them in order in a few
    milliseconds. Read as ONE row (see `_run`), a column per list: one concatenation of
    three values per hit cost twice as much."""
    columns = "group_concat(d.uid), group_concat(d.date)"
    if many:
        columns += ", group_concat(d.folder_id)"
    # Raw: a damaged index must not look like a damaged cache (which would be set aside).
    row = sqlite3.Connection.execute(db, f"SELECT {columns} {source}", params).fetchone()
    if not row[0]:
        return [], [], [] if many else None
    with gc_paused():
        uids, dates = json.loads(f"[{row[0]}]"), json.loads(f"[{row[1]}]")
        return uids, dates, json.loads(f"[{row[2]}]") if many else None


def newest_first(
    uids: list[int], dates: list[int], folders: list[int] | None, folder_id: int
) -> list[tuple[int, int, int]]:
    """(folder_id, uid, date) of these hits (columns; `folders` None: all in `folder_id`)
    ordered by date then UID, newest first (ties between folders in any order). Each hit
    is packed into one integer (date, UID, folder: Python's integers have no width), so
    the sort compares integers, and the loops stay in C (map and operator)."""
    if min(uids) < 0 or (folders is not None and min(folders) < 0):  # not packable
        found = list(zip(folders or repeat(folder_id), uids, dates, strict=False))
        return sorted(found, key=lambda hit: (hit[2], hit[1]), reverse=True)
    uid_bits = max(uids).bit_length()
    keys = list(map(operator.or_, map(operator.lshift, dates, repeat(uid_bits)), uids))
    if folders is None:
        keys.sort(reverse=True)
        return list(
            zip(
                repeat(folder_id),
                map(operator.and_, keys, repeat((1 << uid_bits) - 1)),
                map(operator.rshift, keys, repeat(uid_bits)),
            )
        )
    folder_bits = max(folders).bit_length()
    keys = list(map(operator.or_, map(operator.lshift, keys, repeat(folder_bits)), folders))
    keys.sort(reverse=True)
    return list(
        zip(
            map(operator.and_, keys, repeat((1 << folder_bits) - 1)),
            map(operator.and_, map(operator.rshift, keys, repeat(folder_bits)),
                repeat((1 << uid_bits) - 1)),
            map(operator.rshift, keys, repeat(folder_bits + uid_bits)),
            strict=True,
        )
    )  # fmt: skip


def _run(
    db: sqlite3.Connection, table: str, source: str, params: list[object], *, raw: bool = False
) -> list[tuple[int, int, int]]:
    """The hits of `SELECT ... {source}` (`table`: the alias holding folder_id, uid and
    date), newest first, read as ONE row (Python's sqlite3 hands the GIL over for every
    row stepped: see core/store/summaries.py)."""
    t = table
    sql = (
        "SELECT group_concat(folder_id || ',' || uid || ',' || date) FROM"  # noqa: S608
        f" (SELECT {t}.folder_id, {t}.uid, {t}.date {source}"
        f" ORDER BY {t}.date DESC, {t}.uid DESC)"
    )
    # Raw: a damaged index must not look like a damaged cache (which would be set aside).
    execute = sqlite3.Connection.execute if raw else type(db).execute
    (joined,) = execute(db, sql, params).fetchone()
    if not joined:
        return []
    with gc_paused():
        flat = json.loads(f"[{joined}]")
        return list(zip(flat[::3], flat[1::3], flat[2::3], strict=True))
