"""Which watchers an account gets: for IMAP one connection that hears of every subscribed
folder (NOTIFY, else IDLE on the INBOX and STATUS now and then), a file watcher for local
mail, a periodic check for POP3 (which has no push at all).

Kept apart from the protocols so that none of them needs to know another: the account is
the one place that knows every kind of backend.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.auth.secrets import SecretSource
    from tui_mail.core.folders.changes import FolderHints
    from tui_mail.core.imap.idle import StateCallback

log = logging.getLogger(__name__)


class PeriodicCheck:
    """Calls `check()` every `interval` seconds on its own thread (POP3: no push at all)."""

    def __init__(self, check: Callable[[], None], interval: float, *, name: str) -> None:
        self._check = check
        self.interval = interval
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._check()
            except Exception:
                log.exception("periodic check %s failed", self._name)


class Watcher(Protocol):
    """What AccountService starts and stops: IdleWatcher, MaildirWatcher, PeriodicCheck."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def watchers_for(
    account: AccountConfig,
    secret: SecretSource,
    backend: object,
    on_change: Callable[[str], None],
    on_state: StateCallback,
    on_folders: Callable[[FolderHints], None] | None = None,
) -> list[Watcher]:
    """The watchers an account needs (not started). IMAP: one AccountWatcher (the INBOX by
    IDLE, every subscribed folder by NOTIFY, or by a periodic STATUS where the server has
    no NOTIFY), plus an IDLE connection per idle_folder that stands down on a NOTIFY
    server (NOTIFY covers it there); `on_folders` hears of folders made, removed or
    renamed elsewhere (NOTIFY, else a LIST now and then). Local mail: the backend's file
    watcher, plus a periodic check for POP3."""
    if account.type == "imap":
        from tui_mail.core.imap.idle import IdleWatcher, watched_folders  # noqa: PLC0415
        from tui_mail.core.imap.notify_watch import AccountWatcher  # noqa: PLC0415

        extra: list[Watcher] = [
            IdleWatcher(account, secret, folder, on_change, on_state, unless_server_has="NOTIFY")
            for folder in watched_folders(account)[1:]
        ]
        watcher = AccountWatcher(account, secret, on_change, on_state, on_folders=on_folders)
        return [watcher, *extra]
    found: list[Watcher] = []
    make_file_watcher = getattr(backend, "watcher", None)
    if make_file_watcher is not None:
        found.append(make_file_watcher(on_change))
    if account.type == "pop3":
        from tui_mail.core.pop3.backend import CHECK_INTERVAL_SECONDS  # noqa: PLC0415

        found.append(
            PeriodicCheck(
                partial(on_change, "INBOX"), CHECK_INTERVAL_SECONDS, name=f"pop3-{account.name}"
            )
        )
    return found
