"""One TOML table being validated: typed getters whose errors name file, account and field."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tui_mail.config.wording import describe, quote
from tui_mail.core.errors import ConfigError

_T = TypeVar("_T", bound=str)

_PASSWORD_KEYS = frozenset({"password", "passwd", "pass", "app_password", "secret"})
_TOKEN_KEYS = frozenset({"token", "access_token", "refresh_token", "client_secret"})


@dataclass(frozen=True, slots=True)
class Table:
    """One TOML table being validated, with what an error message needs to point at it."""

    file: Path
    owner: str | None
    """'account "work"' or 'accounts[2] ...' for an account's tables; None at the top."""
    prefix: str
    """Dotted path of this table inside its owner, e.g. "imap." ("" for the owner itself)."""
    data: Mapping[str, Any]

    def error(self, message: str) -> ConfigError:
        where = [str(self.file)] if self.owner is None else [str(self.file), self.owner]
        return ConfigError(": ".join([*where, message]))

    def name(self, key: str) -> str:
        return self.prefix + key

    def wrong(self, key: str, expected: str) -> ConfigError:
        return self.error(f"{self.name(key)} is {describe(self.data[key])}; expected {expected}")

    def refuse_secrets(self, account_name: str) -> None:
        """A password or token in the file is refused, and its value never repeated."""
        for key in self.data:
            if key.lower() in _PASSWORD_KEYS or key.lower() in _TOKEN_KEYS:
                raise self.error(
                    f"{self.name(key)} is set, but secrets don't belong in the config file "
                    "(it gets backed up, synced and shared with dotfiles). Remove it; "
                    + password_hint(account_name)
                )

    def check_keys(self, known: tuple[str, ...]) -> None:
        """Report keys nobody reads, with the likely intended key for typos."""
        unknown = [key for key in self.data if key not in known]
        if not unknown:
            return
        described = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {quote(self.name(close[0]))}?)" if close else ""
            described.append(f"{quote(self.name(key))}{hint}")
        plural = "keys" if len(unknown) > 1 else "key"
        expected = ", ".join(self.name(key) for key in known)
        raise self.error(f"unknown {plural} {', '.join(described)}; expected: {expected}")

    def string(self, key: str) -> str | None:
        """An optional non-blank string."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            raise self.wrong(key, "a non-empty string")
        return value

    def required_string(self, key: str, expected: str) -> str:
        """A non-blank string that must be there; `expected` says what to write."""
        value = self.data.get(key)
        if key not in self.data:
            raise self.error(f"{self.name(key)} is missing; expected {expected}")
        if not isinstance(value, str) or not value.strip():
            raise self.wrong(key, expected)
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            unquote = value in ("true", "false")
            raise self.wrong(key, "true or false" + (" (without quotes)" if unquote else ""))
        return value

    def integer(self, key: str, low: int, high: int) -> int | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            unquote = isinstance(value, str) and value.strip().isdigit()
            hint = " (without quotes)" if unquote else ""
            raise self.wrong(key, f"an integer from {low} to {high}{hint}")
        return value

    def choice(self, key: str, choices: tuple[_T, ...], default: _T) -> _T:
        value = self.data.get(key, default)
        for choice in choices:
            if value == choice:
                return choice
        expected = "one of " + ", ".join(quote(choice) for choice in choices)
        if value == "ssl":
            expected += ' ("ssl" is called "tls" here)'
        raise self.wrong(key, expected)

    def table(self, key: str, example: str) -> Table | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, dict):
            raise self.wrong(key, f"a table, e.g. {example}")
        return Table(self.file, self.owner, f"{self.prefix}{key}.", value)

    def path(self, key: str, base: Path) -> Path | None:
        raw = self.string(key)
        if raw is None:
            return None
        try:
            path = Path(raw).expanduser()
        except RuntimeError:  # ~user for an unknown user
            raise self.wrong(key, "a path; the ~user in it does not exist") from None
        return path if path.is_absolute() else base / path


def password_hint(account_name: str) -> str:
    return (
        f'store the password in the system keyring with "tui-mail set-password -a {account_name}", '
        'or set password_command to a command that prints it (e.g. password_command = "pass show '
        f'mail/{account_name}"); for OAuth2 use [accounts.oauth2] token_command'
    )
