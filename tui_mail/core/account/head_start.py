"""A head start: the first folder's sync begins while the UI is still being imported.

Opening the app with an empty cache costs connect + TLS + login + the newest headers
(0.4-0.5 s against a loopback Dovecot), and the Textual import and start-up cost as much
again (0.5 s). They need not wait for each other: the CLI begins the sync of the folder
the app will open before it imports Textual, and the network waits overlap the imports.
When the app later asks the service to connect and to sync that folder, it joins the sync
already under way (its progress callback gets the latest figures at once) instead of
queueing a second one behind it. Measured: docs/BENCHMARKS.md, "first rows".
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_mail.core.models import Progress, SyncResult

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig

HOLD_SECONDS = 3.0
"""How long a sync waits, after its first batch, for someone to watch it (see below)."""


def prepare_connection(account: AccountConfig) -> None:
    """Begin loading the certificates a connection of `account` will verify with (about
    20 ms, on a thread of its own and mostly without the GIL), so that they are ready by
    the time the imports before a connection are done (core/net/tls.py)."""
    if account.type in ("imap", "pop3"):
        from tui_mail.core.net.tls import prepare_shared_context  # noqa: PLC0415

        prepare_shared_context(account.ca_file)


class ProgressRelay:
    """A progress callback that can be attached after the work has begun: it remembers the
    latest figures and hands them, then every later report, to the attached callback.

    Until a callback is attached the sync pauses after its first report (the newest rows
    are in the cache by then): parsing the rest of a large folder on the worker thread
    would hold the GIL against the UI's own start-up and delay the first screen it is
    meant to hasten. Attaching, or `release`, lets it go on; so does HOLD_SECONDS passing.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: tuple[int, int] | None = None
        self._target: Progress | None = None
        self._watched = threading.Event()

    def __call__(self, done: int, total: int) -> None:
        with self._lock:
            self._latest = (done, total)
        self._watched.wait(HOLD_SECONDS)
        with self._lock:
            target = self._target
        if target is not None:
            target(done, total)

    def attach(self, target: Progress | None) -> None:
        with self._lock:
            self._target = target
            latest = self._latest
        self._watched.set()
        if target is not None and latest is not None:
            target(*latest)

    def release(self) -> None:
        """Nobody will watch (the app is closing): let the sync finish."""
        self._watched.set()


@dataclass(eq=False)
class HeadStart:
    """A sync begun before anyone asked for it (see the module docstring)."""

    folder: str
    result: Future[SyncResult] = field(default_factory=Future)
    progress: ProgressRelay = field(default_factory=ProgressRelay)
    connected: threading.Event = field(default_factory=threading.Event)
    """Set once the connection is made, or has failed (then `result` holds the error)."""
