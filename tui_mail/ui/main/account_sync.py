"""AccountSync: the main screen's part in connecting each account and keeping its folders synced.

It starts each account (watcher, login, the folder on screen first, then the inbox), turns
the service's events and sync progress into the status bar, the folder tree's counts and
list reloads, and marks rows whose change still waits for the server: it tells the status
bar, the folder tree and the message list what happened, and each shows it its own way.
It holds those widgets and a few callables of the screen's, never the screen. The service
calls back on its own threads, so those callbacks only post the messages below; the
screen's handlers and `@work` workers (which must live on the Screen) hand them here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING

from textual.message import Message

from tui_mail.core.account.events import (
    CacheProblem,
    ConnectionState,
    CountsChanged,
    Event,
    FolderChanged,
    NewMail,
    PendingChanged,
)
from tui_mail.core.account.message_index import MessageRef, Row
from tui_mail.core.errors import (
    AuthenticationFailed,
    CacheDamaged,
    CacheError,
    ConnectionFailed,
    DiskFull,
    ServerMisbehaved,
    ServerTimeout,
    TuiMailError,
)
from tui_mail.core.message.correspondents import own_addresses
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.models import FolderRole
from tui_mail.ui.main.folder_tree import UNIFIED, FolderKey

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.models import SyncResult
    from tui_mail.ui.main.folder_tree import FolderTree
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.ports import Alerts
    from tui_mail.ui.main.status import StatusBar

log = logging.getLogger(__name__)

RELOAD_INTERVAL = 0.4
"""While a long sync runs, the list re-reads the store at most this often."""

# The messages keep the "main_screen" namespace so that MainScreen's handlers keep their
# names (on_main_screen_sync_progress ...) although the classes live here.


class SyncProgress(Message, namespace="main_screen"):
    """Posted from a service thread while headers arrive."""

    def __init__(self, account: str, folder: str, done: int, total: int) -> None:
        self.account, self.folder, self.done, self.total = account, folder, done, total
        super().__init__()


class Reconnected(Message, namespace="main_screen"):
    """An account's server is reachable again (posted from its watcher thread)."""

    def __init__(self, account: str) -> None:
        self.account = account
        super().__init__()


class ServiceEvent(Message, namespace="main_screen"):
    """An AccountService event (new mail, changes, connection state), or None for
    the new-mail bell; posted from the service's threads."""

    def __init__(self, event: Event | None) -> None:
        self.event = event
        super().__init__()


