"""AccountSync: the main screen's part in connecting each account and keeping its folders synced.

It starts each account (watcher, login, the folder on screen first, then the inbox) and
runs its syncs, showing their progress and outcome in the status bar; what a sync or an
event changed on screen (counts, list reloads, pending marks) it leaves to AccountNews.
It holds the widgets it tells and a few callables of the screen's, never the screen. The
service calls back on its own threads, so those callbacks only post the messages below;
the screen's handlers and `@work` workers (which must live on the Screen) hand them on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING

from textual.message import Message

from tui_mail.core.account.events import Event
from tui_mail.core.errors import (
    AuthenticationFailed,
    CacheDamaged,
    CacheError,
    ConnectionFailed,
    DiskFull,
    ServerError,
    ServerMisbehaved,
    ServerTimeout,
    TuiMailError,
)
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.models import FolderRole
from tui_mail.ui.main.folder_tree import FolderKey

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.models import SyncResult
    from tui_mail.ui.main.account_news import AccountNews
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
    """Each account's connection and syncs, told to the status bar; the rest to `news`."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        news: AccountNews,
        messages: MessageList,
        status: StatusBar,
        *,
        alerts: Alerts,
        post: Callable[[Message], object],
        folder: Callable[[], FolderKey],
        tree_changed: Callable[[], None],
    ) -> None:
        """`post` sends a message to the screen from any thread; `folder()` is the folder
        the list shows; `tree_changed()` rebuilds the tree from the cache."""
        self.services = services
        self.news = news
        self.messages = messages
        self.status = status
        self._alerts = alerts
        self._post = post
        self._folder = folder
        self._tree_changed = tree_changed
        self._last_reload = 0.0
        self._syncing: set[tuple[str, str]] = set()
        self._told_rebuilt: dict[str, object] = {}
        self._refilled: dict[str, object] = {}

    def attach(self, name: str) -> None:
        """Show the account as connecting and route its service's callbacks to the screen."""
        service = self.services[name]
        self.status.set_state(name, "connecting")
        self.news.show_pending(name)  # left from an earlier session offline
        rebuilt, read_only = service.cache.rebuilt, service.cache.read_only
        if rebuilt is not None:  # found damaged when opened: set aside
            self._told_rebuilt[name] = rebuilt
            self.news.tell_cache(name, rebuilt.sentence(), error=False)
        if read_only is not None:  # open read only: say so before any sync
            self.news.tell_cache(name, str(read_only))
        # Both are called on the service's threads: post, and act on our own thread.
        post = self._post
        service.on_event = lambda event: post(ServiceEvent(event))
        service.notifier.bell = lambda: post(ServiceEvent(None))
        service.on_reconnected.append(partial(self._post_reconnected, name))
        self.messages.tell_own_mail(self.news.own_mail)

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
            self.news.forget_own(name)
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
        self.news.forget_own(name)
        self._tree_changed()

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
        # A broken server, or a full disk, stays said over the watcher's "idling": it
        # lasts until a sync succeeds, whatever IDLE's own connection says meanwhile.
        lasting = isinstance(error, (ServerMisbehaved, DiskFull))
        self.status.sync_failed(name, state, lasting=lasting)
        read_only = self.services[name].cache.read_only
        if isinstance(error, DiskFull) and read_only is not None:
            self.status.say(f"{name}: {read_only}", error=True)  # told at start
        elif isinstance(error, CacheError):
            self.news.tell_cache(name, str(error))
        else:
            # A connection or login problem goes away by itself once the account is back.
            problem_of = name if state != "error" else None
            self.status.say(f"{name}: {error}", error=True, account=problem_of)

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
        if self.news.shows(name, folder):
            self.messages.reload()
        self.news.update_counts(name)
        rebuilt = service.cache.rebuilt
        if rebuilt is not None and self._refilled.get(name) is not rebuilt:
            # The first sync after a damaged cache was set aside: say so where the user
            # looks (the sync's own line would otherwise replace the warning).
            self._refilled[name] = rebuilt
            if rebuilt is not self._told_rebuilt.get(name):
                self.news.tell_cache(name, rebuilt.sentence(), error=False)
            # The rebuilt cache knows only this folder: the list and STATUS counts of the
            # others come back too, so the tree shows the server's counts again.
            await self.refresh_folders(name)
            self.news.update_counts(name)
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
            if isinstance(error, ServerError) and self._gone(name, folder):
                # Removed or renamed elsewhere while it synced (folder_news.py tells the
                # user so): not a failure of the account's.
                self.status.sync_done(name)
                return
            self.failed(name, error)
            return
        if asked and not (result.new or result.vanished or result.flags_changed):
            self.status.say(f"{name}: {sanitize_line(folder)} is up to date.")

    def _gone(self, name: str, folder: str) -> bool:
        """Whether the folder list (once there is one) no longer has `folder`."""
        names = {f.name for f in self.services[name].cache.folders()}
        return bool(names) and folder not in names

    def progress(self, event: SyncProgress) -> None:
        if (event.account, event.folder) not in self._syncing:
            return  # arrived after the sync finished
        self.status.sync_progress(event.account, event.done, event.total)
        now = time.monotonic()
        if self.news.shows(event.account, event.folder) and (
            now - self._last_reload > RELOAD_INTERVAL or len(self.messages.source) == 0
        ):
            self._last_reload = now
            self.messages.reload()
