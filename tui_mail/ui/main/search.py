"""Search on the main screen: cached results at once, then the server's answer.

A collaborator of MainScreen, like Triage; the screen runs its worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Input

from tui_mail.core.errors import TuiMailError

if TYPE_CHECKING:
    from tui_mail.ui.main.screen import MainScreen


class SearchBar(Input):
    """The search line, hidden until `/` opens it; Enter posts Input.Submitted."""

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


class Search:
    """Acts on a MainScreen through its widgets and services."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def open(self) -> None:
        if self.screen.current.unified:
            self.screen.status.say("Search works in one folder; pick an account's folder first.")
            return
        # The query on screen, selected so that typing replaces it; empty otherwise.
        self.screen.query_one(SearchBar).open(self.screen.searching or "")

    def submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        self.screen.query_one(SearchBar).close()
        self.screen.messages.focus()
        if not query:
            self.screen.show_folder(self.screen.current)
            return
        self.screen.run_search(query)

    async def run(self, query: str) -> None:
        """In the screen's "search" worker: a newer search cancels this one."""
        key = self.screen.current
        service = self.screen.services[key.account]
        words = [w for w in query.split() if ":" not in w]
        self.screen.searching = query
        cached = service.cache.search(key.folder, words) if words else None
        if cached is not None:
            self.screen.messages.set_source(
                service.cache.folder_messages(key.folder, only_uids=cached)
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
        self.screen.messages.set_source(service.cache.folder_messages(key.folder, only_uids=found))
        self.screen.messages.cursor = 0
        self.screen.status.say(
            f"Search {query!r}: {len(found)} found. Escape returns to the folder."
        )
