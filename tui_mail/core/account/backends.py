"""Which MailBackend an account gets: IMAP, Maildir or POP3, by the account's type."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_mail.config import AccountConfig
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.backend import MailBackend

if TYPE_CHECKING:
    from pathlib import Path

BackendFactory = Callable[[AccountConfig, SecretSource], MailBackend]


def default_backend(
    account: AccountConfig, secret: SecretSource, *, data_dir: Path | None = None
) -> MailBackend:
    """The backend for the account's type; local indexes go under `data_dir` (default: the
    user data directory)."""
    if account.type == "maildir":
        from tui_mail.core.maildir.backend import MaildirBackend  # noqa: PLC0415

        return MaildirBackend(account, secret, data_dir=data_dir)
    if account.type == "pop3":
        from tui_mail.core.pop3.backend import Pop3Backend  # noqa: PLC0415

        return Pop3Backend(account, secret, data_dir=data_dir)
    from tui_mail.core.imap.backend import ImapBackend  # noqa: PLC0415  (imapclient is slow)

    return ImapBackend(account, secret)
