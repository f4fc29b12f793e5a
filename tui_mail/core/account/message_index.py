"""The message list's model: every message's place in the list, and the rows on screen.

A 100,000-message folder is 100,000 integers here (the UIDs in list order); summaries are
read from the store only for the rows a widget asks for, a page at a time, and kept in a
small cache. Textual-free so it can be tested and reused (unified inbox, search results).
"""

from __future__ import annotations

import contextlib
import heapq
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Generic, Protocol, TypeVar

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
        self._pages: OrderedDict[int, dict[int, MessageSummary]] = OrderedDict()
        # With `deliver` (the UI), a big folder's order is read on a background thread
        # (its first rows at once), and the list keeps the previous order until then.
        self._order_job = (
            None
            if deliver is None
            else BackgroundJob("ordering", deliver, take=self.take_order, again=self.refresh)
        )
        self.refresh()

    def refresh(self) -> None:
        # A damaged cache reads as empty: the store rebuilds it at its next access and
        # its owner is told (AccountService emits CacheProblem), whose sync refills it.
        try:
            folder_id = self.store.folder_id(self.folder)
            if self._order_job is not None and self._big(folder_id):
                if not self._uids:
                    # Until a key's index is made (on the background thread), the newest
                    # rows stand in: sorting a million rows without it takes seconds.
                    ready = self.store.sort_ready(self.sort.key)
                    self.take_order(self._ordered(folder_id, ORDER_HEAD, ready))
                self._order_job.start(partial(self._ordered, folder_id))
                return
            uids = self._ordered(folder_id)
        except (UnknownFolder, CacheDamaged):
            uids = []
        self.take_order(uids)

    def _ordered(self, folder_id: int, limit: int = -1, by_sort: bool = True) -> list[int]:
        sort = self.sort if by_sort else DEFAULT_SORT
        return self.store.ordered_uids(
            folder_id, unread_only=self.unread_only, sort=sort, limit=limit
        )

    def _big(self, folder_id: int) -> bool:
        if self._uids:
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


T = TypeVar("T")

BACKGROUND_OVER = 3000
"""Folders larger than this are threaded on a background thread (100,000 messages take
a few hundred milliseconds; 3,000 about ten)."""

Deliver = Callable[[Callable[[], None]], None]
"""Runs a function on the list's own thread (the UI's), from any thread."""

_executors: dict[str, ThreadPoolExecutor] = {}


def background_thread(name: str) -> ThreadPoolExecutor:
    """One long-lived thread per kind of work ("threading", "limit"): the store opens a
    read connection per thread, kept until the store closes, so a thread per job would
    leak connections; kinds apart, a long limit does not hold up threading a folder."""
    executor = _executors.get(name)
    if executor is None:
        executor = _executors[name] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    return executor


class BackgroundJob(Generic[T]):
    """One job at a time on a named background thread, its result handed to the list's
    thread through `deliver` (`take`, or `failed` with the error). Started again while
    one runs, it calls `again()` once that one is done: the list changed meanwhile, and
    the job must see the change (a threaded view, a limit)."""

    def __init__(
        self,
        thread: str,
        deliver: Deliver,
        *,
        take: Callable[[T], None],
        again: Callable[[], None],
        failed: Callable[[BaseException], None] = lambda error: None,
    ) -> None:
        self._thread = thread
        self._deliver = deliver
        self._take = take
        self._again = again
        self._failed = failed
        self._running = False
        self._asked_again = False

    def start(self, job: Callable[[], T]) -> None:
        if self._running:
            self._asked_again = True
            return
        self._running = True
        future = background_thread(self._thread).submit(job)
        future.add_done_callback(lambda done: self._deliver(partial(self._finished, done)))

    def _finished(self, future: Future[T]) -> None:
        self._running = False
        error = future.exception()
        if error is None:
            self._take(future.result())
        else:
            self._failed(error)
        if self._asked_again:
            self._asked_again = False
            self._again()


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
