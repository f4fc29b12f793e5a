"""AccountNews: what an account's news means on the main screen.

It turns the service's events (new mail, changed folders and counts, the watcher's
connection state, cache trouble, offline changes waiting) into what the status bar says,
the folder tree's counts, list reloads and the rows marked as waiting for the server:
each widget is told, and shows it its own way. AccountSync (connecting and syncing) tells
it about syncs; the screen's handlers hand it the events the service posted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING

from tui_mail.core.account.events import (
    CacheProblem,
    ConnectionState,
    CountsChanged,
    Event,
    FolderChanged,
    FoldersChanged,
    NewMail,
    OfflineProgress,
    PendingChanged,
)
from tui_mail.core.account.message_index import MessageRef, Row
from tui_mail.core.message.correspondents import own_addresses
from tui_mail.core.models import Folder, FolderRole
from tui_mail.ui.main.folder_news import show_folder_news
from tui_mail.ui.main.folder_tree import UNIFIED, FolderKey
from tui_mail.ui.main.saved_searches import SavedSearches

if TYPE_CHECKING:
    from tui_mail.config import AppConfig
    from tui_mail.core.account.service import AccountService
    from tui_mail.ui.main.folder_tree import FolderTree
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.ports import Alerts
    from tui_mail.ui.main.status import StatusBar


class AccountNews:
    """The accounts' events, told to the status bar, the folder tree and the list."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        tree: FolderTree,
        messages: MessageList,
        status: StatusBar,
        *,
        alerts: Alerts,
        folder: Callable[[], FolderKey],
        searching: Callable[[], bool],
        sync_in_background: Callable[[str, str], object],
        config: AppConfig,
        run: Callable[[Awaitable[None]], object],
        tree_changed: Callable[[], None],
        show_folder: Callable[[FolderKey], None],
    ) -> None:
        """`folder()` is the folder the list shows, `searching()` whether it shows search
        results instead; `sync_in_background(account, folder)` starts a sync in the
        screen's "sync" worker group; `run(job)` awaits a job in a worker of the screen's
        (the saved searches' counts); `tree_changed()` draws the tree again from the
        caches, `show_folder(key)` shows another folder in the list."""
        self.services = services
        self.tree = tree
        self.messages = messages
        self.status = status
        self._alerts = alerts
        self._folder = folder
        self._searching = searching
        self._sync_in_background = sync_in_background
        self._tree_changed = tree_changed
        self._show_folder = show_folder
        self._pending: dict[str, frozenset[MessageRef]] = {}
        self._own: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        """Account -> (its Sent and Drafts folders, its addresses), for `own_mail`."""
        self.saved = SavedSearches(
            services,
            tree,
            messages,
            status,
            configs=config.saved_searches,
            config_path=config.path,
            shown=folder,
            run=run,
        )

    def shows(self, account: str, folder: str) -> bool:
        """Whether the message list shows `folder` of `account` (no search covering it)."""
        if self._searching():
            return False
        shown = self._folder()
        if shown.unified:
            return folder.upper() == "INBOX"
        return shown == FolderKey(account, folder)

    def service_event(self, event: Event | None) -> None:
        status = self.status
        if event is None:
            self._alerts.bell()
        elif isinstance(event, ConnectionState):
            # Already shown so (by the first failure, or an earlier retry): not news.
            known = status.state(event.account) == event.state
            status.watcher_state(event.account, event.state)
            if event.detail and event.state in ("offline", "auth failed"):
                sentence = f"{event.account}: {event.detail}"
                if known:
                    status.repeat_problem(event.account, sentence)
                else:
                    status.say(sentence, error=True, account=event.account)
            elif event.state in ("idling", "polling"):
                self.status.clear_problem(event.account, f"{event.account}: connected again")
        elif isinstance(event, FolderChanged):
            if event.account not in self.services:
                return
            if self.shows(event.account, event.folder):
                self.messages.reload()
            self.update_counts(event.account)
        elif isinstance(event, FoldersChanged):
            if event.account in self.services:
                self.forget_own(event.account)  # Sent or Drafts may have been renamed
                show_folder_news(
                    event, self._folder(), tree=self.tree, status=status,
                    tree_changed=self._tree_changed, show_folder=self._show_folder,
                    sync=self._sync_in_background,
                )  # fmt: skip
        elif isinstance(event, CountsChanged):
            if event.account in self.services:
                self.update_counts(event.account)
        elif isinstance(event, NewMail):
            self.saved.changed()
            newest = event.messages[0]
            self.status.say(
                f"{event.account}: new mail in {event.folder} from {newest.sender}: "
                f"{newest.subject}"
                if len(event.messages) == 1
                else f"{event.account}: {len(event.messages)} new messages in {event.folder}"
            )
        elif isinstance(event, CacheProblem):
            self.tell_cache(event.account, event.detail)
            shown = self._folder()
            if "damaged" in event.detail and shown.account in self.services:
                # Rebuilt at the store's next access: refill what is on screen.
                self._sync_in_background(shown.account, shown.folder)
        elif isinstance(event, OfflineProgress):  # every few seconds while downloading ahead
            self.status.say(event.sentence())
        elif isinstance(event, PendingChanged):
            self.show_pending(event.account)
            for problem in event.problems:
                self.status.say(f"{event.account}: {problem}", error=True)
            if event.count:
                self.status.say(f"{event.account}: {event.count} action(s) pending (offline)")
            elif not event.problems:
                self.status.say(f"{event.account}: offline changes sent to the server")

    def show_pending(self, account: str) -> None:
        """Mark the rows whose change still waits for the server."""
        service = self.services.get(account)
        if service is None:
            return
        self._pending[account] = frozenset(
            MessageRef(account, folder, uid) for folder, uid in service.cache.pending_messages()
        )
        self.messages.set_pending(frozenset().union(*self._pending.values()))

    def tell_cache(self, name: str, sentence: str, *, error: bool = True) -> None:
        """What happened to the cache (or the disk under it): status bar and notification,
        because it changes what the user can do (free space, make a file writable)."""
        self.status.say(f"{name}: {sentence}", error=error)
        self._alerts.notify(sentence, title=name, severity="error" if error else "warning")

    def show_tree(self, outbox: dict[str, int]) -> None:
        """Rebuild the folder tree from the caches: every account's folders with their
        counts, all inboxes when there are several accounts, `outbox` (account -> messages
        waiting to be sent)."""
        accounts = {name: s.cache.folders() for name, s in self.services.items()}
        for name, folders in accounts.items():
            if not folders:  # never connected: at least the inbox, from the cache
                accounts[name] = [Folder("INBOX", "/", FolderRole.INBOX)]
        self.tree.show_folders(
            accounts, unified=len(self.services) > 1, outbox=outbox, saved=self.saved.entries()
        )
        for problem in self.saved.take_problems():  # a notification: it outlasts the syncs'
            self.status.say(problem, error=True)
            self._alerts.notify(problem, title="Saved searches", severity="warning")
        self.saved.changed()

    def update_counts(self, account: str) -> None:
        """Show the cache's counts of `account`'s folders (kept by the service: shifted by
        each action, confirmed by the server's STATUS; see core/account/counts.py)."""
        tree = self.tree
        service = self.services[account]
        # Damage met by these reads leaves the counts shown as they were (cache.read).
        for folder in service.cache.folders():
            if not folder.selectable:  # no counts; its label keeps the tree's dim style
                continue
            unread = folder.unseen
            if unread is None:  # never counted by the server (listed offline): the cache's
                with contextlib.suppress(LookupError):
                    unread = service.cache.read(partial(service.cache.unseen, folder.name), 0)
            name = folder.display_name if folder.role is None else folder.role.value.title()
            tree.update_count(FolderKey(account, folder.name), name, unread or 0)
        if len(self.services) > 1:
            inboxes = sum(
                f.unseen or 0
                for service in self.services.values()
                for f in service.cache.folders()
                if f.role is FolderRole.INBOX
            )
            tree.update_count(FolderKey("", UNIFIED), "All inboxes", inboxes)
        self.saved.changed()  # the saved searches' counts, once for a burst of changes

    def own_mail(self, row: Row) -> bool:
        """Whether the list shows `row` with its recipients: in Sent or Drafts (by role),
        or from one of the account's own addresses."""
        known = self._own.get(row.ref.account)
        if known is None:
            service = self.services.get(row.ref.account)
            if service is None:
                return False
            folders = frozenset(
                f.name
                for f in service.cache.folders()
                if f.role in (FolderRole.SENT, FolderRole.DRAFTS)
            )
            known = self._own[row.ref.account] = (
                folders,
                frozenset(own_addresses(service.account)),
            )
        folders, addresses = known
        return row.ref.folder in folders or row.summary.from_addr.casefold() in addresses

    def forget_own(self, account: str) -> None:
        """The account's folders were listed again: its Sent and Drafts are looked up anew."""
        self._own.pop(account, None)
