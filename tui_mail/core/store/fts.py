"""The cache's full-text index: every cached message's sender, recipients and subject, and
the headers and text of every cached body, found in milliseconds (SQLite FTS5).

What it must find is exactly what `query.matcher` finds (core/store/matching.py): a word
is a case-folded SUBSTRING of a part of the message ("dget" finds "budget", as IMAP's
SEARCH does). A word index (FTS5's unicode61) cannot answer that, so the index is FTS5's
trigram tokenizer over the case-folded texts (Python's `casefold`, what the matcher
compares), with `detail=none`: it only says which messages hold every three-letter piece
of a word, and SQL's `instr` on the same case-folded texts (`search_docs`) then decides
exactly. Measured on 100,000 messages (benchmarks/local_search.py, the README): positions
(`detail=full`) made the index four times larger for nothing the `instr` check needs.

Keeping it in step: triggers on `messages` and `bodies` write each change as a row of
`search_todo` (almost free inside a sync's insert); a thread of the store (`Indexer`)
reads those rows in chunks, builds the documents (the body's text decoded in Python) and
writes them to the index in short transactions. FTS5 rows written by a trigger cost five
times more (FTS5 flushes at every statement's savepoint), which is why the index itself
is written here, not by triggers. A message with a row in `search_todo` is not trusted to
the index: searches match it with the matcher instead, so results are exact at every
moment: during a first sync, while an old cache is indexed for the first time, and after
the index was lost or damaged (then dropped and built again from the cache).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager

from tui_mail.core.query import FieldContains, Query, Text, UidIn, matcher
from tui_mail.core.store import matching
from tui_mail.core.store.health import CacheError, is_damage
from tui_mail.core.store.threads import gc_paused

log = logging.getLogger(__name__)

OBJECTS = ("search_docs", "search_index", "search_todo")
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS search_docs (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    date INTEGER NOT NULL,
    name TEXT NOT NULL,
    addr TEXT NOT NULL,
    recipients TEXT NOT NULL,
    cc TEXT NOT NULL,
    subject TEXT NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (folder_id, uid)
)""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5(
    text, content='', tokenize='trigram case_sensitive 1', detail=none
)""",
    """CREATE TABLE IF NOT EXISTS search_todo (
    seq INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL,
    uid INTEGER NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS search_todo_by_message ON search_todo (folder_id, uid)",
    """CREATE TRIGGER IF NOT EXISTS search_message_added AFTER INSERT ON messages BEGIN
    INSERT INTO search_todo (folder_id, uid) VALUES (new.folder_id, new.uid); END""",
    """CREATE TRIGGER IF NOT EXISTS search_message_gone AFTER DELETE ON messages BEGIN
    INSERT INTO search_todo (folder_id, uid) VALUES (old.folder_id, old.uid); END""",
    """CREATE TRIGGER IF NOT EXISTS search_body_added AFTER INSERT ON bodies BEGIN
    INSERT INTO search_todo (folder_id, uid) VALUES (new.folder_id, new.uid); END""",
    """CREATE TRIGGER IF NOT EXISTS search_body_gone AFTER DELETE ON bodies BEGIN
    INSERT INTO search_todo (folder_id, uid) VALUES (old.folder_id, old.uid); END""",
)
"""One statement each: executescript would commit the transaction they are part of."""
_TRIGGERS = ("search_message_added", "search_message_gone", "search_body_added",
             "search_body_gone")  # fmt: skip
_DOC_COLUMNS = "name, addr, recipients, cc, subject, headers, body"

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
    "EXISTS (SELECT 1 FROM search_todo t WHERE t.folder_id = {0}.folder_id AND t.uid = {0}.uid)"
)
_SPLIT = re.compile(r"[\s<>]+")
"""What the texts are joined with (and `from` adds): no piece of a word found in the index
can hold one, so a word is looked up by the pieces between them."""
_MAX_TRIGRAMS = 24
_CHUNK = 500
"""Messages indexed per transaction: short enough that a sync's commit never waits long."""
QUIET = 0.3
"""Seconds without another writer's commit before the index takes its turn: a sync goes
first (indexing beside it made a 100,000-message first sync twice as long on two cores)."""
_MAX_WAIT = 2.0
"""...but a long sync still lets the index take a chunk this often."""


