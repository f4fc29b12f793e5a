"""Saved searches on the main screen: the tree's section, their lists, `:save-search`.

A helper like Triage (it holds no screen). The searches come from the config's
[[saved_searches]] (core/account/saved_search.py reads and counts them); their unread
counts are counted from the caches, never the network, on a thread, in the screen's
worker: once when the tree is first shown, and again when an account's news says mail or
flags changed (AccountNews calls `changed`). A burst of changes (100 new messages, a
mark-all) is one count: a count runs at most once every COUNT_EVERY seconds, and changes
that come meanwhile are counted together by the next one. The saved search on show is
searched again with the count, and its list keeps the cursor on the same message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from tui_mail.config import SavedSearchConfig, forget_saved_search, store_saved_search
from tui_mail.core.account.local_search import FoundMessages, Hit
from tui_mail.core.account.saved_search import SavedSearch, find, unread_counts, usable
from tui_mail.core.errors import UsageError
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.query import parse_query
from tui_mail.ui.main.folder_tree import FolderKey

if TYPE_CHECKING:
    from pathlib import Path

    from tui_mail.core.account.cache_view import CacheView
    from tui_mail.core.account.service import AccountService
    from tui_mail.ui.main.folder_tree import FolderTree
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.status import StatusBar

COUNT_EVERY = 0.5
"""Seconds between two counts at least: many changes in a row are counted once."""


class SavedSearches:
    """The saved searches' entries in the tree, their counts, and the list of the one on
    show."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        tree: FolderTree,
        messages: MessageList,
        status: StatusBar,
        *,
        configs: Sequence[SavedSearchConfig],
        config_path: Path,
        shown: Callable[[], FolderKey],
        run: Callable[[Awaitable[None]], object],
    ) -> None:
        """`shown()` is what the list shows; `run(job)` awaits `job` in a worker of the
        screen's."""
        self.services = services
        self.tree = tree
        self.messages = messages
        self.status = status
        self.config_path = config_path
        self._shown = shown
        self._run = run
        self.searches, self._problems = usable(configs)
        self.counts: dict[str, int] = {}
        self._hits: dict[str, list[Hit]] = {}
        """The last results of the saved search on show (by name)."""
        self._wanted = False
        self._counting = False
        self._last = 0.0
        self._opened: str | None = None
        """A saved search just chosen: its first results are told in the status bar."""

    @property
    def caches(self) -> dict[str, CacheView]:
        return {name: service.cache for name, service in self.services.items()}

    def entries(self) -> list[tuple[str, int | None]]:
        """What the tree's section shows: (name, unread count or None) in config order."""
        return [(s.name, self.counts.get(s.name)) for s in self.searches]

    def take_problems(self) -> list[str]:
        """What in the config was left out (the rest works), once: to be said."""
        problems, self._problems = self._problems, []
        return problems

    def named(self, name: str) -> SavedSearch | None:
        return next((s for s in self.searches if s.name == name), None)

    def accounts(self, key: FolderKey) -> list[str]:
        """The accounts whose inboxes a refresh of `key` syncs: a saved search's own,
        every account otherwise."""
        search = self.named(key.saved_search or "")
        return search.scope(list(self.services)) if search else list(self.services)

    # -- the list ----------------------------------------------------------------------

    def source(self, key: FolderKey) -> FoundMessages:
        """The list of `key` (a saved search) as last found; found again at once."""
        name = key.saved_search or ""
        self._opened = name
        self.changed()
        return FoundMessages(self.caches, self._hits.get(name, []))

    # -- counting ----------------------------------------------------------------------

    def changed(self) -> None:
        """Mail or flags changed somewhere: count again soon, together with whatever else
        changes meanwhile."""
        if not self.searches:
            return
        self._wanted = True
        if not self._counting:
            self._counting = True
            self._run(self._count_while_wanted())

    async def _count_while_wanted(self) -> None:
        try:
            while self._wanted:
                wait = self._last + COUNT_EVERY - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._wanted = False
                self._last = time.monotonic()
                shown = self.named(self._shown().saved_search or "")
                counts, hits = await asyncio.to_thread(self._count, list(self.searches), shown)
                self._show(counts, shown, hits)
        finally:
            self._counting = False

    def _count(
        self, searches: list[SavedSearch], shown: SavedSearch | None
    ) -> tuple[dict[str, int], list[Hit] | None]:
        """On a thread: every unread count, and the hits of the search on show."""
        caches = self.caches
        return unread_counts(caches, searches), find(caches, shown) if shown else None

    def _show(
        self, counts: dict[str, int], shown: SavedSearch | None, hits: list[Hit] | None
    ) -> None:
        self.counts.update(counts)
        for name, unread in counts.items():
            self.tree.update_count(FolderKey.saved(name), sanitize_line(name), unread)
        if shown is None or hits is None:
            return
        self._hits = {shown.name: hits}
        if self._shown().saved_search != shown.name:
            return  # another list was chosen meanwhile
        self.messages.set_source(FoundMessages(self.caches, hits), keep=self.messages.current)
        if self._opened == shown.name:
            self._opened = None
            self.status.say(f"Saved search {shown.name!r} ({shown.text}): {len(hits)} messages.")

    # -- the `:` commands ------------------------------------------------------------

    async def save(self, name: str, query: str, accounts: Sequence[str]) -> None:
        """`:save-search NAME`: keep `query` under `name` in the config file (a search of
        that name is replaced) and show it in the tree."""
        name = name.strip()
        if not name or not name.isprintable():
            raise UsageError("A saved search needs a name, e.g. :save-search Flagged.")
        parse_query(query)  # a query that does not read is said now, not at the next start
        unknown = [a for a in accounts if a not in self.services]
        if unknown:
            raise UsageError(f"No account named {unknown[0]!r}; known: {', '.join(self.services)}.")
        wanted = SavedSearchConfig(name, query, tuple(accounts))
        config = await asyncio.to_thread(store_saved_search, self.config_path, wanted)
        self._now_configured(config.saved_searches)
        where = ", ".join(accounts) if accounts else "every account"
        self.status.say(f"Saved search {name!r}: {query} (in {where}); it is in the folder tree.")

    async def forget(self, name: str) -> None:
        """`:forget-search NAME`: remove it from the config file and the tree."""
        name = name.strip()
        config = await asyncio.to_thread(forget_saved_search, self.config_path, name)
        self._now_configured(config.saved_searches)
        self.status.say(f"Saved search {name!r} forgotten.")

    def names(self) -> list[str]:
        return [s.name for s in self.searches]

    def _now_configured(self, configs: Sequence[SavedSearchConfig]) -> None:
        self.searches, problems = usable(configs)
        self.counts = {n: c for n, c in self.counts.items() if self.named(n)}
        for problem in problems:
            self.status.say(problem, error=True)
        self.tree.show_saved(self.entries())
        self.changed()
