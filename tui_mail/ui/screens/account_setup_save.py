"""Saving what the set-up screen tested: the secret to the system keyring (or a file the user
chose, or nowhere for a password command), then the account to the configuration.

Runs on a thread (keyring back ends and file writes block); errors are TuiMailErrors with
a sentence for the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_mail.core.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

    from tui_mail.config import AccountConfig, AppConfig
    from tui_mail.core.auth.oauth2 import TokenSet


def store_secret(
    account: AccountConfig, secret: str, tokens: TokenSet | None, fallback: Path | None
) -> tuple[AccountConfig, str]:
    """On a thread: the secret (the typed password, or OAuth2 `tokens`) to the keyring, or
    to the `fallback` file the user chose; returns the account and where the secret went."""
    from tui_mail.core.auth import credentials  # noqa: PLC0415
    from tui_mail.core.discovery.account import keep_password  # noqa: PLC0415
    from tui_mail.core.errors import CredentialsUnavailable  # noqa: PLC0415

    if account.auth == "oauth2":
        if tokens is None:
            raise UsageError("sign in first (the Sign in button)")
        credentials.store_oauth2_tokens(account, tokens)
        return account, "the system keyring (OAuth2 tokens, refreshed as needed)"
    if account.password_command is not None:
        return account, "your password command"
    problem = credentials.keyring_problem()
    if problem is None:
        return keep_password(account, secret)
    if fallback is not None:
        return keep_password(account, secret, password_file=fallback)
    raise CredentialsUnavailable(
        f"cannot store the password: {problem}. Nothing was saved. Give a command that "
        "prints the password (e.g. pass show mail/work), or tick the box to store it "
        "unencrypted in a file, then test and save again"
    )


def save_account(config_file: Path, account: AccountConfig) -> AppConfig:
    """On a thread: add the tested account to the configuration file."""
    from tui_mail.core.discovery.account import save_new_account  # noqa: PLC0415

    return save_new_account(config_file, account)
