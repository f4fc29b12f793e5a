"""What an account's cache answers at once, for a screen: `AccountService.cache`.

No network, ever: these are the reads a UI makes while drawing. Damage met by one of them
reads as nothing (an empty list, None, the `empty` given): the store has then fired
`on_damaged`, the service turned that into a CacheProblem event, and the UI's sync rebuilds
the cache and refills the screen. The CLI reads through AccountService's own methods
instead, where damage ends the command with its sentence.

The UI never sees the store: this object is the narrow part of it a screen needs.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import TypeVar

from tui_mail.core.account.background import Deliver
from tui_mail.core.account.limited import LimitedMessages
from tui_mail.core.account.message_index import FolderMessages, ThreadedMessages
from tui_mail.core.errors import DiskFull
from tui_mail.core.folders.roles import sort_folders
from tui_mail.core.models import Folder, MessageSummary
from tui_mail.core.query import Query
from tui_mail.core.sort import DEFAULT_SORT, SortSpec
from tui_mail.core.store.cache import Store
from tui_mail.core.store.fts_newest import FIRST
from tui_mail.core.store.full_text import SearchStopped
from tui_mail.core.store.health import CacheDamaged, Rebuilt
from tui_mail.core.store.threads import gc_paused

T = TypeVar("T")


class CacheView:
    """The cache of one account, as screens read it."""

    def __init__(self, account: str, store: Store) -> None:
        self._account = account
        self._store = store

    def read(self, read: Callable[[], T], empty: T) -> T:
        """`read()`, or `empty` when it meets damage (see the module docstring)."""
        with contextlib.suppress(CacheDamaged):
            return read()
        return empty

    def folders(self) -> list[Folder]:
        """The cached folders in the tree's order; none when damage is met."""
        return self.read(lambda: sort_folders(self._store.folders()), list[Folder]())

    @property
    def rebuilt(self) -> Rebuilt | None:
        """Set once a damaged cache was set aside (at open or since): what to tell."""
        return self._store.rebuilt

    @property
    def read_only(self) -> DiskFull | None:
        """Set when the cache was opened read only because its disk is full."""
        return self._store.disk_full

    def ever_synced(self, folder: str) -> bool:
        """Whether `folder` was synced into the cache before (else listing it needs one)."""
        return self._store.sync_state(folder).uidvalidity is not None

    def pending_messages(self) -> list[tuple[str, int]]:
        """(folder, uid) of each message whose change still waits for the server."""
        return [(a.folder, uid) for a in self._store.queue.actions() for uid in a.uids]

    def recent_correspondents(self) -> list[tuple[str, str, str, str]]:
        """(from_name, from_addr, to, cc) of the newest cached messages, for address
        completion. Blocking: call it off the UI loop."""
        return self.read(self._store.recent_correspondents, [])

    def unseen(self, folder: str) -> int:
        """The cache's unread count of `folder`; LookupError when it is not cached."""
        return self._store.counts(self._store.folder_id(folder))[1]

    def search(self, folder: str, words: list[str]) -> list[int] | None:
        """UIDs in `folder` whose subject or sender hold every word; None when the folder
        is not cached."""
        folder_id = self._folder_id(folder)
        if folder_id is None:
            return None
        return self.read(lambda: self._store.search_cached(folder_id, words), list[int]())

    def summaries(self, folder: str, uids: Sequence[int]) -> dict[int, MessageSummary]:
        """UID -> the cached summary, for many messages at once (a bulk action on a
        100,000-message mark-all reads them in a few hundred queries, not one each)."""
        folder_id = self._folder_id(folder)
        if folder_id is None or not uids:
            return {}
        found = self.read(
            lambda: self._store.summaries(folder_id, uids=uids), list[MessageSummary]()
        )
        return {summary.uid: summary for summary in found}

    def _folder_id(self, folder: str) -> int | None:
        """The cache's id of `folder`; None when it is not cached (or cannot be read)."""
        try:
            return self.read(lambda: self._store.folder_id(folder), None)
        except LookupError:
            return None

    def folder_messages(
        self,
        folder: str,
        *,
        only_uids: Sequence[int] | None = None,
        threaded: bool = False,
        deliver: Deliver | None = None,
        sort: SortSpec = DEFAULT_SORT,
    ) -> FolderMessages:
        """A list's view of `folder` read from the cache a page at a time: in `sort`'s order
        (newest first by default), or as conversations (`threaded`, the threads in `sort`'s
        order; a large folder is threaded on a background thread and handed over through
        `deliver`, and a big one's flat order read there too); only `only_uids` when
        given (search results)."""
        if threaded:
            return ThreadedMessages(self._account, self._store, folder, deliver=deliver, sort=sort)
        return FolderMessages(
            self._account, self._store, folder, only_uids=only_uids, sort=sort, deliver=deliver
        )

    def matching(self, folder: str, query: Query) -> list[int] | None:
        """UIDs in `folder` of the cached messages matching `query`, newest first (see
        core/store/matching.py for what the cache can answer); None when the folder is not
        cached. Blocking: a 100,000-message folder takes tens of milliseconds, more when
        cached bodies are read; call it off the UI loop."""
        folder_id = self._folder_id(folder)
        if folder_id is None:
            return None
        return self.read(lambda: self._store.matching_uids(folder_id, query), list[int]())

    def matched_summaries(self, folder: str, query: Query) -> list[MessageSummary]:
        """The summaries of `matching`'s messages, newest first (`tui-mail search --cached`,
        what a limit shows); none when the folder is not cached."""
        uids = self.matching(folder, query) or []
        found = self.summaries(folder, uids)
        return [found[uid] for uid in uids if uid in found]

    def find(
        self,
        query: Query,
        folders: Sequence[str] | None = None,
        stop: threading.Event | None = None,
    ) -> list[tuple[str, int, int]]:
        """(folder, uid, date) of the cached messages matching `query`, newest first, in
        `folders` (every cached folder when None). What core/account/local_search.py merges
        across accounts. Served by the full-text index (core/store/fts.py: 100,000 messages
        in milliseconds; exactly what the matcher finds); a query it cannot answer (a header
        only a cached body holds) goes to the matcher, folder by folder. Raises
        SearchStopped soon after `stop` is set. Blocking: call it off the UI loop."""

        def find() -> list[tuple[str, int, int]]:
            ids = self._folder_ids(folders)
            found = self._store.full_text.find(list(ids), query, stop)
            if found is not None:
                with gc_paused():  # a broad word's 100,000 tuples, made in C (map)
                    return list(
                        zip(
                            map(ids.__getitem__, map(itemgetter(0), found)),
                            map(itemgetter(1), found),
                            map(itemgetter(2), found),
                            strict=True,
                        )
                    )
            hits: list[tuple[str, int, int]] = []
            for folder_id, name in ids.items():
                if stop is not None and stop.is_set():
                    raise SearchStopped
                uids = self._store.matching_uids(folder_id, query)
                dates = {s.uid: s.date for s in self._store.summaries(folder_id, uids=uids)}
                hits += [(name, uid, dates[uid]) for uid in uids if uid in dates]
            return sorted(hits, key=lambda hit: (-hit[2], -hit[1]))

        return self.read(find, [])

    def newest(
        self, query: Query, folders: Sequence[str] | None = None, count: int = FIRST
    ) -> tuple[list[tuple[str, int, int]], bool] | None:
        """The first of what `find` answers (at most `count` unless they are all) and
        whether they are all, found in milliseconds where the answer is big
        (core/store/fts_newest.py); None where `find` itself is as fast, or alone can
        answer. Blocking: call it off the UI loop."""

        def newest() -> tuple[list[tuple[str, int, int]], bool] | None:
            ids = self._folder_ids(folders)
            found = self._store.full_text.newest(list(ids), query, count)
            if found is None:
                return None
            hits, complete = found
            return [(ids[folder_id], uid, date) for folder_id, uid, date in hits], complete

        return self.read(newest, None)

    def uncached_bodies(self, folders: Sequence[str] | None = None) -> int:
        """How many messages in `folders` (every cached folder when None) have no cached
        body: plain words and body: look only at their sender, recipients and subject there
        (the server's search can look further)."""
        return self.read(
            lambda: self._store.full_text.uncached_bodies(list(self._folder_ids(folders))), 0
        )

    def indexing(self) -> int:
        """How many changes the search index has still to take in (0: up to date); searches
        are exact meanwhile, only slower."""
        return self.read(self._store.full_text.backlog, 0)

    def _folder_ids(self, folders: Sequence[str] | None) -> dict[int, str]:
        """Cache id -> name of `folders` (every cached folder when None) that are cached."""
        names = [f.name for f in self._store.folders()] if folders is None else folders
        ids: dict[int, str] = {}
        for name in names:
            with contextlib.suppress(LookupError):
                ids[self._store.folder_id(name)] = name
        return ids

    def limited(
        self,
        folder: str,
        query: Query,
        *,
        deliver: Deliver | None = None,
        on_matched: Callable[[], None] | None = None,
        sort: SortSpec = DEFAULT_SORT,
    ) -> LimitedMessages:
        """A list's view of `folder` limited to the messages matching `query`, matched
        again at every refresh; with `deliver`, matched on a background thread and handed
        over through it (core/account/limited.py); in `sort`'s order."""
        return LimitedMessages(
            self._account,
            self._store,
            folder,
            query,
            deliver=deliver,
            on_matched=on_matched,
            sort=sort,
        )