class AccountSync:
    """Each account's connection and syncs, told to the status bar, tree and list."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        tree: FolderTree,
        messages: MessageList,
        status: StatusBar,
        *,
        alerts: Alerts,
        post: Callable[[Message], object],
        folder: Callable[[], FolderKey],
        searching: Callable[[], bool],
        tree_changed: Callable[[], None],
        sync_in_background: Callable[[str, str], object],
    ) -> None:
        """`post` sends a message to the screen from any thread; `folder()` is the folder
        the list shows, `searching()` whether it shows search results instead;
        `tree_changed()` rebuilds the tree from the cache; `sync_in_background(account,
        folder)` starts a sync in the screen's "sync" worker group."""
        self.services = services
        self.tree = tree
        self.messages = messages
        self.status = status
        self._alerts = alerts
        self._post = post
        self._folder = folder
        self._searching = searching
        self._tree_changed = tree_changed
        self._sync_in_background = sync_in_background
        self._last_reload = 0.0
        self._syncing: set[tuple[str, str]] = set()
        self._pending: dict[str, frozenset[MessageRef]] = {}
        self._own: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        """Account -> (its Sent and Drafts folders, its addresses), for `own_mail`."""
        self._told_rebuilt: dict[str, object] = {}
        self._refilled: dict[str, object] = {}

    def attach(self, name: str) -> None:
        """Show the account as connecting and route its service's callbacks to the screen."""
        service = self.services[name]
        self.status.set_state(name, "connecting")
        self.show_pending(name)  # left from an earlier session offline
        rebuilt, read_only = service.cache.rebuilt, service.cache.read_only
        if rebuilt is not None:  # found damaged when opened: set aside
            self._told_rebuilt[name] = rebuilt
            self.tell_cache(name, rebuilt.sentence(), error=False)
        if read_only is not None:  # open read only: say so before any sync
            self.tell_cache(name, str(read_only))
        # Both are called on the service's threads: post, and act on our own thread.
        post = self._post
        service.on_event = lambda event: post(ServiceEvent(event))
        service.notifier.bell = lambda: post(ServiceEvent(None))
        service.on_reconnected.append(partial(self._post_reconnected, name))
        self.messages.tell_own_mail(self.own_mail)

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

    def _post_reconnected(self, account: str) -> None:
        self._post(Reconnected(account))

    async def start(self, name: str) -> None:
        """Watch, connect, sync what is on screen, list the folders, then sync the inbox."""
        service = self.services[name]
        shown = self._folder()
        inbox_wanted = shown.unified or shown == FolderKey(name, "INBOX")
        try:
            # Started first: when the server is out of reach, the watcher is what
            # reconnects. From a thread: making the backend imports the protocol library.
            await asyncio.to_thread(service.start_watching)
            await service.connect()
            self.status.set_state(name, "connected")
            shown = self._folder()
            if shown.account == name and not shown.unified:
                # The rows the user is looking at come before the folder list.
                await self.sync(name, shown.folder)
            folders = await service.refresh_folders()
            self._own.pop(name, None)
            self._tree_changed()
            shown = self._folder()
            if inbox_wanted or shown.account != name:
                inbox = next((f.name for f in folders if f.role is FolderRole.INBOX), "INBOX")
                if FolderKey(name, inbox) != shown:
                    await self.sync(name, inbox)
        except TuiMailError as error:
            self.failed(name, error)

    async def refresh_folders(self, name: str) -> None:
        try:
            await self.services[name].refresh_folders()
        except TuiMailError as error:
            log.info("folder list of %s after a reconnect: %s", name, error)
            return
        self._own.pop(name, None)
        self._tree_changed()

    def service_event(self, event: Event | None) -> None:
        status = self.status
        if event is None:
            self._alerts.bell()
        elif isinstance(event, ConnectionState):
            status.watcher_state(event.account, event.state)
            if event.detail and event.state in ("offline", "auth failed"):
                self.status.say(
                    f"{event.account}: {event.detail}", error=True, account=event.account
                )
            elif event.state in ("idling", "polling"):
                self.status.clear_problem(event.account, f"{event.account}: connected again")
        elif isinstance(event, FolderChanged):
            if event.account not in self.services:
                return
            if self.shows(event.account, event.folder):
                self.messages.reload()
            self.update_counts(event.account)
        elif isinstance(event, CountsChanged):
            if event.account in self.services:
                self.update_counts(event.account)
        elif isinstance(event, NewMail):
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
            if "damaged" in event.detail and not shown.unified:
                # Rebuilt at the store's next access: refill what is on screen.
                self._sync_in_background(shown.account, shown.folder)
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

    def failed(self, name: str, error: TuiMailError) -> None:
        if isinstance(error, ServerMisbehaved):
            # A stalled or broken server is news even with the status bar out of sight.
            state = "server not answering" if isinstance(error, ServerTimeout) else "server error"
            self._alerts.notify(f"{name}: {error}", severity="error", timeout=15)
        elif isinstance(error, AuthenticationFailed):
            state = "auth failed"
        elif isinstance(error, ConnectionFailed):
            state = "offline"
        elif isinstance(error, DiskFull):
            state = "disk full"
        elif isinstance(error, CacheDamaged):
            state = "cache rebuilt"
        elif isinstance(error, CacheError):
            state = "cache error"
        else:
            state = "error"
        self.status.sync_failed(name, state, server_trouble=isinstance(error, ServerMisbehaved))
        read_only = self.services[name].cache.read_only
        if isinstance(error, DiskFull) and read_only is not None:
            self.status.say(f"{name}: {read_only}", error=True)  # told at start
        elif isinstance(error, CacheError):
            self.tell_cache(name, str(error))
        else:
            # A connection or login problem goes away by itself once the account is back.
            problem_of = name if state != "error" else None
            self.status.say(f"{name}: {error}", error=True, account=problem_of)

    def tell_cache(self, name: str, sentence: str, *, error: bool = True) -> None:
        """What happened to the cache (or the disk under it): status bar and notification,
        because it changes what the user can do (free space, make a file writable)."""
        self.status.say(f"{name}: {sentence}", error=error)
        self._alerts.notify(sentence, title=name, severity="error" if error else "warning")

    async def sync(self, name: str, folder: str) -> SyncResult:
        service = self.services[name]
        self.status.set_state(name, "syncing")
        post = self._post

        def progress(done: int, total: int) -> None:  # on the service's thread
            post(SyncProgress(name, folder, done, total))

        self._syncing.add((name, folder))
        try:
            result = await service.sync(folder, progress)
        finally:
            # Progress posted from the service thread may still be queued; it is ignored
            # once the sync is over (see progress below).
            self._syncing.discard((name, folder))
        self.status.sync_done(name)
        if self.shows(name, folder):
            self.messages.reload()
        self.update_counts(name)
        rebuilt = service.cache.rebuilt
        if rebuilt is not None and self._refilled.get(name) is not rebuilt:
            # The first sync after a damaged cache was set aside: say so where the user
            # looks (the sync's own line would otherwise replace the warning).
            self._refilled[name] = rebuilt
            if rebuilt is not self._told_rebuilt.get(name):
                self.tell_cache(name, rebuilt.sentence(), error=False)
            # The rebuilt cache knows only this folder: the list and STATUS counts of the
            # others come back too, so the tree shows the server's counts again.
            await self.refresh_folders(name)
            self.update_counts(name)
            self.status.say(
                f"{name}: the cache was rebuilt from the server ({folder}: {result.total} "
                f"messages); the damaged one was set aside as {rebuilt.moved_to.name}"
            )
        elif result.new or result.vanished or result.flags_changed:
            self.status.say(
                f"{name}: {folder} synced: {result.new} new, {result.flags_changed} changed, "
                f"{result.vanished} removed"
            )
        return result

    async def sync_or_report(self, name: str, folder: str, *, asked: bool = False) -> None:
        """A sync whose failure shows in the status bar; one the user `asked` for (ctrl+r)
        also says when nothing changed (a background one must not hide a warning so)."""
        try:
            result = await self.sync(name, folder)
        except TuiMailError as error:
            self.failed(name, error)
            return
        if asked and not (result.new or result.vanished or result.flags_changed):
            self.status.say(f"{name}: {sanitize_line(folder)} is up to date.")

    def shows(self, account: str, folder: str) -> bool:
        """Whether the message list shows `folder` of `account` (no search covering it)."""
        if self._searching():
            return False
        shown = self._folder()
        if shown.unified:
            return folder.upper() == "INBOX"
        return shown == FolderKey(account, folder)

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

    def progress(self, event: SyncProgress) -> None:
        if (event.account, event.folder) not in self._syncing:
            return  # arrived after the sync finished
        self.status.sync_progress(event.account, event.done, event.total)
        now = time.monotonic()
        if self.shows(event.account, event.folder) and (
            now - self._last_reload > RELOAD_INTERVAL or len(self.messages.source) == 0
        ):
            self._last_reload = now
            self.messages.reload()
