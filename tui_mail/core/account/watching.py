"""AccountService's watching: new mail and changes pushed by the server, and reconnects.

A mixin of AccountService (kept apart so neither file grows past what one can read at
once). `start_watching()` runs an IdleWatcher per watched IMAP folder (a Maildir watcher,
or a periodic check for POP3); each change syncs the folder on the worker thread and
reaches the UI as an event through `on_event`. The INBOX watcher speaks for the account's
connection: its states are announced, and when it gets through again after the server was
out of reach the offline queue is replayed and `on_reconnected` is called. `abandon()`
stops all of it at once, whatever the server is doing (the UI's quit).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from tui_mail.core.account.events import (
    CacheProblem,
    ConnectionState,
    Event,
    FolderChanged,
    NewMail,
)
from tui_mail.core.errors import TuiMailError
from tui_mail.core.message.correspondents import own_addresses
from tui_mail.core.models import FolderRole
from tui_mail.core.store.health import CacheError

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.account.head_start import HeadStart
    from tui_mail.core.account.notify import Notifier
    from tui_mail.core.account.worker import DaemonWorker
    from tui_mail.core.backend import MailBackend
    from tui_mail.core.imap.idle import Watcher
    from tui_mail.core.models import MessageSummary, SyncResult
    from tui_mail.core.store.cache import Store

T = TypeVar("T")
log = logging.getLogger(__name__)

_REACHABLE = ("idling", "polling")
"""Watcher states that mean the server answers."""


class Watching:
    """Start and stop the account's watchers; turn what they see into syncs and events."""

    account: AccountConfig
    store: Store
    notifier: Notifier
    offline: bool
    _executor: DaemonWorker
    _secret: Callable[[], str]
    _abandoned: bool
    _head_start: HeadStart | None
    _backend_made: MailBackend | None

    if TYPE_CHECKING:  # provided by AccountService and the OfflineQueue mixin

        @property
        def _backend(self) -> MailBackend: ...

        @property
        def queues_offline(self) -> bool: ...

        def _connected(
            self,
            work: Callable[[MailBackend], T],
            retry: Callable[[MailBackend], T] | None = None,
        ) -> T: ...

        def _emit(self, event: Event) -> None: ...

        def _confirm_counts_now(self, folders: list[str]) -> None: ...

    def _init_watching(self) -> None:
        self.connection_state = ""
        """The last state the watcher reported: idling, polling, offline, auth failed ..."""
        self.on_reconnected: list[Callable[[], object]] = []
        """Called with no arguments, ON THE WATCHER THREAD, each time the INBOX watcher gets
        through again after the server was out of reach, the connection dropped or the
        machine slept (not on the first connection). The offline queue is already being
        replayed by then. Use it to retry other work that waited for the network (the
        outbox); a UI must hand it to its own thread first, as with `on_event`."""
        self._watchers: list[Watcher] = []
        self._scheduled: set[str] = set()
        self._scheduled_lock = threading.Lock()
        self._quiet_arrivals: set[str] = set()
        """Message-IDs of messages this account moved itself (an offline queue replayed):
        when they turn up in the destination they are not new mail."""

    def start_watching(self) -> None:
        """Watch for new mail and changes (see the module docstring). Idempotent."""
        if self._watchers:
            return
        from tui_mail.core.imap.idle import watchers_for  # noqa: PLC0415  (imapclient)

        self._watchers = watchers_for(
            self.account, self._secret, self._backend, self._schedule_sync, self._watcher_state
        )
        for started in self._watchers:
            started.start()

    def stop_watching(self) -> None:
        """Stop every watcher; returns when their threads are gone. Safe to call twice."""
        watchers, self._watchers = self._watchers, []
        for watcher in watchers:
            watcher.stop()

    def abandon(self) -> None:
        """Close at once, whatever the server is doing (quitting the UI): shut every
        socket, stop the watchers without waiting for them, drop queued work. No LOGOUT:
        on a stalled connection it would wait for the deadline. Returns in well under a
        second; the worker, a daemon thread, ends (or dies with the process) on its own."""
        self._abandoned = True
        if self._head_start is not None:
            self._head_start.progress.release()
        watchers, self._watchers = self._watchers, []
        for watcher in watchers:
            interrupt = getattr(watcher, "interrupt", None)
            if interrupt is not None:
                interrupt()
            else:
                watcher.stop()
        backend = self._backend_made
        interrupt_backend = getattr(backend, "interrupt", None)
        if interrupt_backend is not None:
            interrupt_backend()
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._executor.join(0.3):  # otherwise the store stays open till the process ends
            self.store.close()

    def reconnect_now(self) -> None:
        """Skip the watchers' backoff (the network is back, the machine woke up)."""
        for watcher in self._watchers:
            wake = getattr(watcher, "wake", None)
            if wake is not None:
                wake()

    def _watcher_state(self, folder: str, state: str, detail: str) -> None:
        """On a watcher thread. The INBOX watcher speaks for the account."""
        if folder != "INBOX":
            return
        previous, self.connection_state = self.connection_state, state
        if state in _REACHABLE:
            was_offline, self.offline = self.offline, False
            if was_offline or self.store.pending_count():
                # The server is back: a command connection replays the queue.
                with contextlib.suppress(RuntimeError):  # shutting down
                    self._executor.submit(self._connected, lambda _b: None).add_done_callback(
                        _log_failure
                    )
        elif state == "offline":
            self.offline = self.queues_offline
        self._emit(ConnectionState(self.account.name, state, detail))
        if state in _REACHABLE and previous not in ("", *_REACHABLE):
            self._announce_reconnected()

    def _announce_reconnected(self) -> None:
        for callback in list(self.on_reconnected):
            try:
                callback()
            except Exception:  # a subscriber's problem must not stop the watcher
                log.exception("on_reconnected callback failed")

    def _schedule_sync(self, folder: str) -> None:
        """From any thread: sync `folder` on the worker soon; a burst makes one sync."""
        with self._scheduled_lock:
            if folder in self._scheduled:
                return
            self._scheduled.add(folder)
        try:
            future = self._executor.submit(self._sync_and_announce, folder)
        except RuntimeError:  # shutting down
            return
        future.add_done_callback(_log_failure)

    def _sync_and_announce(self, folder: str) -> None:
        with self._scheduled_lock:
            self._scheduled.discard(folder)
        if self.store.sync_state(folder).uidvalidity is None:
            # A folder's first sync belongs to whoever opens it, with progress and the
            # newest rows first; done here it would hold the worker for the whole folder
            # (4 s of a blank list for 100,000 messages) before the UI's sync could start.
            return
        try:
            sync: Callable[[MailBackend], SyncResult] = lambda b: b.sync_folder(  # noqa: E731
                self.store, folder, None
            )
            result = self._connected(sync, sync)
        except CacheError as error:  # a full disk, a read-only or damaged file: say so
            self._emit(CacheProblem(self.account.name, str(error)))
            return
        except TuiMailError as error:
            log.info("sync of %s after a change failed: %s", folder, error)
            return
        if not (result.new or result.flags_changed or result.vanished or result.cache_reset):
            return
        self._emit(FolderChanged(self.account.name, folder, result))
        self._confirm_counts_now([folder])
        if result.new_uids and not result.cache_reset:
            folder_id = self.store.folder_id(folder)
            arrived = self._news(folder, self.store.summaries(folder_id, uids=result.new_uids))
            if arrived:
                self._emit(NewMail(self.account.name, folder, arrived))
                self.notifier.new_mail(folder, arrived)

    def _news(self, folder: str, arrived: list[MessageSummary]) -> tuple[MessageSummary, ...]:
        """The arrivals worth announcing: not in Sent, Drafts or Trash, not the user's own
        mail (a copy sent to oneself, a client filing Sent), not moved there by us."""
        role = next((f.role for f in self.store.folders() if f.name == folder), None)
        if role in _NEVER_NEWS:
            return ()
        own = own_addresses(self.account)
        news: list[MessageSummary] = []
        for message in arrived:
            if message.message_id and message.message_id in self._quiet_arrivals:
                self._quiet_arrivals.discard(message.message_id)
            elif message.from_addr.casefold() not in own:
                news.append(message)
        return tuple(news)


_NEVER_NEWS = (FolderRole.SENT, FolderRole.DRAFTS, FolderRole.TRASH)
"""What lands there was put there by the user (sent, saved, deleted), not received."""


def _log_failure(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None and not isinstance(error, TuiMailError):
        log.error("background work failed", exc_info=error)
