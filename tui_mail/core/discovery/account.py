"""From what discovery found to a saved account: the draft a wizard edits, and saving it."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tui_mail.config import (
    AccountConfig,
    AppConfig,
    AuthMethod,
    OAuth2Config,
    Pop3Config,
    ServerConfig,
    data_path,
    load_config,
    save_config,
)
from tui_mail.core.discovery.model import Discovery, ProviderPreset
from tui_mail.core.errors import UsageError


@dataclass
class AccountDraft:
    """The settings shown and edited before saving; every field may be changed by the user."""

    email: str
    name: str
    display_name: str = ""
    username: str = ""
    imap: ServerConfig | None = None
    smtp: ServerConfig | None = None
    auth: AuthMethod = "password"
    password_command: str | None = None
    oauth2: OAuth2Config | None = None
    ca_file: Path | None = None
    allow_insecure: bool = False
    provider: ProviderPreset | None = None
    """The preset the settings came from, for its advice and its save_sent."""
    type: Literal["imap", "pop3"] = "imap"
    """Read mail over IMAP, or download it over POP3 into a local Maildir."""
    pop3: ServerConfig | None = None
    leave_on_server: bool = True
    """POP3: keep downloaded mail on the server (what POP3 users expect by default)."""
    path: Path | None = None
    """POP3: where downloaded mail goes; default_pop3_path() when None."""

    @classmethod
    def from_discovery(
        cls, discovery: Discovery, *, name: str | None = None, display_name: str = ""
    ) -> AccountDraft:
        provider = discovery.provider
        # OAuth2 first only where we know the provider's endpoints; an autoconfig document
        # that merely lists OAuth2 would leave the user with endpoints to find.
        known = provider is not None and provider.oauth2_provider is not None
        auth: AuthMethod = (
            "oauth2" if discovery.auth_methods[0] == "oauth2" and known else ("password")
        )
        oauth2 = None
        if auth == "oauth2":
            oauth2 = OAuth2Config(provider=provider.oauth2_provider if provider else None)
        return cls(
            email=discovery.email,
            name=name or default_account_name(discovery.email),
            display_name=display_name,
            username=discovery.username,
            imap=discovery.imap.to_server_config() if discovery.imap else None,
            smtp=discovery.smtp.to_server_config() if discovery.smtp else None,
            auth=auth,
            oauth2=oauth2,
            provider=provider,
            type="pop3" if discovery.pop3_only else "imap",
            pop3=discovery.pop3.to_server_config() if discovery.pop3 else None,
        )

    def to_account(self) -> AccountConfig:
        """The AccountConfig to test and save (checked for real by save_new_account)."""
        if self.type == "pop3":
            return self._pop3_account()
        if self.imap is None:
            raise UsageError(
                f"no IMAP server for {self.email}: give one (e.g. --imap-host imap.example.org)"
            )
        account = AccountConfig(
            **self._identity(),
            imap=self.imap,
            smtp=self.smtp,
            oauth2=(self.oauth2 or OAuth2Config()) if self.auth == "oauth2" else None,
        )
        if self.provider is not None and not self.provider.save_sent:
            # Gmail and Outlook file submitted mail in Sent themselves: no second copy.
            account = dataclasses.replace(account, save_sent=False)
        return account

    def _identity(self) -> dict[str, Any]:
        """Who logs in and how: the same for an IMAP and a POP3 account."""
        return {
            "name": self.name,
            "email": self.email,
            "display_name": self.display_name,
            "username": self.username or self.email,
            "auth": self.auth,
            "password_command": self.password_command if self.auth == "password" else None,
            "ca_file": self.ca_file,
            "allow_insecure": self.allow_insecure,
        }

    def _pop3_account(self) -> AccountConfig:
        if self.pop3 is None:
            raise UsageError(
                f"no POP3 server for {self.email}: give one (e.g. --pop3-host pop.example.org)"
            )
        server = self.pop3
        return AccountConfig(
            **self._identity(),
            type="pop3",
            path=(self.path or default_pop3_path(self.name)).expanduser(),
            pop3=Pop3Config(server.host, server.port, server.security, self.leave_on_server),
            smtp=self.smtp,
            oauth2=(self.oauth2 or OAuth2Config()) if self.auth == "oauth2" else None,
        )


def default_pop3_path(account_name: str, data_dir: Path | None = None) -> Path:
    """Where a POP3 account's downloaded mail goes unless the user says otherwise: under the
    data directory (the app's, or $TUI_MAIL_DATA_DIR / the user data dir)."""
    return (data_dir or data_path()) / "pop3" / account_name


def default_account_name(email: str) -> str:
    """A short -a name: the first label of the domain ("gmail", "example")."""
    label = email.rpartition("@")[2].split(".", 1)[0].lower()
    cleaned = re.sub(r"[^\w.@+-]", "-", label).strip(".-")
    return cleaned[:64] or "mail"


def unused_name(wanted: str, config_file: Path) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`... if the config already has it."""
    taken = {a.name for a in _existing(config_file).accounts}
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}-{n}"
    return name


def save_new_account(config_file: Path, account: AccountConfig) -> AppConfig:
    """Append `account` to the file (created if missing) and return the saved configuration.

    Raises UsageError for a name already in use, ConfigError for anything invalid (checked
    before the file is touched).
    """
    existing = _existing(config_file)
    if any(a.name == account.name for a in existing.accounts):
        raise UsageError(
            f"{config_file} already has an account named {account.name!r}; choose another "
            f"name (--name {unused_name(account.name, config_file)})"
        )
    config = dataclasses.replace(existing, accounts=(*existing.accounts, account))
    save_config(config)
    return config


def _existing(config_file: Path) -> AppConfig:
    if not config_file.exists():
        return AppConfig(config_file, ())
    return load_config(config_file)


def keep_password(
    account: AccountConfig, secret: str, *, password_file: Path | None = None
) -> tuple[AccountConfig, str]:
    """Store the password for `account`: in the system keyring, or in `password_file` when
    the user chose that fallback (then the account gets a password_command reading it).

    Returns the account to save and where the secret went. Raises CredentialsUnavailable
    when there is no keyring and no file was chosen: the caller offers password_command or
    the file, and never stores plaintext on its own.
    """
    from tui_mail.core.auth import credentials  # noqa: PLC0415 -- keyring is slow to import

    if password_file is None:
        credentials.set_password(account, secret)
        return account, f'the system keyring (service "{credentials.KEYRING_SERVICE}")'
    command = credentials.write_secret_file(password_file, secret)
    return dataclasses.replace(account, password_command=command), f"{password_file} (mode 0600)"
