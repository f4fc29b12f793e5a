"""Search on the main screen: cached results at once, then the server's answer.

A helper of the main screen, like Triage; the screen runs its worker. It keeps the query
whose results the list shows (None: the list shows the folder).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from textual.widgets import Input

from tui_mail.core.errors import TuiMailError

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService
    from tui_mail.ui.main.folder_tree import FolderKey
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.status import StatusBar


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
    """Searches the folder on screen: the search line, the list, the status bar."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        bar: SearchBar,
        messages: MessageList,
        status: StatusBar,
        *,
        folder: Callable[[], FolderKey],
        run: Callable[[str], object],
        back_to_folder: Callable[[], None],
    ) -> None:
        """`folder()` is what the list shows; `run(query)` starts the screen's "search"
        worker (which awaits `run`); `back_to_folder` shows the folder again."""
        self.services = services
        self.bar = bar
        self.messages = messages
        self.status = status
        self._folder = folder
        self._run = run
        self._back_to_folder = back_to_folder
        self.query: str | None = None
        """The search whose results the list shows; None while it shows the folder."""

    def reset(self) -> None:
        """The list shows a folder again."""
        self.query = None

    @property
    def shown(self) -> FolderKey:
        """What the list shows, or would without results: a folder, or all inboxes."""
        return self._folder()

    def back_to_folder(self) -> None:
        """Show the whole folder again, from its first message (the screen's show_folder)."""
        self._back_to_folder()

    def open(self) -> None:
        if self._folder().unified:
            self.status.say("Search works in one folder; pick an account's folder first.")
            return
        # The query on screen, selected so that typing replaces it; empty otherwise.
        self.bar.open(self.query or "")

    def submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        self.bar.close()
        self.messages.focus()
        if not query:
            self._back_to_folder()
            return
        self._run(query)

    async def run(self, query: str) -> None:
        """In the screen's "search" worker: a newer search cancels this one."""
        key = self._folder()
        service = self.services[key.account]
        words = [w for w in query.split() if ":" not in w]
        self.query = query
        cached = service.cache.search(key.folder, words) if words else None
        if cached is not None:
            self.messages.set_source(service.cache.folder_messages(key.folder, only_uids=cached))
            self.status.say(f"Search {query!r}: {len(cached)} in the cache; asking the server…")
        try:
            found = await service.search_uids(key.folder, query)
        except TuiMailError as error:
            self.status.say(str(error), error=True)
            return
        if self.query != query:
            return
        self.messages.show_from_top(service.cache.folder_messages(key.folder, only_uids=found))
        self.status.say(f"Search {query!r}: {len(found)} found. Escape returns to the folder.")