def create(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        db.execute(statement)


def drop(db: sqlite3.Connection) -> None:
    for trigger in _TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for table in OBJECTS:
        db.execute(f"DROP TABLE IF EXISTS {table}")


def reset(db: sqlite3.Connection) -> None:
    """An empty index, and every cached message queued for it (built in the background)."""
    drop(db)
    create(db)
    db.execute("INSERT INTO search_todo (folder_id, uid) SELECT folder_id, uid FROM messages")


def ensure(db: sqlite3.Connection) -> None:
    """At open: an index lost (a table or trigger missing) is built again from the cache."""
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    if not {*OBJECTS, *_TRIGGERS} <= names:
        log.info("the search index is missing a part; building it again")
        with _immediate(db):
            reset(db)


@contextlib.contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error, CacheError):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


# -- building documents -------------------------------------------------------------------

Doc = tuple[str, str, str, str, str, str, str]
"""name, addr, recipients, cc, subject, headers, body: case-folded, as `search_docs`."""


def _safe(text: str) -> str:
    """`text` as SQLite can store it (a lone surrogate from a broken charset cannot be)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode(errors="replace").decode()
    return text


def document(summary: Sequence[str], raw: bytes | None) -> Doc:
    """The document of a message: its summary's (name, addr, to, cc, subject) and, when its
    body is cached, the decoded headers and text, all case-folded as the matcher compares."""
    headers = body = ""
    if raw:
        try:
            headers, body = matching.raw_texts(raw)
        except Exception:  # a message the parser gives up on: searched by its summary
            log.exception("cannot read a cached message's text for the search index")
    parts = (*summary, headers, body)
    return tuple(_safe(part.casefold()) for part in parts)  # type: ignore[return-value]


def _indexed(doc: Sequence[str]) -> str:
    """What the index holds of a document (its 'delete' must be given the same text)."""
    return "\n".join(doc)


def index_some(
    read: sqlite3.Connection,
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
    limit: int = _CHUNK,
) -> int:
    """Bring up to `limit` queued messages into the index; how many were taken.

    Read (and the bodies decoded) outside the write lock; written only for messages that
    did not change meanwhile (a newer queue row means they did: a later chunk takes them)."""
    queued = read.execute(
        "SELECT seq, folder_id, uid FROM search_todo ORDER BY seq LIMIT ?", (limit,)
    ).fetchall()
    if not queued:
        return 0
    top = queued[-1][0]
    by_folder: dict[int, set[int]] = {}
    for _seq, folder_id, uid in queued:
        by_folder.setdefault(folder_id, set()).add(uid)
    docs: dict[tuple[int, int], tuple[int, Doc]] = {}
    for folder_id, uids in by_folder.items():
        rows = read.execute(
            "SELECT m.uid, m.date, m.from_name, m.from_addr, m.to_addrs, m.cc_addrs, m.subject,"
            " b.raw FROM messages m LEFT JOIN bodies b"
            " ON b.folder_id = m.folder_id AND b.uid = m.uid"
            " WHERE m.folder_id = ? AND m.uid IN (SELECT value FROM json_each(?))",
            (folder_id, json.dumps(sorted(uids))),
        ).fetchall()
        for uid, date, *summary, raw in rows:
            docs[(folder_id, uid)] = (date, document(summary, None if raw is None else bytes(raw)))
    with transaction() as db:
        (still,) = db.execute("SELECT count(*) FROM search_todo WHERE seq <= ?", (top,)).fetchone()
        if still != len(queued):  # the cache was rebuilt meanwhile: read again
            return len(queued)
        for folder_id, uids in by_folder.items():
            for uid in uids:
                newer = db.execute(
                    "SELECT 1 FROM search_todo WHERE folder_id = ? AND uid = ? AND seq > ?",
                    (folder_id, uid, top),
                ).fetchone()
                if newer is None:
                    _write(db, folder_id, uid, docs.get((folder_id, uid)))
        db.execute("DELETE FROM search_todo WHERE seq <= ?", (top,))
    return len(queued)


def _write(db: sqlite3.Connection, folder_id: int, uid: int, dated: tuple[int, Doc] | None) -> None:
    """Replace the message's document (None: it is gone) in `search_docs` and the index."""
    old = db.execute(
        f"SELECT id, {_DOC_COLUMNS} FROM search_docs WHERE folder_id = ? AND uid = ?",  # noqa: S608
        (folder_id, uid),
    ).fetchone()
    if old is not None:
        _to_index(
            db,
            "INSERT INTO search_index (search_index, rowid, text) VALUES ('delete', ?, ?)",
            (old[0], _indexed(old[1:])),
        )
        db.execute("DELETE FROM search_docs WHERE id = ?", (old[0],))
    if dated is not None:
        date, doc = dated
        cursor = db.execute(
            f"INSERT INTO search_docs (folder_id, uid, date, {_DOC_COLUMNS})"  # noqa: S608
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (folder_id, uid, date, *doc),
        )
        _to_index(
            db,
            "INSERT INTO search_index (rowid, text) VALUES (?, ?)",
            (cursor.lastrowid, _indexed(doc)),
        )


