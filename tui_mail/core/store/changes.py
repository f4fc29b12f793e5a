"""Which messages of which folder this process's store changed lately, by version number.

A list of a million messages re-read its whole order (0.3-0.8 s of a background thread,
chunks of it holding the GIL) after every new message, flag or expunge. With this
journal it asks what changed since the order it holds (`since`) and applies that instead
(core/account/order_changes.py). The journal knows only what went through this Store;
anything it cannot vouch for (a folder reset, a folder list change, another process's
commit to the file, more changes than it keeps) answers None: read everything again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

KEPT_UIDS = 20_000
"""UIDs remembered across folders: more than any list asks to apply (order_changes.MOST),
few enough to cost nothing (a first sync of a big folder runs them through at once)."""


class Changes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._floor = 0
        """Versions up to this one are forgotten: asking from before it answers None."""
        self._entries: deque[tuple[int, int, frozenset[int]]] = deque()
        self._kept = 0
        self._data_version: int | None = None

    @property
    def version(self) -> int:
        """Take it before reading an order: what changes from then on is in `since`."""
        with self._lock:
            return self._version

    def touched(self, folder_id: int, uids: Iterable[int]) -> None:
        """These messages were added, changed or removed (call it after the commit: a
        list that took the version before it must not miss the change)."""
        entry = frozenset(uids)
        if len(entry) > KEPT_UIDS:
            self.lost()
            return
        with self._lock:
            self._version += 1
            self._entries.append((self._version, folder_id, entry))
            self._kept += len(entry)
            while self._kept > KEPT_UIDS and self._entries:
                version, _folder, dropped = self._entries.popleft()
                self._kept -= len(dropped)
                self._floor = version

    def lost(self) -> None:
        """Anything may have changed (a folder emptied, another process wrote)."""
        with self._lock:
            self._version += 1
            self._floor = self._version
            self._entries.clear()
            self._kept = 0

    def check(self, db: sqlite3.Connection) -> None:
        """On the store's write connection, under its lock: a commit by another connection
        since the last look (another process, another Store of the file) is unknown."""
        (seen,) = db.execute("PRAGMA data_version").fetchone()
        if self._data_version is not None and seen != self._data_version:
            self.lost()
        self._data_version = seen

    def reopened(self, db: sqlite3.Connection) -> None:
        """The store opened another file (a rebuilt cache)."""
        self.lost()
        self._data_version = None
        self.check(db)

    def since(self, folder_id: int, version: int) -> set[int] | None:
        """The UIDs of `folder_id` touched after `version`; None when not known."""
        with self._lock:
            if version < self._floor:
                return None
            found: set[int] = set()
            for entry_version, folder, uids in reversed(self._entries):
                if entry_version <= version:
                    break
                if folder == folder_id:
                    found |= uids
            return found


def noting(items: Iterable[T], uid: Callable[[T], int], into: list[int]) -> Iterator[T]:
    """`items` as they go by, their UIDs added to `into` (a sync's rows are streamed to
    SQLite, never held as a list); past KEPT_UIDS no more are kept: `touched` then says
    everything changed, as it would."""
    for item in items:
        if len(into) <= KEPT_UIDS:
            into.append(uid(item))
        yield item
