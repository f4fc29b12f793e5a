"""Searching the caches of one folder, one account or every account, with no network.

What search-as-you-type, saved searches and `tui-mail search --local` read. Each account's
cache answers for itself (`CacheView.find`); this module merges the accounts' answers
newest first and gives the list a model of them (`FoundMessages`) that reads summaries
only for the rows on screen, like a folder's.
"""

from __future__ import annotations

import heapq
import operator
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import partial
from itertools import repeat
from typing import TYPE_CHECKING, NamedTuple

from tui_mail.core.account.message_index import CACHED_PAGES, PAGE, MessageRef, Row
from tui_mail.core.models import MessageSummary
from tui_mail.core.query import Query
from tui_mail.core.store.fts_newest import FIRST
from tui_mail.core.store.full_text import SearchStopped
from tui_mail.core.store.threads import gc_paused

__all__ = [
    "FIRST",
    "FoundMessages",
    "Hit",
    "Scope",
    "SearchStopped",
    "search_local",
    "search_newest",
]

if TYPE_CHECKING:
    from tui_mail.core.account.cache_view import CacheView


class Scope(StrEnum):
    """How far a search looks."""

    FOLDER = "folder"
    ACCOUNT = "account"
    ALL = "all"


class Hit(NamedTuple):
    """One cached message that matched: where it is, and its date (for merging). A named
    tuple, not a frozen dataclass: a broad search makes 100,000 of them, 2.4 times faster
    (60 -> 25 ms for 83,000, measured)."""

    account: str
    folder: str
    uid: int
    date: int


def search_local(
    caches: Mapping[str, CacheView],
    query: Query,
    scope: Scope,
    *,
    account: str = "",
    folder: str = "",
    stop: threading.Event | None = None,
) -> list[Hit]:
    """The cached messages matching `query`, newest first: in `folder` of `account`
    (Scope.FOLDER), every folder of `account` (ACCOUNT) or of every account (ALL).
    Raises SearchStopped soon after `stop` is set (a newer search made this one
    worthless). Blocking: call it off the UI loop."""
    names, folders = _where(caches, scope, account, folder)
    streams = []
    for name in names:
        found = caches[name].find(query, folders, stop)
        with gc_paused():  # a broad word's 100,000 tuples: no collection while they are made
            # Made in C (map, partial, tuple.__new__: what Hit(...) does, without a Python
            # call per hit): 142,800 hits in 22 ms against 34 ms.
            streams.append(list(map(_make_hit, map(operator.add, repeat((name,)), found))))
    return _merged(streams)


_make_hit = partial(tuple.__new__, Hit)
"""Hit from a 4-tuple (account, folder, uid, date)."""


def search_newest(
    caches: Mapping[str, CacheView],
    query: Query,
    scope: Scope,
    *,
    account: str = "",
    folder: str = "",
    count: int = FIRST,
) -> tuple[list[Hit], bool] | None:
    """The first hits of `search_local` (at most `count` unless they are all) and whether
    they are all, in milliseconds where the answer is big; None where search_local is as
    fast or alone can answer (core/store/fts_newest.py). What the list shows while the
    whole answer is still being found. Blocking: call it off the UI loop."""
    names, folders = _where(caches, scope, account, folder)
    streams = []
    edges = []  # (date, uid) down to which an account's hits are all known
    for name in names:
        found = caches[name].newest(query, folders, count)
        if found is None:
            return None
        rows, complete = found
        streams.append([Hit(name, f, uid, date) for f, uid, date in rows])
        if not complete and rows:
            edges.append((rows[-1][2], rows[-1][1]))
    merged = _merged(streams)
    if not edges:
        return merged, True
    edge = max(edges)
    return [hit for hit in merged if (hit.date, hit.uid) >= edge][:count], False


def _where(
    caches: Mapping[str, CacheView], scope: Scope, account: str, folder: str
) -> tuple[list[str], list[str] | None]:
    """The accounts searched, and their folders (None: every folder)."""
    names = list(caches) if scope is Scope.ALL else [account] if account in caches else []
    return names, [folder] if scope is Scope.FOLDER else None


def _merged(streams: list[list[Hit]]) -> list[Hit]:
    """Each account's hits (newest first) as one list, newest first."""
    if len(streams) == 1:
        return streams[0]
    return list(heapq.merge(*streams, key=lambda hit: (-hit.date, -hit.uid)))


class FoundMessages:
    """Search results as a list's model: the hits in their order, summaries read a page at
    a time from the caches they came from."""

    def __init__(self, caches: Mapping[str, CacheView], hits: Sequence[Hit]) -> None:
        self.caches = caches
        self.hits = list(hits)
        self._pages: OrderedDict[int, dict[tuple[str, str, int], MessageSummary]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.hits)

    def row(self, index: int) -> Row | None:
        if not 0 <= index < len(self.hits):
            return None
        hit = self.hits[index]
        summary = self._page(index // PAGE).get((hit.account, hit.folder, hit.uid))
        if summary is None:
            return None
        return Row(MessageRef(hit.account, hit.folder, hit.uid), summary)

    def _page(self, number: int) -> dict[tuple[str, str, int], MessageSummary]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        wanted: dict[tuple[str, str], list[int]] = {}
        for hit in self.hits[number * PAGE : (number + 1) * PAGE]:
            wanted.setdefault((hit.account, hit.folder), []).append(hit.uid)
        page = {}
        for (account, folder), uids in wanted.items():
            cache = self.caches.get(account)
            if cache is None:
                continue
            for uid, summary in cache.summaries(folder, uids).items():
                page[(account, folder, uid)] = summary
        self._pages[number] = page
        if len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def refresh(self) -> None:
        """The hits stay (a new search makes a new model); rows are read again."""
        self._pages.clear()

    def refresh_rows(self) -> None:
        self._pages.clear()

    def index_of(self, ref: MessageRef) -> int | None:
        for index, hit in enumerate(self.hits):
            if (hit.account, hit.folder, hit.uid) == (ref.account, ref.folder, ref.uid):
                return index
        return None

    def forget(self, refs: Sequence[MessageRef]) -> None:
        """Drop rows at once (moved or deleted) without searching again."""
        gone = {(r.account, r.folder, r.uid) for r in refs}
        self.hits = [h for h in self.hits if (h.account, h.folder, h.uid) not in gone]
        self._pages.clear()
