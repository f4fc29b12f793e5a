"""Searching the caches of one folder, one account or every account, with no network.

What search-as-you-type, saved searches and `tui-mail search --local` read. Each account's
cache answers for itself (`CacheView.find`); this module merges the accounts' answers
newest first and gives the list a model of them (`FoundMessages`) that reads summaries
only for the rows on screen, like a folder's.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from tui_mail.core.account.message_index import CACHED_PAGES, PAGE, MessageRef, Row
from tui_mail.core.models import MessageSummary
from tui_mail.core.query import Query

if TYPE_CHECKING:
    from tui_mail.core.account.cache_view import CacheView


class Scope(StrEnum):
    """How far a search looks."""

    FOLDER = "folder"
    ACCOUNT = "account"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Hit:
    """One cached message that matched: where it is, and its date (for merging)."""

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
) -> list[Hit]:
    """The cached messages matching `query`, newest first: in `folder` of `account`
    (Scope.FOLDER), every folder of `account` (ACCOUNT) or of every account (ALL).
    Blocking: call it off the UI loop."""
    names = list(caches) if scope is Scope.ALL else [account] if account in caches else []
    folders = [folder] if scope is Scope.FOLDER else None
    streams = [
        [Hit(name, f, uid, date) for f, uid, date in caches[name].find(query, folders)]
        for name in names
    ]
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
