"""FolderListWatch: folders made, removed or renamed elsewhere reach the cache and the UI.

The account's watcher hears hints (NOTIFY's `* LIST` events, or a periodic LIST that came
out different: core/imap/notify_watch.py) on its own thread and hands them here. A burst
of hints (a folder tree renamed: one event per folder) makes one look on the account's
worker thread: hints that only repeat what the cache shows cost nothing; otherwise the
server's folder list (LIST with counts) is asked for, compared with the cache
(core/folders/changes.py), renamed folders keep their cached messages under the new name,
and a FoldersChanged event tells the UI. Held by Watching, which wires it to the watcher.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from tui_mail.core.account.events import Event, FoldersChanged
from tui_mail.core.errors import TuiMailError
from tui_mail.core.folders.changes import FolderHints, compare
from tui_mail.core.store.health import CacheError

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from tui_mail.config import AccountConfig
    from tui_mail.core.backend import MailBackend
    from tui_mail.core.models import Folder
    from tui_mail.core.store.cache import Store

T = TypeVar("T")
log = logging.getLogger(__name__)


class RunConnected(Protocol):
    """BackendLink.connected: on the worker, connect when needed, retry once."""

    def __call__(
        self,
        work: Callable[[MailBackend], T],
        retry: Callable[[MailBackend], T] | None = None,
    ) -> T: ...


class FolderListWatch:
    """Hints in from any thread; the cache's folder list follows the server's on the worker."""

    def __init__(
        self,
        account: AccountConfig,
        store: Store,
        worker: Executor,
        run_connected: RunConnected,
        emit: Callable[[Event], None],
    ) -> None:
        self.account = account
        self.store = store
        self._worker = worker
        self._run_connected = run_connected
        self._emit = emit
        self._lock = threading.Lock()
        self._pending = FolderHints()
        self._scheduled = False

    def hint(self, hints: FolderHints) -> None:
        """From any thread: the server said something of its folder list."""
        if not hints:
            return
        with self._lock:
            self._pending = self._pending.merged(hints)
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self._worker.submit(self.look)
        except RuntimeError:  # shutting down
            return

    def look(self) -> None:
        """On the worker thread: the hints so far, and the server's list when they say
        something the cache does not show."""
        with self._lock:
            hints, self._pending = self._pending, FolderHints()
            self._scheduled = False
        try:
            cached = self.store.folders()
            # Never listed: the UI (or the CLI) lists the folders itself, and a LIST queued
            # here would only delay its first sync.
            if not cached or not hints.worth_a_look(cached):
                return
            listed: list[Folder] = self._run_connected(lambda b: b.list_folders())
            changes = compare(cached, listed, hints.renamed)
            for old, new in changes.renamed:
                self.store.rename_folder(old, new)  # its rows and sync state go with it
            self.store.replace_folders(listed)
        except (TuiMailError, CacheError) as error:  # the next hint (or reconnect) tries again
            log.info("folder list of %s after a change elsewhere: %s", self.account.name, error)
            return
        if changes:  # a subscription changed only: nothing a tree shows
            self._emit(FoldersChanged(self.account.name, changes))
