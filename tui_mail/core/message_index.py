"""The message list's model: every message's place in the list, and the rows on screen.

A 100,000-message folder is 100,000 integers here (the UIDs in list order); summaries are
read from the store only for the rows a widget asks for, a page at a time, and kept in a
small cache. Textual-free so it can be tested and reused (unified inbox, search results).
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tui_mail.core.models import MessageSummary
from tui_mail.core.store import Store, UnknownFolder

PAGE = 128
"""Rows read from the store at once; a screen is 20-60 rows."""
CACHED_PAGES = 16


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Which message a row is: enough to act on it."""

    account: str
    folder: str
    uid: int


@dataclass(frozen=True, slots=True)
class Row:
    ref: MessageRef
    summary: MessageSummary


class MessageSource(Protocol):
    """What a list widget reads from: a length and rows by position."""

    def __len__(self) -> int: ...

    def row(self, index: int) -> Row | None: ...

    def refresh(self) -> None:
        """Re-read the order from the store (after a sync or an action)."""

    def refresh_rows(self) -> None:
        """Flags changed but the order did not: drop cached rows only."""

    def index_of(self, ref: MessageRef) -> int | None: ...


class FolderMessages:
    """One folder of one account, newest first, optionally only unread or only some UIDs."""

    def __init__(
        self,
        account: str,
        store: Store,
        folder: str,
        *,
        unread_only: bool = False,
        only_uids: Sequence[int] | None = None,
    ) -> None:
        self.account = account
        self.store = store
        self.folder = folder
        self.unread_only = unread_only
        self._only = None if only_uids is None else set(only_uids)
        self._uids: list[int] = []
        self._positions: dict[int, int] | None = None
        self._pages: OrderedDict[int, dict[int, MessageSummary]] = OrderedDict()
        self.refresh()

    def refresh(self) -> None:
        try:
            folder_id = self.store.folder_id(self.folder)
        except UnknownFolder:
            self._uids = []
        else:
            uids = self.store.ordered_uids(folder_id, unread_only=self.unread_only)
            self._uids = uids if self._only is None else [u for u in uids if u in self._only]
        self._positions = None
        self._pages.clear()

    def __len__(self) -> int:
        return len(self._uids)

    def uids(self) -> list[int]:
        """UIDs in list order (do not modify)."""
        return self._uids

    def uid_at(self, index: int) -> int | None:
        return self._uids[index] if 0 <= index < len(self._uids) else None

    def row(self, index: int) -> Row | None:
        uid = self.uid_at(index)
        if uid is None:
            return None
        summary = self._page(index // PAGE).get(uid)
        if summary is None:
            return None
        return Row(MessageRef(self.account, self.folder, uid), summary)

    def _page(self, number: int) -> dict[int, MessageSummary]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        uids = self._uids[number * PAGE : (number + 1) * PAGE]
        try:
            folder_id = self.store.folder_id(self.folder)
        except UnknownFolder:
            return {}
        page = {s.uid: s for s in self.store.summaries(folder_id, uids=uids)} if uids else {}
        self._pages[number] = page
        if len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def index_of(self, ref: MessageRef) -> int | None:
        if ref.account != self.account or ref.folder != self.folder:
            return None
        if self._positions is None:
            self._positions = {uid: i for i, uid in enumerate(self._uids)}
        return self._positions.get(ref.uid)

    def refresh_rows(self) -> None:
        """Flags changed but the order did not: drop cached rows only."""
        self._pages.clear()

    def forget(self, uids: Sequence[int]) -> None:
        """Drop rows at once (moved or deleted) without waiting for a refresh."""
        gone = set(uids)
        self._uids = [u for u in self._uids if u not in gone]
        self._positions = None
        self._pages.clear()


class MergedMessages:
    """Several folders merged by date (the unified inbox)."""

    def __init__(self, sources: Sequence[FolderMessages]) -> None:
        self.sources = list(sources)
        self._order: list[tuple[int, int]] = []
        self.refresh()

    def refresh(self) -> None:
        for source in self.sources:
            source.refresh()
        streams = []
        for number, source in enumerate(self.sources):
            dates = self._dates(source)
            streams.append(
                [(-dates.get(uid, 0), -uid, number, i) for i, uid in enumerate(source.uids())]
            )
        self._order = [(number, i) for _d, _u, number, i in heapq.merge(*streams)]

    @staticmethod
    def _dates(source: FolderMessages) -> dict[int, int]:
        try:
            folder_id = source.store.folder_id(source.folder)
        except UnknownFolder:
            return {}
        return source.store.dates(folder_id)

    def refresh_rows(self) -> None:
        for source in self.sources:
            source.refresh_rows()

    def __len__(self) -> int:
        return len(self._order)

    def row(self, index: int) -> Row | None:
        if not 0 <= index < len(self._order):
            return None
        number, position = self._order[index]
        return self.sources[number].row(position)

    def index_of(self, ref: MessageRef) -> int | None:
        for index, (number, position) in enumerate(self._order):
            source = self.sources[number]
            if source.account == ref.account and source.uid_at(position) == ref.uid:
                return index
        return None
