"""The full-text index as the store's readers ask it (`Store.full_text`): a whole search
(core/store/fts_search.py), its newest hits first (core/store/fts_newest.py), and what the
index has not caught up with. A search can be stopped: a newer key in the search line
makes an older search worthless, and a broad one over a million messages runs for a
third of a second."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence

from tui_mail.core.query import Query
from tui_mail.core.store.fts import Damaged, Indexer
from tui_mail.core.store.fts_newest import FIRST, newest
from tui_mail.core.store.fts_search import find
from tui_mail.core.store.health import CacheError, is_damage
from tui_mail.core.store.long_reads import LongReads

log = logging.getLogger(__name__)

Found = tuple[int, int, int]
"""(folder_id, uid, date)."""

_STEPS = 20_000
"""SQLite instructions between looks at a search's stop (a fraction of a millisecond)."""


class SearchStopped(Exception):
    """The search was stopped before its end (its answer was not wanted any more)."""


class FullText:
    """The full-text index as the store's readers ask it (`Store.full_text`)."""

    def __init__(
        self, read: Callable[[], sqlite3.Connection], indexer: Indexer, long_reads: LongReads
    ) -> None:
        self._read = read
        self._indexer = indexer
        self._long_reads = long_reads

    def find(
        self, folder_ids: list[int], query: Query, stop: threading.Event | None = None
    ) -> list[Found] | None:
        """(folder_id, uid, date) matching `query` in these folders, newest first, from the
        index; None when only the matcher can answer (see core/store/fts.py). Raises
        SearchStopped once `stop` is set."""
        db = self._read()  # first: making a reader waits while the store closes
        try:
            with self._long_reads.reading(), _stoppable(db, stop):
                return find(db, folder_ids, query)
        except Damaged:
            self._broken()
            return None

    def newest(
        self, folder_ids: list[int], query: Query, count: int = FIRST
    ) -> tuple[list[Found], bool] | None:
        """The first of `find`'s answer (at most `count` unless they are all) and whether
        they are all, in milliseconds where the answer is big; None where `find` is as
        fast (core/store/fts_newest.py)."""
        db = self._read()
        try:
            return newest(db, folder_ids, query, count)
        except sqlite3.Error as error:  # the index's own reads (the cache's are CacheError)
            if is_damage(error):
                self._broken()
            else:
                log.exception("the search index could not answer %r", query)
            return None

    def _broken(self) -> None:
        self._indexer.broken = True  # dropped and built again from the cache
        self._indexer.nudge()

    def uncached_bodies(self, folder_ids: list[int]) -> int:
        """How many messages of these folders have no cached body (searched by summary
        only)."""
        return uncached_bodies(self._read(), folder_ids)

    def backlog(self) -> int:
        """Changes the index has still to take in (0: it is up to date)."""
        return backlog(self._read()) + self._indexer.broken  # a reset still to come


@contextlib.contextmanager
def _stoppable(db: sqlite3.Connection, stop: threading.Event | None) -> Iterator[None]:
    """Reads on `db` (this thread's connection) are cut short once `stop` is set."""
    if stop is None:
        yield
        return
    if stop.is_set():
        raise SearchStopped
    db.set_progress_handler(stop.is_set, _STEPS)
    try:
        yield
    except (sqlite3.Error, CacheError) as error:
        if stop.is_set():
            raise SearchStopped from error
        raise
    finally:
        db.set_progress_handler(None, 0)
    if stop.is_set():  # the matcher's part (Python) is not cut short: its answer is late
        raise SearchStopped


def backlog(db: sqlite3.Connection) -> int:
    """How many changes the index has not caught up with (searches stay exact meanwhile)."""
    (count,) = db.execute(
        "SELECT (SELECT count(*) FROM search_todo) + (SELECT count(*) FROM search_bulk b"
        " JOIN messages m ON m.folder_id = b.folder_id AND m.uid > b.done_uid)"
    ).fetchone()
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
