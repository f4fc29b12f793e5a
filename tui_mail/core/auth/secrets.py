"""The one way to an account's secret: a password, or an OAuth2 access token.

`resolve_secret(account)` asks the credentials layer for the secret the account's `auth`
calls for (a password: password_command, else the keyring; an OAuth2 token: token_command,
else the keyring's token set, refreshed when due). The service, the sending, the doctor,
the CLI and the set-up screen all ask here, so an account is never logged in with one kind
of secret by one and the other kind by another.

`Secret` carries a secret through code that may fail: its repr and str never show the
value, so neither a log line, an assertion message nor a traceback that prints its locals
(rich, pytest) can leak it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from tui_mail.core.auth import credentials

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig

SecretSource = Callable[[], str]
"""Gives the secret when a login needs it (it may run a command or ask the keyring)."""

_HIDDEN: Final = "Secret(***)"


class Secret:
    """A password or access token; the value only through `.value`, never in repr or str."""

    __slots__ = ("_value",)

    def __init__(self, value: str = "") -> None:
        self._value = value

    @property
    def value(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __repr__(self) -> str:
        return _HIDDEN

    __str__ = __repr__


def resolve_secret(account: AccountConfig) -> Secret:
    """The account's password, or its OAuth2 access token when `auth` is "oauth2"."""
    if account.auth == "oauth2":
        return Secret(credentials.get_oauth2_token(account))
    return Secret(credentials.get_password(account))


def secret_source(account: AccountConfig) -> SecretSource:
    """resolve_secret(account).value, asked anew each time a login needs it (a token may
    have been refreshed, a password command may give another answer)."""
    return lambda: resolve_secret(account).value
