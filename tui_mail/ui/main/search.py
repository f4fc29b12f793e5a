"""Search on the main screen: cached results at once, then the server's answer.

A mixin of MainScreen; see triage.py for why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Input

from tui_mail.core.errors import TuiMailError
from tui_mail.core.store.message_index import FolderMessages

if TYPE_CHECKING:
    from tui_mail.ui.main.screen import MainScreen


class Search:
    """Acts on a MainScreen through its widgets and services."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def open(self) -> None:
        if self.screen.current.unified:
            self.screen.status.say("Search works in one folder; pick an account's folder first.")
            return
        search = self.screen.query_one("#search", Input)
        search.add_class("-open")
        # The query on screen, selected so that typing replaces it; empty otherwise.
        search.value = self.screen.searching or ""
        search.focus()
        search.select_all()

    def submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        event.input.remove_class("-open")
        self.screen.messages.focus()
        if not query:
            self.screen.show_folder(self.screen.current)
            return
        self.screen.run_worker(
            self._search(query), group="search", exclusive=True, exit_on_error=False
        )

    async def _search(self, query: str) -> None:
        key = self.screen.current
        service = self.screen.services[key.account]
        store = service.store
        words = [w for w in query.split() if ":" not in w]
        self.screen.searching = query
        try:
            folder_id = service.read_cache(lambda: store.folder_id(key.folder), None)
        except LookupError:
            folder_id = None
        if folder_id is not None and words:
            cached = service.read_cache(lambda: store.search_cached(folder_id, words), list[int]())
            self.screen.messages.set_source(
                FolderMessages(key.account, store, key.folder, only_uids=cached)
            )
            self.screen.status.say(
                f"Search {query!r}: {len(cached)} in the cache; asking the server…"
            )
        try:
            found = await service.search_uids(key.folder, query)
        except TuiMailError as error:
            self.screen.status.say(str(error), error=True)
            return
        if self.screen.searching != query:
            return
        self.screen.messages.set_source(
            FolderMessages(key.account, store, key.folder, only_uids=found)
        )
        self.screen.messages.cursor = 0
        self.screen.status.say(
            f"Search {query!r}: {len(found)} found. Escape returns to the folder."
        )
