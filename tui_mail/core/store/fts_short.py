"""Words of one or two letters through the full-text index (core/store/fts.py).

The index holds three-letter pieces, so a search for `bu` read every document with
`instr` (seven texts each): 0.4 s of SQL at 1,000,000 messages. But the index's own list
of pieces (FTS5's vocabulary) is sorted, and every `bu` in a document without a cached
body is followed by at least two more characters of its indexed text (the texts are
joined by newlines, and such a document's text ends with the two of its empty headers and
body): the document holds one of the pieces that begin with `bu`, and those are a short
range of the vocabulary. A document with a cached body may end with the word (its text
ends with the body's), so those are read as before, found through `bodies` (usually a
small part of the cache). `instr` decides for both, so the answer stays exact.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence

MOST_TERMS = 64
"""Trigrams of the vocabulary a short piece may begin at most; past that (a common letter)
the index would merge so many lists that reading the documents is as fast."""
NO_TAIL = "d.headers = '' AND d.body = ''"
"""A document whose indexed text ends with two newlines (no cached body's text)."""

_SPLIT = re.compile(r"[\s<>]+")  # as fts_search._SPLIT: what the texts are joined with


def short_pieces(words: Iterable[str]) -> list[str]:
    """The pieces of one or two letters of these words (between joining characters)."""
    pieces: dict[str, None] = {}
    for word in words:
        for piece in _SPLIT.split(word):
            if 0 < len(piece) < 3:
                pieces[piece] = None
    return list(pieces)


def groups(
    db: sqlite3.Connection, pieces: list[str], folder_ids: Sequence[int]
) -> list[list[str]] | None:
    """For each narrowing piece, the index's trigrams that begin with it (an empty list:
    none does); None when reading the documents is the faster way. A piece that begins
    too many trigrams, or trigrams held by half the documents or more, narrows too little
    (each candidate is then looked up, dearer than reading it): left out, which only
    widens the candidates (`instr` decides)."""
    sqlite3.Connection.execute(
        db,
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_terms"
        " USING fts5vocab(main, search_index, row)",
    )
    (top,) = sqlite3.Connection.execute(db, "SELECT max(id) FROM search_docs").fetchone()
    half = (top or 0) // 2  # of the documents, at most (ids are never reused)
    found: list[list[str]] = []
    fewest = half  # documents holding the narrowest piece, at most
    for piece in pieces:
        terms = _terms(db, piece, half)
        if terms is not None:
            found.append(terms[0])
            fewest = min(fewest, terms[1])
    if not found or fewest >= half:
        return None
    if fewest and _searched(db, folder_ids, 2 * fewest + 1) <= 2 * fewest:
        return None  # the folders searched are small: their documents are read
    return found


def _terms(db: sqlite3.Connection, piece: str, half: int) -> tuple[list[str], int] | None:
    """The trigrams that begin with `piece`, and the documents holding them (at most: a
    document may hold several); None when there are too many of either, or one the
    query syntax cannot carry."""
    terms: list[str] = []
    holding = 0
    # The vocabulary is in byte order (UTF-8: code point order): the terms that begin with
    # the piece follow one another from it. Each row counts its term's documents.
    for term, documents in sqlite3.Connection.execute(
        db, "SELECT term, doc FROM temp.search_terms WHERE term >= ?", (piece,)
    ):
        if not term.startswith(piece):
            break
        holding += documents
        if len(terms) == MOST_TERMS or holding >= half or "\0" in term:
            return None
        terms.append(term)
    return terms, holding


def _searched(db: sqlite3.Connection, folder_ids: Sequence[int], most: int) -> int:
    """The documents of these folders, counted up to `most` (a folder's own index)."""
    scope = ",".join("?" * len(folder_ids))
    (count,) = sqlite3.Connection.execute(
        db,
        f"SELECT count(*) FROM (SELECT 1 FROM search_docs WHERE folder_id IN ({scope})"  # noqa: S608
        " LIMIT ?)",
        [*folder_ids, most],
    ).fetchone()
    return int(count)


def match(grams: list[str], found: list[list[str]]) -> str | None:
    """The FTS5 query for documents holding every trigram and, for each short piece, one
    of the trigrams it begins; None when no document can (a piece begins none)."""
    if any(not terms for terms in found):
        return None
    quoted = ['"' + gram.replace('"', '""') + '"' for gram in grams]
    for terms in found:
        quoted.append("(" + " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) + ")")
    return " AND ".join(quoted)
