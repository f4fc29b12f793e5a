"""The message list's model: every message's place in the list, and the rows on screen.

A 100,000-message folder is 100,000 integers here (the UIDs in list order); summaries are
read from the store only for the rows a widget asks for, a page at a time, and kept in a
small cache. Textual-free so it can be tested and reused (unified inbox, search results).
"""

from __future__ import annotations

import contextlib
import heapq
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from tui_mail.core.account import order_changes
from tui_mail.core.account.background import BackgroundJob, Deliver
from tui_mail.core.account.thread_memory import remembered_threads
from tui_mail.core.errors import CacheDamaged
from tui_mail.core.models import MessageSummary
from tui_mail.core.sort import DEFAULT_SORT, SortSpec
from tui_mail.core.store.cache import Store, UnknownFolder
from tui_mail.core.store.ordering import first_descending
from tui_mail.core.store.threads import ThreadOrder, gc_paused, thread_messages

PAGE = 128
"""Rows read from the store at once; a screen is 20-60 rows."""
CACHED_PAGES = 16
ORDER_HEAD = 4 * PAGE
"""The rows of a big folder read first, so that its first screen waits for them only."""
BACKGROUND_ORDER_OVER = 50_000
"""A folder of more messages than this (its highest UID, at first: a bound on how many it
holds) is put in order on a background thread: a million UIDs take 0.3-0.8 s to read,
a hundred thousand 20-40 ms."""
HEAD_FIRST = 0.4
"""Seconds the whole order of a big folder waits after its first rows are read."""
APPLY_OVER = 5000
"""A list longer than this (in the UI) applies what changed since its order was read
(core/account/order_changes.py) instead of reading it again; a shorter one is read again
in a few milliseconds."""


