"""Search on the main screen: results as you type from the cache, then the server's answer.

A helper of the main screen, like Triage; the screen runs its workers. Each key in the
search line matches the caches again (core/account/local_search.py) in the screen's
exclusive "typeahead" worker, on a thread (the threading rule, docs/ARCHITECTURE.md): a
newer key supersedes an older search, whose answer is never shown. Tab in the line cycles
how far it looks: this folder, every folder of the account, every account. Enter asks the
server too (this folder only) and adds what the cache could not find, marked "server" in
the list's place column. It keeps the query whose results the list shows (None: the list
shows the folder).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

from tui_mail.core.account.local_search import (
    FoundMessages,
    Hit,
    Scope,
    SearchStopped,
    search_local,
    search_newest,
)
from tui_mail.core.account.message_index import MessageRef
from tui_mail.core.errors import TuiMailError
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.query import parse_query

if TYPE_CHECKING:
    from tui_mail.core.account.cache_view import CacheView
    from tui_mail.core.account.service import AccountService
    from tui_mail.ui.main.folder_tree import FolderKey
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.status import StatusBar

T = TypeVar("T")

SCOPE_HELP = (
    "In the search line (/), Tab looks further: this folder, then every folder of the "
    "account, then every account (when there are more), then this folder again; the line's "
    "border says where it looks, and the next search keeps it."
)
"""The search line's Tab, for the help screen (its binding is live only in the line)."""
SERVER_MARK = "server"
"""In the place column of a row only the server's search found (its body is not cached)."""