def _to_index(db: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> None:
    """A write to the FTS5 table: its damage is the index's (Damaged: built again), not
    the cache's (which CacheConnection would set aside, refetching every header)."""
    try:
        sqlite3.Connection.execute(db, sql, params)
    except sqlite3.Error as error:
        if is_damage(error):
            raise Damaged from error
        raise


class Indexer:
    """The store's thread that keeps the index in step: woken after every write
    (`nudge`), it indexes what was queued, a chunk per transaction, then sleeps."""

    def __init__(
        self,
        reader: Callable[[], sqlite3.Connection],
        transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
    ) -> None:
        self._reader = reader
        self._transaction = transaction
        self._wanted = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # As if written a second from now: a start-up (the UI importing, painting its rows)
        # goes first too, and an old cache's index is built after it.
        self._written = time.monotonic() + 1.0
        self.broken = False
        """Set when a search met a damaged index: it is dropped and built again."""

    def nudge(self) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            if threading.current_thread() is not self._thread:  # its own commits: no
                self._written = time.monotonic()
            self._wanted.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="search-index", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
            self._wanted.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def _take_turn(self) -> bool:
        """Wait while another writer is busy (see QUIET); False once stopped."""
        deadline = time.monotonic() + _MAX_WAIT
        while (now := time.monotonic()) < deadline and now - self._written < QUIET:
            self._stopped.wait(QUIET - (now - self._written))
        return not self._stopped.is_set()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopped.is_set():
                return
            self._wanted.clear()
            try:
                if self.broken:
                    with self._transaction() as db:
                        reset(db)
                    self.broken = False
                while self._take_turn() and index_some(self._reader(), self._transaction):
                    pass
            except Damaged:
                log.warning("the search index is damaged; building it again from the cache")
                self.broken = True
                self._wanted.set()
            except (CacheError, sqlite3.Error) as error:
                # The store tells the damage, the full disk, the closed file itself; the
                # queue waits for the next write (searches meanwhile use the matcher).
                log.warning("the search index could not be updated: %s", error)
                self._stopped.wait(1.0)
            except Exception:  # a bug: the thread goes on (searches stay exact, slower)
                log.exception("the search index could not be updated")
                self._stopped.wait(1.0)


# -- searching ----------------------------------------------------------------------------


def find(
    db: sqlite3.Connection, folder_ids: Sequence[int], query: Query
) -> list[tuple[int, int, int]] | None:
    """(folder_id, uid, date) of the cached messages in `folder_ids` matching `query`,
    newest first; None when the index cannot answer it (the caller asks the matcher)."""
    if not folder_ids:
        return []
    words: list[tuple[str, str]] = []  # (SQL expression of the part, case-folded word)
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
    # Sorting tens of thousands of hits in memory, not in a temporary file: measured, a
    # third of a search's time.
    db.execute("PRAGMA temp_store = MEMORY")
    scope = ",".join("?" * len(folder_ids))
    flags = [f"({c.sql})" for c in kept]
    flag_params = [p for c in kept for p in c.params]
    if not words:  # flags, dates, UIDs: the messages table decides alone
        where = " AND ".join([f"m.folder_id IN ({scope})", *flags])
        return _run(db, "m", f"FROM messages m WHERE {where}", [*folder_ids, *flag_params])
    pending = [
        folder_id
        for (folder_id,) in db.execute(
            f"SELECT DISTINCT folder_id FROM search_todo WHERE folder_id IN ({scope})",  # noqa: S608
            list(folder_ids),
        )
    ]
    source, where, params = _indexed_search(words, folder_ids, pending=bool(pending))
    if flags:
        source += " CROSS JOIN messages m ON m.folder_id = d.folder_id AND m.uid = d.uid"
        where += "".join(f" AND {flag}" for flag in flags)
    try:
        hits = _run(db, "d", f"FROM {source} WHERE {where}", [*params, *flag_params], raw=True)
    except sqlite3.Error as error:
        if is_damage(error):
            raise Damaged from error
        log.exception("the search index could not answer %r", query)
        return None
    if pending:  # what the index has not caught up with: the matcher
        hits += _matched(db, pending, query, kept)
        hits.sort(key=lambda hit: (-hit[2], -hit[1]))
    return hits


def _indexed_search(
    words: list[tuple[str, str]], folder_ids: Sequence[int], *, pending: bool
) -> tuple[str, str, list[object]]:
    """(FROM, WHERE, parameters) finding `words` in the documents of these folders: the
    index narrows by trigrams, `instr` decides."""
    conditions = [f"d.folder_id IN ({','.join('?' * len(folder_ids))})"]
    params: list[object] = [*folder_ids]
    for expression, word in words:
        if not word:
            continue
        # A word without a joining character lies within one of the texts joined: looked
        # for in each, no joined copy of them is made for every document.
        columns = _COLUMNS.get(expression) if not _SPLIT.search(word) else None
        tests = [f"instr({column}, ?) > 0" for column in columns or (expression,)]
        conditions.append("(" + " OR ".join(tests) + ")")
        params += [word] * len(tests)
    if pending:
        conditions.append("NOT " + _PENDING.format("d"))
    # The documents carry the date: the messages table is read only for flags and dates.
    source = "search_docs d"
    grams = _trigrams(word for _expression, word in words)
    if grams:
        # CROSS JOIN: the index first (the planner would run the MATCH once per message).
        source = "search_index s CROSS JOIN search_docs d ON d.id = s.rowid"
        conditions.insert(0, "search_index MATCH ?")
        params.insert(0, " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams))
    return source, " AND ".join(conditions), params


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


class Damaged(Exception):
    """The index itself is damaged: drop it and build it again; the matcher answers."""


def _trigrams(words: Iterator[str] | Sequence[str]) -> list[str]:
    """The three-letter pieces every matching document holds (a few are enough to narrow:
    `instr` decides), left out where the FTS5 query syntax could not carry them."""
    grams: dict[str, None] = {}
    for word in words:
        for piece in _SPLIT.split(word):
            for start in range(len(piece) - 2):
                gram = piece[start : start + 3]
                if gram.isprintable() and _safe(gram) == gram:
                    grams[gram] = None
    chosen = list(grams)
    if len(chosen) > _MAX_TRIGRAMS:
        step = len(chosen) / _MAX_TRIGRAMS
        chosen = [chosen[int(i * step)] for i in range(_MAX_TRIGRAMS)]
    return chosen


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


def backlog(db: sqlite3.Connection) -> int:
    """How many changes the index has not caught up with (searches stay exact meanwhile)."""
    (count,) = db.execute("SELECT count(*) FROM search_todo").fetchone()
    return int(count)


def uncached_bodies(db: sqlite3.Connection, folder_ids: Sequence[int]) -> int:
    """How many messages of these folders have no cached body (searched by summary only)."""
    if not folder_ids:
        return 0
    scope = ",".join("?" * len(folder_ids))
    (count,) = db.execute(
        f"SELECT (SELECT count(*) FROM messages WHERE folder_id IN ({scope}))"  # noqa: S608
        f" - (SELECT count(*) FROM bodies WHERE folder_id IN ({scope}))",
        [*folder_ids, *folder_ids],
    ).fetchone()
    return int(count)
