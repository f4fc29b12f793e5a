"""Telling the user about new mail: the terminal bell, a desktop notification, a hook.

Which of these happen is the account's `notify` list ("bell", "desktop") and its
`new_mail_command`. Message text is hostile: it reaches notify-send only as an argument
(no shell) with control characters removed, and the hook only through environment
variables (TUI_MAIL_ACCOUNT, TUI_MAIL_FOLDER, TUI_MAIL_COUNT, TUI_MAIL_FROM,
TUI_MAIL_SUBJECT), never inside the command string, so a subject cannot run anything.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence

from tui_mail.config import AccountConfig
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.models import MessageSummary
from tui_mail.core.process_group import run_in_own_group

log = logging.getLogger(__name__)

HOOK_TIMEOUT = 30.0
_MAX_FIELD = 200


def _clean(text: str) -> str:
    """One line, no control characters, bounded: safe for a notification or an env var."""
    return " ".join(sanitize_line(text).split())[:_MAX_FIELD]


def notification_text(
    account: str, folder: str, messages: Sequence[MessageSummary]
) -> tuple[str, str]:
    """(title, body) for a desktop notification about these messages."""
    newest = messages[0]
    count = len(messages)
    where = account if folder.upper() == "INBOX" else f"{account} / {folder}"
    title = f"New mail ({where})" if count == 1 else f"{count} new messages ({where})"
    return _clean(title), _clean(f"{newest.sender}: {newest.subject}")


def hook_environment(
    account: str, folder: str, messages: Sequence[MessageSummary]
) -> dict[str, str]:
    """The variables new_mail_command gets (about the newest message and the count)."""
    newest = messages[0]
    return {
        "TUI_MAIL_ACCOUNT": account,
        "TUI_MAIL_FOLDER": _clean(folder),
        "TUI_MAIL_COUNT": str(len(messages)),
        "TUI_MAIL_FROM": _clean(newest.sender),
        "TUI_MAIL_FROM_ADDRESS": _clean(newest.from_addr),
        "TUI_MAIL_SUBJECT": _clean(newest.subject),
    }


class Notifier:
    """Announces new mail the ways an account asks for. Safe to call from any thread."""

    def __init__(
        self,
        account: AccountConfig,
        *,
        bell: Callable[[], object] | None = None,
        which: Callable[[str], str | None] = shutil.which,
    ) -> None:
        self.account = account
        self.bell = bell
        """Rings the terminal bell; the UI provides it (the core has no terminal)."""
        self._which = which

    def new_mail(self, folder: str, messages: Sequence[MessageSummary]) -> list[threading.Thread]:
        """Announce `messages` (newest first). Returns the threads running programs."""
        if not messages:
            return []
        started: list[threading.Thread] = []
        if "bell" in self.account.notify and self.bell is not None:
            try:
                self.bell()
            except Exception:
                log.exception("bell callback failed")
        if "desktop" in self.account.notify:
            program = self._which("notify-send")
            if program is not None:
                title, body = notification_text(self.account.name, folder, messages)
                started.append(self._spawn([program, "--app-name=tui-mail", title, body], None))
        if self.account.new_mail_command:
            env = {**os.environ, **hook_environment(self.account.name, folder, messages)}
            # The command is the user's own (from the config); the message text is only in env.
            started.append(self._spawn(["/bin/sh", "-c", self.account.new_mail_command], env))
        return started

    def _spawn(self, argv: list[str], env: dict[str, str] | None) -> threading.Thread:
        def run() -> None:
            try:
                run_in_own_group(argv, env=env, timeout=HOOK_TIMEOUT, capture=False)
            except (OSError, subprocess.TimeoutExpired) as error:
                log.warning("new-mail notification %s failed: %s", argv[0], error)

        thread = threading.Thread(target=run, name="new-mail-notify", daemon=True)
        thread.start()
        return thread