class SearchBar(Input):
    """The search line, hidden until `/` opens it; its border says where it looks."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "cycle_scope", "Scope", show=False, id="search.scope",
                tooltip="Search this folder, all folders of the account, or everywhere"),
    ]  # fmt: skip

    def __init__(self, *, placeholder: str, id: str) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self._changed: Callable[[str], None] | None = None
        self._cycled: Callable[[], None] | None = None

    def listen(self, *, changed: Callable[[str], None], cycled: Callable[[], None]) -> None:
        """`changed(text)` after each edit while open; `cycled()` on Tab."""
        self._changed, self._cycled = changed, cycled

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self, query: str) -> None:
        """Show and focus it with `query` selected, so that typing replaces it."""
        self.add_class("-open")
        self.value = query
        self.focus()
        self.select_all()

    def close(self) -> None:
        self.remove_class("-open")

    def show_scope(self, where: str, then: str | None) -> None:
        self.border_title = f"Search {where}" + (f" · Tab: {then}" if then else "")

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.is_open and self._changed is not None:
            self._changed(event.value)

    def action_cycle_scope(self) -> None:
        if self._cycled is not None:
            self._cycled()


class Search:
    """Searches the caches as the line is typed, and the server on Enter."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        bar: SearchBar,
        messages: MessageList,
        status: StatusBar,
        *,
        folder: Callable[[], FolderKey],
        run: Callable[[str], object],
        typed: Callable[[str], object],
        back_to_folder: Callable[[], None],
    ) -> None:
        """`folder()` is what the list shows; `run(query)` starts the screen's "search"
        worker (which awaits `run`), `typed(text)` its exclusive "typeahead" worker (which
        awaits `typed`); `back_to_folder` shows the folder again."""
        self.services = services
        self.bar = bar
        self.messages = messages
        self.status = status
        self._folder = folder
        self._run = run
        self._typed = typed
        self._back_to_folder = back_to_folder
        self.query: str | None = None
        """The search whose results the list shows; None while it shows the folder."""
        self.scope = Scope.FOLDER
        """How far the line looks (Tab cycles); kept for the next search."""
        self._asked = 0
        """Counts searches asked for: an answer to an older one is dropped."""
        self._stop = threading.Event()
        """Set when the search running now is superseded: its matching stops."""
        self._matching: asyncio.Future[Any] | None = None
        self._complete = True
        """Whether the list shows all of the query's hits (else the newest, more coming)."""
        self._from_server: frozenset[MessageRef] = frozenset()
        bar.listen(changed=self.changed, cycled=self.cycle_scope)

    def reset(self) -> None:
        """The list shows a folder again: a search still running is not shown."""
        self.query = None
        self._supersede()

    def _supersede(self) -> int:
        """A newer search (or none) makes the running one stale: it stops, and its answer
        is dropped. The new search's number."""
        self._asked += 1
        self._stop.set()
        self._stop = threading.Event()
        return self._asked

    @property
    def shown(self) -> FolderKey:
        """What the list shows, or would without results: a folder, or all inboxes."""
        return self._folder()

    def back_to_folder(self) -> None:
        """Show the whole folder again, from its first message (the screen's show_folder)."""
        self._back_to_folder()

    # -- scope -------------------------------------------------------------------------

    def _scopes(self) -> list[Scope]:
        if self._folder().unified:
            return [Scope.ALL]
        return [Scope.FOLDER, Scope.ACCOUNT] + ([Scope.ALL] if len(self.services) > 1 else [])

    def _scope(self) -> Scope:
        scopes = self._scopes()
        return self.scope if self.scope in scopes else scopes[0]

    def _where(self, scope: Scope) -> str:
        key = self._folder()
        if scope is Scope.FOLDER:
            return f"in {sanitize_line(key.folder)}"
        if scope is Scope.ACCOUNT:
            return f"in {key.account} (all folders)"
        return "everywhere"

    def _show_scope(self) -> None:
        scopes, scope = self._scopes(), self._scope()
        then = scopes[(scopes.index(scope) + 1) % len(scopes)]
        self.bar.show_scope(self._where(scope), self._where(then) if then != scope else None)

    def cycle_scope(self) -> None:
        """Tab in the line: look further (folder, account, everywhere), then back."""
        scopes = self._scopes()
        self.scope = scopes[(scopes.index(self._scope()) + 1) % len(scopes)]
        self._show_scope()
        text = self.bar.value.strip()
        if text:
            self._typed(text)

    def _place(self, scope: Scope) -> Callable[[MessageRef], str] | None:
        """What the list's place column shows for a row: its folder (and account) when
        the results span folders; SERVER_MARK for a row only the server found."""
        from_server = self._from_server
        if scope is Scope.FOLDER and not from_server:
            return None

        def place(ref: MessageRef) -> str:
            if ref in from_server:
                return SERVER_MARK
            folder = sanitize_line(ref.folder)
            return {Scope.FOLDER: "", Scope.ACCOUNT: folder}.get(scope, f"{ref.account}:{folder}")

        return place

    # -- the line ----------------------------------------------------------------------

    def open(self) -> None:
        self._show_scope()
        # The query on screen, selected so that typing replaces it; empty otherwise.
        self.bar.open(self.query or "")

    def changed(self, text: str) -> None:
        """A key in the open line: the cached matches of what it says now."""
        text = text.strip()
        if text == (self.query or "") and self._complete:
            self._supersede()  # what the list shows already: an older key's answer is stale
            return
        if not text:
            self._back_to_folder()  # an emptied line shows the folder
            return
        self._typed(text)

    def submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        self.bar.close()
        self.messages.focus()
        if not query:
            self._back_to_folder()
            return
        self._run(query)

    # -- the work (in the screen's workers) ----------------------------------------------

    async def typed(self, text: str) -> None:
        """In the screen's exclusive "typeahead" worker: the cache's matches of `text`, the
        newest at once where there are many, then all of them and their count."""
        asked = self._supersede()
        async for hits, complete, uncached in self._local(text, uncached=True):
            stale = asked != self._asked or self.bar.value.strip() != text
            if stale or not self.bar.is_open:
                return  # a newer key, Escape or Enter came first: this answer is stale
            self._show(text, hits, frozenset(), complete=complete)
            self._say_found(text, hits, complete, uncached)

    def _say_found(self, text: str, hits: list[Hit], complete: bool, uncached: int | None) -> None:
        where = self._where(self._scope())
        if not complete:
            self.status.say(f"{text!r}: the newest {len(hits):,} in the cache {where}; "
                            "counting the rest…")  # fmt: skip
            return
        said = f"{text!r}: {len(hits):,} in the cache {where}"
        if self._scope() is not Scope.FOLDER:
            self.status.say(f"{said}. Enter keeps them; the server is asked only in a folder.")
        elif uncached is None:
            self.status.say(f"{said} · bodies not cached are not searched: Enter asks the server")
        elif uncached:
            self.status.say(f"{said} · bodies of {uncached:,} messages not cached: "
                            "Enter asks the server")  # fmt: skip
        else:
            self.status.say(f"{said} · Enter asks the server too")

    async def run(self, query: str) -> None:
        """In the screen's "search" worker (Enter, `:search QUERY`): the cache's matches
        at once, then the server's, added to them and marked."""
        asked = self._supersede()
        scope, key = self._scope(), self._folder()
        hits: list[Hit] | None = None
        async for hits, complete, _uncached in self._local(query, uncached=False):
            if asked != self._asked:
                return
            self._show(query, hits, frozenset(), complete=complete)
            if not complete:
                self.status.say(f"Search {query!r}: the newest {len(hits):,} in the cache; "
                                "finding the rest…")  # fmt: skip
        if hits is None or not self._complete:
            return
        if scope is not Scope.FOLDER:
            self.status.say(f"Search {query!r}: {len(hits):,} found in the cache "
                            f"{self._where(scope)}. Escape returns to the folder.")  # fmt: skip
            return
        self.status.say(f"Search {query!r}: {len(hits):,} in the cache; asking the server…")
        service = self.services[key.account]
        try:
            uids = await service.search_uids(key.folder, query)
        except TuiMailError as error:
            if asked == self._asked:
                self.status.say(f"Search {query!r}: {len(hits):,} found in the cache; the "
                                f"server's search did not answer: {error}", error=True)  # fmt: skip
            return
        if asked != self._asked:
            return
        known = {hit.uid for hit in hits}
        extra = [uid for uid in uids if uid not in known]
        dates = await asyncio.to_thread(service.cache.summaries, key.folder, extra)
        more = [Hit(key.account, key.folder, uid, s.date) for uid, s in dates.items()]
        merged = sorted([*hits, *more], key=lambda hit: (-hit.date, -hit.uid))
        self._show(query, merged, frozenset(MessageRef(h.account, h.folder, h.uid) for h in more))
        added = f"; {len(more):,} more from the server, marked {SERVER_MARK!r}" if more else ""
        self.status.say(f"Search {query!r}: {len(merged):,} found ({len(hits):,} in the cache"
                        f"{added}). Escape returns to the folder.")  # fmt: skip

    async def _local(
        self, text: str, *, uncached: bool
    ) -> AsyncIterator[tuple[list[Hit], bool, int | None]]:
        """The cache's hits for `text` in the scope, matched on a thread: the newest first
        where there are many (complete: False), then all of them (True), with the bodies
        not cached there (None when not asked, or the cache cannot tell). Nothing (said)
        when `text` is not a query yet; nothing more once a newer search stopped it."""
        try:
            query = parse_query(text)
        except TuiMailError as error:
            self.status.say(str(error))
            return
        scope, key = self._scope(), self._folder()
        caches = {name: service.cache for name, service in self.services.items()}
        folders = [key.folder] if scope is Scope.FOLDER else None
        account, folder, stop = key.account, key.folder, self._stop

        def newest() -> tuple[list[Hit], bool] | None:
            return search_newest(caches, query, scope, account=account, folder=folder)

        first = await self._on_thread(newest)
        if first is not None and not first[1]:
            yield first[0], False, None
            # The whole answer's thread would hold the GIL the first answer's frame needs
            # (measured: 20-30 ms from showing it to its frame): it starts once painted.
            painted = asyncio.Event()
            self.messages.call_after_refresh(painted.set)
            await painted.wait()

        def rest() -> tuple[list[Hit], int | None] | None:
            try:
                if first is not None and first[1]:
                    hits = first[0]  # the first answer was all of it
                else:
                    hits = search_local(
                        caches, query, scope, account=account, folder=folder, stop=stop
                    )
            except SearchStopped:
                return None
            return hits, _uncached(caches.get(key.account), folders) if uncached else None

        found = await self._on_thread(rest)
        if found is not None:
            yield found[0], True, found[1]

    async def _on_thread(self, work: Callable[[], T]) -> T:
        """`work()` on a thread. One matching at a time: one superseded by a newer key
        is stopped (or, the matcher's, finishes unseen) first, so they never pile up on
        the machine's cores."""
        running = self._matching
        if running is not None and not running.done():
            await asyncio.wait([running])
        future = asyncio.get_running_loop().run_in_executor(None, work)
        self._matching = future
        return await asyncio.shield(future)

    def _show(
        self,
        text: str,
        hits: Sequence[Hit],
        from_server: frozenset[MessageRef],
        *,
        complete: bool = True,
    ) -> None:
        """The list shows `hits`; the rest of a first answer keeps the cursor's message."""
        growing = self.query == text and not self._complete
        self.query, self._from_server, self._complete = text, from_server, complete
        caches = {name: service.cache for name, service in self.services.items()}
        found = FoundMessages(caches, hits)
        if growing:
            self.messages.set_source(found, keep=self.messages.current)
            return
        scope = self._scope()
        self.messages.show_from_top(found, place=self._place(scope),
                                    show_account=scope is Scope.ALL)  # fmt: skip


def _uncached(cache: CacheView | None, folders: list[str] | None) -> int | None:
    """Messages whose body the cache lacks in `folders` (every folder when None); None
    when the cache cannot tell (CacheView.uncached_bodies arrives with the FTS index)."""
    count: Callable[[list[str] | None], int] | None = getattr(cache, "uncached_bodies", None)
    return None if count is None else count(folders)
