"""The newest hits of a search first: a few screens of results without finding them all.

A broad word costs the full search (core/store/fts_search.py) about 3 microseconds per
hit, to find, sort by date and hand over: a one-letter prefix typed into the search line
hits most of a 100,000-message folder (0.1-0.3 s), a common word a tenth of a million
(0.3-0.4 s). The first screens are wanted at once, and for such a word they are near the
top of the folder: walking the folder newest first (the messages' date index) and testing
each document with the same `instr` conditions finds them after a few thousand rows.
A rare word would make that walk cross the whole folder, while the index answers it in
milliseconds: the index says which (a bounded count of its candidates), and the walk
stops after a window of rows in any case. Messages the index has not caught up with, or a
query without a word, leave it to the full search. The answer is a prefix of the full
search's, so the list can show it and later grow into the whole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from tui_mail.core.query import Query
from tui_mail.core.store.fts_search import behind, split, trigrams, word_tests

FIRST = 256
"""Hits of the first answer: two of the list's pages, six or seven screens."""
WINDOW = 20_000
"""Messages of a folder walked at most (about 15 ms) before the full search takes over."""
BROAD = 4_000
"""Index candidates from which a word counts as broad: fewer are found (and their dates
sorted) by the full search in about 10 ms, faster than a walk could be sure of."""

ENOUGH = 64
"""Hits the first answer needs, unless they are all (the list's tallest screen and more):
fewer, and the full search is waited for."""

Found = tuple[int, int, int]
"""(folder_id, uid, date), as fts_search.find gives them."""


def newest(
    db: sqlite3.Connection,
    folder_ids: Sequence[int],
    query: Query,
    count: int = FIRST,
) -> tuple[list[Found], bool] | None:
    """The first hits of what fts_search.find answers (newest first; at most `count`
    unless they are all), and whether they are all of them; None when a walk is not the
    fast way (find is, or only it can answer)."""
    parts = split(query)
    if parts is None or not parts[0] or not folder_ids:
        return None  # without a word: flags and dates alone (fts_search.find)
    words, kept = parts
    if behind(db, folder_ids):
        return None  # what the index has not caught up with: the matcher's, in find
    grams = trigrams(word for _expression, word in words)
    if grams and _candidates(db, grams, BROAD) < BROAD:
        return None
    tests, params = word_tests(words)
    conditions = [*tests, *(f"({c.sql})" for c in kept)]
    params += [p for c in kept for p in c.params]
    hits: list[Found] = []
    edges: list[tuple[int, int]] = []
    for folder_id in folder_ids:
        found, edge = _walk(db, folder_id, conditions, params, count, WINDOW)
        hits += found
        if edge is not None:
            edges.append(edge)
    hits.sort(key=lambda hit: (-hit[2], -hit[1]))
    if not edges:  # every folder was walked to its end: these are all the hits
        return hits, True
    return known_prefix(hits, max(edges), count)


def known_prefix(
    hits: list[Found], edge: tuple[int, int], count: int
) -> tuple[list[Found], bool] | None:
    """The first (at most `count`) of `hits` (newest first) down to `edge`, the (date,
    uid) down to which each source's hits are all known; None when they are too few to
    be worth showing before the whole answer."""
    known = [hit for hit in hits if (hit[2], hit[1]) >= edge][:count]
    return (known, False) if len(known) >= min(count, ENOUGH) else None


def _walk(
    db: sqlite3.Connection,
    folder_id: int,
    conditions: list[str],
    params: list[object],
    count: int,
    window: int,
) -> tuple[list[Found], tuple[int, int] | None]:
    """The folder's first `count` hits among its `window` newest messages, and the
    (date, uid) down to which they are all its hits (None: all of the folder's)."""
    edge = db.execute(
        "SELECT date, uid FROM messages INDEXED BY messages_by_date WHERE folder_id = ?"
        " ORDER BY date DESC, uid DESC LIMIT 1 OFFSET ?",
        (folder_id, window - 1),
    ).fetchone()
    within = [*conditions, "(m.date, m.uid) >= (?, ?)"] if edge else conditions
    # CROSS JOIN and INDEXED BY: the date order walked, never a sort of the folder.
    rows = db.execute(
        "SELECT m.uid, m.date FROM messages m INDEXED BY messages_by_date"  # noqa: S608
        " CROSS JOIN search_docs d ON d.folder_id = m.folder_id AND d.uid = m.uid"
        f" WHERE m.folder_id = ?{''.join(f' AND {c}' for c in within)}"
        " ORDER BY m.date DESC, m.uid DESC LIMIT ?",
        [folder_id, *params, *(edge or ()), count],
    ).fetchall()
    found = [(folder_id, uid, date) for uid, date in rows]
    if len(rows) == count:
        return found, (rows[-1][1], rows[-1][0])
    return found, (edge[0], edge[1]) if edge else None


def _candidates(db: sqlite3.Connection, grams: list[str], most: int) -> int:
    """How many documents (of any folder) hold every trigram, counted up to `most`."""
    match = " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams)
    (count,) = sqlite3.Connection.execute(
        db,
        "SELECT count(*) FROM (SELECT rowid FROM search_index WHERE search_index MATCH ? LIMIT ?)",
        (match, most),
    ).fetchone()
    return int(count)
