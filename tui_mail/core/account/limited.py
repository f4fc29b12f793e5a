"""A limited view: a folder (or the unified inbox) narrowed to the messages matching a query.

The query is the search language (core/query.py), answered by the cache alone
(core/store/matching.py), so a limit works offline and never asks the server. The view is a
`MessageSource` like a folder's, so the list, marks, triage and the reader work on it
unchanged; it is flat, newest first (a threaded folder is shown flat while limited).

Matching a large folder can take a while (a plain word over cached bodies), so with
`deliver` (the UI) it runs on a thread of its own and the result is handed over through
`deliver`, as ThreadedMessages does, in the folder's list order: the UI thread only takes
it, and the list keeps the rows it shows until then. Every `refresh` (a sync, new mail, an
action) matches again, so the limit stays, re-evaluated, as mail comes and goes. Without
`deliver` (scripts, tests) matching is done in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

from tui_mail.core.account.background import BackgroundJob, Deliver
from tui_mail.core.account.message_index import (
    FolderMessages,
    MergedMessages,
    MessageRef,
    MessageSource,
)
from tui_mail.core.errors import CacheDamaged
from tui_mail.core.query import Query
from tui_mail.core.sort import DEFAULT_SORT, SortSpec
from tui_mail.core.store.cache import Store, UnknownFolder


def match_folder(store: Store, folder: str, query: Query) -> tuple[list[int], int]:
    """(UIDs matching `query` newest first, messages in the folder), from the cache;
    blocking. A folder not cached, or damage met, matches nothing (the store then tells
    its owner)."""
    try:
        folder_id = store.folder_id(folder)
        return store.matching_uids(folder_id, query), store.counts(folder_id)[0]
    except (UnknownFolder, CacheDamaged):
        return [], 0


class LimitedMessages(FolderMessages):
    """One folder of one account, only the messages matching `query`, newest first."""

    def __init__(
        self,
        account: str,
        store: Store,
        folder: str,
        query: Query,
        *,
        deliver: Deliver | None = None,
        on_matched: Callable[[], None] | None = None,
        sort: SortSpec = DEFAULT_SORT,
    ) -> None:
        self.query = query
        self.total = 0
        """Messages in the folder at the last matching (the "of N")."""
        self.matched = False
        """Whether a matching has finished (until then the view is empty)."""
        self.error: Exception | None = None
        """Why the last matching failed (the rows of the one before stay), else None."""
        self._deliver = deliver
        self.on_matched = on_matched
        """Called (on the list's thread) each time matching finishes."""
        self._job = (
            None
            if deliver is None
            else BackgroundJob(
                "limit", deliver, take=self._take, again=self.refresh, failed=self._failed
            )
        )
        self._held = False
        super().__init__(account, store, folder, only_uids=(), sort=sort)

    def refresh(self) -> None:
        if self._held:
            return  # merging the inboxes again: this order came with its matching
        if self._deliver is None:
            self._take(self._match())
            return
        self._pages.clear()  # flags may have changed; the order stays until matched again
        self._start()

    def _match(self) -> tuple[list[int], int]:
        """Off the list's thread: the matching UIDs in the folder's list order (read as a
        folder reads it), and how many messages the folder holds."""
        matched, total = match_folder(self.store, self.folder, self.query)
        return FolderMessages(
            self.account, self.store, self.folder, only_uids=matched, sort=self.sort
        ).uids(), total

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Refreshes inside keep the order, without matching again."""
        self._held = True
        try:
            yield
        finally:
            self._held = False

    def _start(self) -> None:
        if self._job is not None:
            self._job.start(self._match)

    def _failed(self, error: BaseException) -> None:
        # Not a damaged cache (that matches nothing, and is rebuilt): a bug to show; the
        # rows of the matching before stay.
        self.error = error if isinstance(error, Exception) else RuntimeError(str(error))
        if self.on_matched is not None:
            self.on_matched()

    def forget(self, uids: Sequence[int]) -> None:
        """Rows moved or deleted from the view: they left the folder too (the "of N")."""
        before = len(self._uids)
        super().forget(uids)
        self.total = max(0, self.total - (before - len(self._uids)))
        if self.on_matched is not None:
            self.on_matched()

    def _take(self, result: tuple[list[int], int]) -> None:
        self._uids, self.total = result
        self._only = set(self._uids)
        self._positions = None
        self._pages.clear()
        self.matched, self.error = True, None
        if self.on_matched is not None:
            self.on_matched()


class LimitedMerged(MergedMessages):
    """The unified inbox limited: each account's inbox limited, merged by date."""

    def __init__(
        self,
        sources: Sequence[LimitedMessages],
        *,
        sort: SortSpec = DEFAULT_SORT,
        on_matched: Callable[[], None] | None = None,
    ) -> None:
        self.limited = list(sources)
        self._on_matched = on_matched
        for source in self.limited:
            source.on_matched = self._merge_again
        super().__init__(self.limited, sort)

    @property
    def matched(self) -> bool:
        return all(source.matched for source in self.limited)

    @property
    def total(self) -> int:
        return sum(source.total for source in self.limited)

    @property
    def error(self) -> Exception | None:
        return next((s.error for s in self.limited if s.error is not None), None)

    def _merge_again(self) -> None:
        """One inbox was matched again: merge anew without asking any to match again."""
        with contextlib.ExitStack() as stack:
            for source in self.limited:
                stack.enter_context(source.held())
            MergedMessages.refresh(self)
        if self._on_matched is not None:
            self._on_matched()


def every_ref(source: MessageSource) -> list[MessageRef]:
    """Every message a list shows (for marking them all), without reading summaries: a
    folder's UIDs are at hand (or read whole: FolderMessages.every_uid); other sources are
    read row by row."""
    if isinstance(source, FolderMessages):
        account, folder = source.account, source.folder
        return [MessageRef(account, folder, uid) for uid in source.every_uid()]
    if isinstance(source, MergedMessages):
        return [ref for part in source.sources for ref in every_ref(part)]
    rows = (source.row(index) for index in range(len(source)))
    return [row.ref for row in rows if row is not None]