@dataclass(frozen=True, slots=True)
class _Read:
    """A whole order as read, with what applying later changes to it needs."""

    version: int | None
    """The store's change version taken before the read (None: unknown)."""
    folder_id: int
    """The folder's id then (one deleted and made again under its name has another)."""
    uids: list[int]
    highest: int
    """The folder's highest UID after the read: any UID above it was not in the order."""


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
    guide: str = ""
    """Tree lines before the subject in the threaded view ("" for a thread's top)."""


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
    """One folder of one account in `sort`'s order (newest first by default), optionally
    only unread or only some UIDs."""

    def __init__(
        self,
        account: str,
        store: Store,
        folder: str,
        *,
        unread_only: bool = False,
        only_uids: Sequence[int] | None = None,
        sort: SortSpec = DEFAULT_SORT,
        deliver: Deliver | None = None,
    ) -> None:
        self.account = account
        self.store = store
        self.folder = folder
        self.unread_only = unread_only
        self.sort = sort
        self._only = None if only_uids is None else set(only_uids)
        self._uids: list[int] = []
        self._whole = True
        """Whether `_uids` is the whole order (not yet, in a big folder's first seconds:
        only its first rows are read)."""
        self._version: int | None = None
        self._read_from = 0
        self._highest = 0
        self._dropped: set[int] = set()
        """Rows `forget` took out since the order was read or brought in step."""
        self._pages: OrderedDict[int, dict[int, MessageSummary]] = OrderedDict()
        # With `deliver` (the UI), a big folder's order is read on a background thread
        # (its first rows at once), and the list keeps the previous order until then.
        self._order_job = (
            None
            if deliver is None
            else BackgroundJob("ordering", deliver, take=self._take_read, again=self.refresh)
        )
        self.refresh()

    def refresh(self) -> None:
        # A damaged cache reads as empty: the store rebuilds it at its next access and
        # its owner is told (AccountService emits CacheProblem), whose sync refills it.
        try:
            folder_id = self.store.folder_id(self.folder)
            if self._order_job is not None and self._applied(folder_id):
                return
            if self._order_job is not None and self._big(folder_id):
                if not self._uids:
                    # Until a key's index is made (on the background thread), the newest
                    # rows stand in: sorting a million rows without it takes seconds.
                    ready = self.store.sort_ready(self.sort.key)
                    self.take_order(self._ordered(folder_id, ORDER_HEAD, ready))
                    self._whole = False
                    # The first screen is painted first: parsing a million UIDs holds
                    # the GIL in chunks, which delayed it.
                    self._order_job.start(partial(self._read_order, folder_id, HEAD_FIRST))
                    return
                self._order_job.start(partial(self._read_order, folder_id))
                return
            read = self._read_order(folder_id)
        except (UnknownFolder, CacheDamaged):
            read = _Read(None, 0, [], 0)
        self._take_read(read)

    def _read_order(self, folder_id: int, after: float = 0.0) -> _Read:
        time.sleep(after)
        version = self.store.changes.version
        uids = self._ordered(folder_id)
        return _Read(version, folder_id, uids, self.store.max_uid(folder_id))

    def _take_read(self, read: _Read) -> None:
        self.take_order(read.uids)
        self._version, self._highest = read.version, read.highest
        self._read_from = read.folder_id

    def _applied(self, folder_id: int) -> bool:
        """Whether the few changes since the order was read are applied to it, so that it
        need not be read again (a long list; see order_changes)."""
        if self._version is None or not self._whole or len(self._uids) <= APPLY_OVER:
            return False
        if folder_id != self._read_from:
            return False
        version = self.store.changes.version  # first: what lands meanwhile comes again
        touched = self.store.changed_since(folder_id, self._version)
        if touched is None or len(touched) > order_changes.MOST:
            return False
        if touched or self._dropped:
            only = self._only

            def shown(uid: int, flags: int) -> bool:
                return only is None or uid in only

            try:
                order_changes.apply_changes(
                    self._uids,
                    touched,
                    keys=lambda uids: self.store.sort_keys(folder_id, uids, self.sort.key),
                    sort=self.sort,
                    shown=order_changes.unread_only(shown) if self.unread_only else shown,
                    highest=self._highest,
                    dropped=self._dropped,
                )
            except order_changes.Applied:
                self._version = None
                return False
            self._highest = max(self._highest, *touched) if touched else self._highest
            self._dropped.clear()
            self._pages.clear()
        self._version = version
        return True

    def _ordered(self, folder_id: int, limit: int = -1, by_sort: bool = True) -> list[int]:
        sort = self.sort if by_sort else DEFAULT_SORT
        return self.store.ordered_uids(
            folder_id, unread_only=self.unread_only, sort=sort, limit=limit
        )

    def _big(self, folder_id: int) -> bool:
        # Only the first rows read yet says nothing of the size (and a reload then must
        # not read a million UIDs on the UI's thread).
        if self._uids and self._whole:
            return len(self._uids) > BACKGROUND_ORDER_OVER
        return self.store.max_uid(folder_id) > BACKGROUND_ORDER_OVER

    @property
    def only(self) -> set[int] | None:
        """The UIDs this list is restricted to (search results, a limit), else None."""
        return self._only

    def take_order(self, uids: list[int]) -> None:
        """Show these UIDs in this order, read elsewhere (MergedMessages reads them with the
        values it merges by)."""
        self._uids = uids if self._only is None else [u for u in uids if u in self._only]
        self._whole = True
        self._version = None
        self._dropped.clear()
        self._pages.clear()

    def __len__(self) -> int:
        return len(self._uids)

    def uids(self) -> list[int]:
        """UIDs in list order (do not modify)."""
        return self._uids

    def every_uid(self) -> list[int]:
        """Every UID the list holds, in no promised order, even while only a big folder's
        first rows are read (marking them all must not mean the 512 shown so far): then
        read from the store, 0.5-0.9 s for a million at load 4, once per such action."""
        if self._whole:
            return self._uids
        try:
            uids = self._ordered(self.store.folder_id(self.folder), by_sort=False)
        except (UnknownFolder, CacheDamaged):  # see refresh
            return self._uids
        return uids if self._only is None else [u for u in uids if u in self._only]

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
            found = self.store.summaries(folder_id, uids=uids) if uids else []
        except (UnknownFolder, CacheDamaged):  # see refresh
            return {}
        page = {s.uid: s for s in found}
        self._pages[number] = page
        if len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def index_of(self, ref: MessageRef) -> int | None:
        if ref.account != self.account or ref.folder != self.folder:
            return None
        # One look-up per change of order (the cursor's message): a scan at C speed takes
        # under a millisecond for 100,000 UIDs, a dict of them ten (a re-sort's budget).
        try:
            return self._uids.index(ref.uid)
        except ValueError:
            return None

    def refresh_rows(self) -> None:
        """Flags changed but the order did not: drop cached rows only."""
        self._pages.clear()

    def forget(self, uids: Sequence[int]) -> None:
        """Drop rows at once (moved or deleted) without waiting for a refresh."""
        gone = set(uids)
        self._uids = [u for u in self._uids if u not in gone]
        self._dropped |= gone
        self._pages.clear()


class MergedMessages:
    """Several folders merged in `sort`'s order (the unified inbox; newest first by default).

    Each folder is read in the key's natural order with the key's values, the streams are
    merged by value (then date), and the whole is turned over when reversed. Arrival
    order cannot be compared across accounts (UIDs are per folder): each keeps its own,
    interleaved by UID.
    """

    def __init__(self, sources: Sequence[FolderMessages], sort: SortSpec = DEFAULT_SORT) -> None:
        self.sources = list(sources)
        self.sort = sort
        self._order: list[tuple[int, int]] = []
        self.refresh()

    def refresh(self) -> None:
        natural = self.sort.natural
        descending = first_descending(natural.key)
        streams = []
        for number, source in enumerate(self.sources):
            values = self._values(source, natural)
            if source.only is not None:  # search results, a limit: only what it shows
                values = [value for value in values if value[2] in source.only]
            source.take_order([uid for _value, _date, uid in values])
            streams.append(
                [
                    ((-value if descending else value), -date, -uid, number, i)  # type: ignore[operator]
                    for i, (value, date, uid) in enumerate(values)
                ]
            )
        self._order = [(number, i) for *_key, number, i in heapq.merge(*streams)]
        if self.sort.reverse:
            self._order.reverse()

    @staticmethod
    def _values(source: FolderMessages, sort: SortSpec) -> list[tuple[str | int, int, int]]:
        try:
            return source.store.sort_values(source.store.folder_id(source.folder), sort)
        except (UnknownFolder, CacheDamaged):  # see FolderMessages.refresh
            return []

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
        for number, source in enumerate(self.sources):
            position = source.index_of(ref)
            if position is not None:
                with contextlib.suppress(ValueError):
                    return self._order.index((number, position))
        return None


