"""An account's watching: new mail and changes pushed by the server, and reconnects.

An object the AccountService holds (self.watching). `start()` runs the watchers of
watchers.py (for IMAP one connection hearing of every subscribed folder; a Maildir
watcher, or a periodic check for POP3); each change syncs the folder on the worker thread
(or, for a folder never opened, only asks for its counts) and reaches the UI as an event
through `on_event`. The
INBOX watcher speaks for the account's connection: its states are announced and passed on
to the service (which replays the offline queue when the server answers again), and
`on_reconnected` is called. `interrupt()` stops all of it at once, whatever the server is
doing (the UI's quit).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from tui_mail.core.account.events import (
    CacheProblem,
    ConnectionState,
    Event,
    FolderChanged,
    NewMail,
)
from tui_mail.core.account.folder_watch import FolderListWatch, RunConnected
from tui_mail.core.account.watchers import watchers_for
from tui_mail.core.account.worker import log_failure
from tui_mail.core.errors import TuiMailError
from tui_mail.core.message.correspondents import own_addresses
from tui_mail.core.models import FolderRole
from tui_mail.core.store.health import CacheError

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from tui_mail.config import AccountConfig
    from tui_mail.core.account.notify import Notifier
    from tui_mail.core.account.watchers import Watcher
    from tui_mail.core.auth.secrets import SecretSource
    from tui_mail.core.backend import MailBackend
    from tui_mail.core.models import MessageSummary, SyncResult
    from tui_mail.core.store.cache import Store

SyncWork = Callable[["MailBackend"], "SyncResult"]
log = logging.getLogger(__name__)

_REACHABLE = ("idling", "polling")
"""Watcher states that mean the server answers."""


class Watching:
    """Start and stop the account's watchers; turn what they see into syncs and events."""

    def __init__(
        self,
        account: AccountConfig,
        store: Store,
        notifier: Notifier,
        worker: Executor,
        secret: SecretSource,
        backend: Callable[[], MailBackend],
        run_connected: RunConnected,
        emit: Callable[[Event], None],
        confirm_counts: Callable[[list[str]], None],
        server_answers: Callable[[bool], None],
    ) -> None:
        """`worker` is the account's one worker thread, where every sync runs through
        `run_connected` (connect when needed, retry once); `backend` gives the account's
        backend; `emit` hands an event to the service's subscriber; `confirm_counts` asks the
        server for folders' counts (on the worker); `server_answers` hears the INBOX
        watcher's word on whether the server can be reached (True: it answers again)."""
        self.account = account
        self.store = store
        self._notifier = notifier
        self._worker = worker
        self._secret = secret
        self._backend = backend
        self._run_connected = run_connected
        self._emit = emit
        self._confirm_counts = confirm_counts
        self._server_answers = server_answers
        self.connection_state = ""
        """The last state the watcher reported: idling, polling, offline, auth failed ..."""
        self.on_reconnected: list[Callable[[], object]] = []
        """Called with no arguments, ON THE WATCHER THREAD, each time the INBOX watcher gets
        through again after the server was out of reach, the connection dropped or the
        machine slept (not on the first connection). The offline queue is already being
        replayed by then. Use it to retry other work that waited for the network (the
        outbox); a UI must hand it to its own thread first, as with `on_event`."""
        self.folder_list = FolderListWatch(account, store, worker, run_connected, emit)
        """Folders made, removed or renamed elsewhere, told by the watcher (folder_watch.py)."""
        self._watchers: list[Watcher] = []
        self._scheduled: set[str] = set()
        self._scheduled_lock = threading.Lock()
        self._quiet_arrivals: set[str] = set()
        """Message-IDs of messages this account moved itself (an offline queue replayed):
        when they turn up in the destination they are not new mail."""

    def start(self) -> None:
        """Watch for new mail and changes (see the module docstring). Idempotent."""
        if self._watchers:
            return
        self._watchers = watchers_for(
            self.account,
            self._secret,
            self._backend(),
            self.schedule_sync,
            self._watcher_state,
            self.folder_list.hint,
        )
        for started in self._watchers:
            started.start()

    def stop(self) -> None:
        """Stop every watcher; returns when their threads are gone. Safe to call twice."""
        watchers, self._watchers = self._watchers, []
        for watcher in watchers:
            watcher.stop()

    def interrupt(self) -> None:
        """Stop every watcher at once, without waiting for its thread (quitting the UI):
        each shuts its socket; one that cannot is told to stop."""
        watchers, self._watchers = self._watchers, []
        for watcher in watchers:
            interrupt = getattr(watcher, "interrupt", None)
            if interrupt is not None:
                interrupt()
            else:
                watcher.stop()

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
            self._server_answers(True)
        elif state == "offline":
            self._server_answers(False)
        self._emit(ConnectionState(self.account.name, state, detail))
        if state in _REACHABLE and previous not in ("", *_REACHABLE):
            self._announce_reconnected()

    def _announce_reconnected(self) -> None:
        for callback in list(self.on_reconnected):
            try:
                callback()
            except Exception:  # a subscriber's problem must not stop the watcher
                log.exception("on_reconnected callback failed")

    def expect_quietly(self, message_ids: Iterable[str]) -> None:
        """Messages this account moves itself (an offline queue replayed): when they turn
        up in the destination they are not new mail."""
        self._quiet_arrivals.update(message_ids)

    def schedule_sync(self, folder: str) -> None:
        """From any thread: sync `folder` on the worker soon; a burst makes one sync."""
        with self._scheduled_lock:
            if folder in self._scheduled:
                return
            self._scheduled.add(folder)
        try:
            future = self._worker.submit(self._sync_and_announce, folder)
        except RuntimeError:  # shutting down
            return
        future.add_done_callback(log_failure)

    def _sync_and_announce(self, folder: str) -> None:
        with self._scheduled_lock:
            self._scheduled.discard(folder)
        if self.store.sync_state(folder).uidvalidity is None:
            # A folder's first sync belongs to whoever opens it, with progress and the
            # newest rows first; done here it would hold the worker for the whole folder
            # (4 s of a blank list for 100,000 messages) before the UI's sync could start.
            # Its counts in the folder tree still follow the server (NOTIFY, STATUS).
            self._confirm_counts([folder])
            return
        try:
            sync: Callable[[MailBackend], SyncResult] = lambda b: b.sync_folder(  # noqa: E731
                self.store, folder, None
            )
            result = self._run_connected(sync, sync)
        except CacheError as error:  # a full disk, a read-only or damaged file: say so
            self._emit(CacheProblem(self.account.name, str(error)))
            return
        except TuiMailError as error:
            log.info("sync of %s after a change failed: %s", folder, error)
            return
        if not (result.new or result.flags_changed or result.vanished or result.cache_reset):
            return
        self._emit(FolderChanged(self.account.name, folder, result))
        self._confirm_counts([folder])
        if result.new_uids and not result.cache_reset:
            folder_id = self.store.folder_id(folder)
            arrived = self._news(folder, self.store.summaries(folder_id, uids=result.new_uids))
            if arrived:
                self._emit(NewMail(self.account.name, folder, arrived))
                self._notifier.new_mail(folder, arrived)

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
