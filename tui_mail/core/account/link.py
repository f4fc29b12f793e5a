"""An account's link to its backend: one worker thread, a connection made when needed.

Every backend call runs on the account's own worker thread, because a protocol connection
(imapclient's, poplib's) must stay on one thread. The backend is made on first use, connected when a
command needs it, and a command that meets a dropped connection is retried once over a
fresh one. The link also holds the head start (head_start.py): a sync begun before the UI
asks, which a later connect() and sync of that folder join.

It knows nothing of the cache or the offline queue: `unreachable` and `reached` tell the
service's queue when a connection failed or works (the queue then replays, still on the
worker thread, before the command runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from tui_mail.core.account.head_start import HeadStart
from tui_mail.core.account.worker import DaemonWorker
from tui_mail.core.errors import ConnectionFailed

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.account.backends import BackendFactory
    from tui_mail.core.auth.secrets import SecretSource
    from tui_mail.core.backend import MailBackend
    from tui_mail.core.models import Progress, SyncResult

T = TypeVar("T")


class BackendLink:
    """The account's backend, on a worker thread of its own (see the module docstring)."""

    def __init__(
        self,
        account: AccountConfig,
        secret: SecretSource,
        backend_factory: BackendFactory,
        *,
        unreachable: Callable[[], None],
        reached: Callable[[], None],
    ) -> None:
        self._account = account
        self._secret = secret
        self._backend_factory = backend_factory
        self._unreachable = unreachable
        self._reached = reached
        self._backend_made: MailBackend | None = None
        self._backend_lock = threading.Lock()
        self.worker = DaemonWorker(f"mail-{account.name}")
        """The one thread every backend call runs on, in order."""
        self._abandoned = False
        self.head_start: HeadStart | None = None
        """A sync begun before anyone asked (begin_sync), until someone joins it."""

    @property
    def backend(self) -> MailBackend:
        """Made on first use, normally on the worker thread: the IMAP backend imports
        imapclient (about 90 ms), which must not delay the first screen."""
        with self._backend_lock:
            if self._backend_made is None:
                self._backend_made = self._backend_factory(self._account, self._secret)
            return self._backend_made

    async def run(
        self,
        work: Callable[[MailBackend], T],
        retry: Callable[[MailBackend], T] | None = None,
        *,
        idempotent: bool = True,
    ) -> T:
        """Run `work` on the worker thread. When an open connection turns out dead, it is
        reopened and the command tried once more: `retry` when given (a version that first
        checks what the lost attempt already did), else `work` itself unless it must not
        run twice (`idempotent=False`: CREATE, RENAME, DELETE)."""
        if retry is None and idempotent:
            retry = work
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.worker, partial(self.connected, work, retry))

    def connected(
        self, work: Callable[[MailBackend], T], retry: Callable[[MailBackend], T] | None = None
    ) -> T:
        """On the worker thread: connect when needed, replay queued actions, run `work`."""
        fresh = self._ensure_connected()
        try:
            return work(self.backend)
        except ConnectionFailed:
            if fresh or retry is None:
                raise
            self.backend.close()
            self._ensure_connected()
            return retry(self.backend)

    def _ensure_connected(self) -> bool:
        """Connect if needed (True when a new connection was made); replay the queue."""
        fresh = False
        if self._abandoned:  # quitting: no new connection to a server that may stall
            raise ConnectionFailed("The account was closed.")
        if not self.backend.connected:
            try:
                self.backend.connect()
            except ConnectionFailed:
                self._unreachable()
                raise
            fresh = True
        self._reached()
        return fresh

    def begin(self, folder: str, sync: Callable[[MailBackend, Progress], SyncResult]) -> None:
        """Connect and `sync(backend, progress)` the folder now, as the head start that a
        later connect() and take_head_start(folder) join (see AccountService.begin_sync)."""
        start = self.head_start = HeadStart(folder)

        def sync_folder(backend: MailBackend) -> SyncResult:
            return sync(backend, start.progress)

        def run() -> None:
            try:
                try:
                    self._ensure_connected()
                finally:
                    start.connected.set()
                result = self.connected(sync_folder, sync_folder)
            except BaseException as error:  # handed to whoever joins
                start.result.set_exception(error)
            else:
                start.result.set_result(result)

        self.worker.submit(run)

    async def connect(self) -> None:
        start = self.head_start
        if start is not None:  # begun already: wait for the connection, not the sync
            await asyncio.to_thread(start.connected.wait)
            error = start.result.exception() if start.result.done() else None
            if error is not None:
                self.head_start = None
                raise error
            return
        await self.run(lambda _backend: None)

    def take_head_start(self, folder: str) -> HeadStart | None:
        """The head start when it syncs `folder` (the caller joins it), else None."""
        start = self.head_start
        if start is None or start.folder != folder:
            return None
        self.head_start = None
        return start

    def let_go(self) -> None:
        """A head start never joined finishes (or fails) unwatched."""
        if self.head_start is not None:
            self.head_start.progress.release()

    async def close(self) -> None:
        """Close the backend on the worker thread, then end the thread."""
        backend = self._backend_made  # never made: nothing to close, nothing to import
        if backend is not None:
            with contextlib.suppress(RuntimeError):  # the loop may already be closing
                await asyncio.get_running_loop().run_in_executor(self.worker, backend.close)
        self.worker.shutdown(wait=True)

    def abandon(self) -> None:
        """From now on no new connection is made (quitting); a head start is let go."""
        self._abandoned = True
        self.let_go()

    def interrupt(self) -> bool:
        """Shut the backend's socket and drop queued work, at once (after abandon()). True
        when the worker thread ended within 0.3 s, so the cache may be closed."""
        interrupt_backend = getattr(self._backend_made, "interrupt", None)
        if interrupt_backend is not None:
            interrupt_backend()
        self.worker.shutdown(wait=False, cancel_futures=True)
        return self.worker.join(0.3)