BACKGROUND_OVER = 3000
"""Folders larger than this are threaded on a background thread (100,000 messages take
a few hundred milliseconds; 3,000 about ten)."""


def _thread_folder(store: Store, folder_id: int, unread_only: bool, sort: SortSpec) -> ThreadOrder:
    """Threads ordered by `sort`: by date straight away, by another key through each
    message's place in the folder sorted by it (the threads of the first places first)."""
    with gc_paused():
        fields = store.thread_fields(folder_id, unread_only=unread_only)
        if sort.key == DEFAULT_SORT.key:
            return thread_messages(fields, reverse=sort.reverse, chronological=True)
        sorted_uids = store.ordered_uids(folder_id, unread_only=unread_only, sort=sort.natural)
        ranks = {uid: place for place, uid in enumerate(sorted_uids)}
        return thread_messages(fields, ranks, reverse=sort.reverse, chronological=True)


class ThreadedMessages(FolderMessages):
    """One folder as conversations (core/store/threads.py): newest thread first (or by
    `sort`, see _thread_folder), replies under the message they answer.

    With `deliver` (the UI), a large folder is threaded on a background thread: the list
    keeps its previous order (at first, the flat one) until the new one is ready, and
    refreshes asked for meanwhile are folded into one more run. Without it (scripts,
    tests), threading is done in place.
    """

    def __init__(
        self,
        account: str,
        store: Store,
        folder: str,
        *,
        unread_only: bool = False,
        deliver: Deliver | None = None,
        sort: SortSpec = DEFAULT_SORT,
    ) -> None:
        self._deliver = deliver
        self._order: ThreadOrder | None = None
        self._job = (
            None
            if deliver is None
            else BackgroundJob("threading", deliver, take=self._apply, again=self.refresh)
        )
        super().__init__(account, store, folder, unread_only=unread_only, sort=sort)

    @property
    def ready(self) -> bool:
        """Whether the rows are in threaded order yet (else still the flat one)."""
        return self._order is not None

    def refresh(self) -> None:
        try:
            folder_id = self.store.folder_id(self.folder)
            # The size last seen is a good enough guess after the first time, the highest
            # UID (a bound on it, from an index) before: counting a million messages takes
            # the UI thread 0.4-2 s.
            size = len(self._uids) if self._order is not None else self.store.max_uid(folder_id)
            if self._deliver is None or size <= BACKGROUND_OVER:
                self._apply(_thread_folder(self.store, folder_id, self.unread_only, self.sort))
                return
        except (UnknownFolder, CacheDamaged):  # damage: see FolderMessages.refresh
            self._apply(ThreadOrder([], [], [], [], []))
            return
        if self._order is None:
            # The newest rows, flat, until the threads are ready: the whole flat order of
            # a million would keep the UI thread 0.3-0.8 s for rows replaced soon after.
            ready = self.store.sort_ready(self.sort.key)
            self.take_order(self._ordered(folder_id, ORDER_HEAD, ready))
        self._start(folder_id)

    def _start(self, folder_id: int) -> None:
        if self._job is None:
            return
        if self.unread_only:  # which messages are threaded changes with flags: not kept
            job = partial(_thread_folder, self.store, folder_id, True, self.sort)
        else:
            job = partial(remembered_threads, self.store, folder_id, self.sort)
        self._job.start(job)

    def _apply(self, order: ThreadOrder) -> None:
        self._order = order
        self._uids = order.uids
        self._pages.clear()

    def row(self, index: int) -> Row | None:
        found = super().row(index)
        order = self._order
        if found is None or order is None:
            return found
        return Row(found.ref, found.summary, order.guide(index))

    def forget(self, uids: Sequence[int]) -> None:
        order = self._order
        if order is None:
            super().forget(uids)
            return
        gone = set(uids)
        kept = [i for i, uid in enumerate(order.uids) if uid not in gone]
        self._apply(
            ThreadOrder(
                [order.uids[i] for i in kept],
                [order.numbers[i] for i in kept],
                order.parents,
                order.next_siblings,
                order.depths,
            )
        )
