"""The configuration file: where it lives, what it may hold, and how to read and write it.

Everything a user can get wrong in the file becomes a `ConfigError` that names the file, the
account, the field, the value (never for secret-looking keys) and what was expected. Secrets
never live here: passwords come from the keyring or a `password_command` (see
`tui_mail.core.credentials`).

Relative `ca_file` and `path` values are relative to the directory holding the file.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar

import platformdirs
import tomli_w

from tui_mail.core.errors import ConfigError, UsageError

Security = Literal["tls", "starttls", "plain"]
AuthMethod = Literal["password", "oauth2"]
AccountType = Literal["imap", "maildir", "pop3"]
OAuth2Provider = Literal["google", "microsoft"]

SECURITY_CHOICES: tuple[Security, ...] = ("tls", "starttls", "plain")
AUTH_CHOICES: tuple[AuthMethod, ...] = ("password", "oauth2")
TYPE_CHOICES: tuple[AccountType, ...] = ("imap", "maildir", "pop3")
OAUTH2_PROVIDER_CHOICES: tuple[OAuth2Provider, ...] = ("google", "microsoft")

DEFAULT_PORTS: Mapping[str, Mapping[Security, int]] = MappingProxyType(
    {
        "imap": {"tls": 993, "starttls": 143, "plain": 143},
        "smtp": {"tls": 465, "starttls": 587, "plain": 25},
        "pop3": {"tls": 995, "starttls": 110, "plain": 110},
    }
)
DEFAULT_BODY_CACHE_MAX_BYTES = 50 * 1024 * 1024
APP_NAME = "tui-mail"

MINIMAL_EXAMPLE = """\
[[accounts]]
name = "work"
email = "me@example.org"

[accounts.imap]
host = "imap.example.org"

[accounts.smtp]
host = "smtp.example.org"
"""

_T = TypeVar("_T", bound=str)

_PASSWORD_KEYS = frozenset({"password", "passwd", "pass", "app_password", "secret"})
_TOKEN_KEYS = frozenset({"token", "access_token", "refresh_token", "client_secret"})
_ACCOUNT_NAME = re.compile(r"[\w.@+-]{1,64}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_TOML_LOCATION = re.compile(
    r"^(?P<what>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$"
)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Where and how to reach one server."""

    host: str
    """Host name or IP address, without a scheme or port."""
    port: int
    """TCP port; defaults from `DEFAULT_PORTS` for the protocol and security."""
    security: Security
    """tls (TLS from the first byte), starttls (upgrade before login), or plain (no TLS)."""


@dataclass(frozen=True, slots=True)
class Pop3Config(ServerConfig):
    """The `[accounts.pop3]` table: the server, and what happens to mail left on it."""

    leave_on_server: bool = True
    """Keep downloaded messages on the server; false deletes each one once it is saved."""
    delete_after_days: int | None = None
    """With leave_on_server: delete from the server this many days after the download."""


@dataclass(frozen=True, slots=True)
class OAuth2Config:
    """Where OAuth2 access tokens come from for an `auth = "oauth2"` account."""

    token_command: str | None = None
    """Shell command printing a fresh access token (e.g. oama); else the keyring entry."""
    provider: OAuth2Provider | None = None
    """A known provider ("google", "microsoft") whose endpoints and scopes are the defaults."""
    client_id: str | None = None
    """The user's own registered OAuth2 client (public client); needed to authorize/refresh."""
    device_authorization_endpoint: str | None = None
    """RFC 8628 device authorization URL (https); overrides the provider's."""
    token_endpoint: str | None = None
    """Token URL (https) for the device-code and refresh-token grants; overrides the provider's."""
    scopes: tuple[str, ...] = ()
    """Scopes to ask for; empty for the provider's defaults."""
    authorization_endpoint: str | None = None
    """Browser sign-in URL (https) of the loopback-redirect flow (RFC 8252, Google's);
    overrides the provider's. With it and no device_authorization_endpoint, that flow is used."""
    redirect_port: int | None = None
    """Port on 127.0.0.1 the loopback flow listens on (forward it over SSH); else a free one."""


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """One `[[accounts]]` table."""

    name: str
    """What -a/--account takes; unique; letters, digits and . _ - @ +."""
    email: str
    """The address mail is sent from."""
    display_name: str = ""
    """Name shown in From headers; empty for none."""
    username: str = ""
    """Login name on the servers; defaults to `email`."""
    auth: AuthMethod = "password"
    """How to log in: password (LOGIN/PLAIN) or oauth2 (XOAUTH2)."""
    password_command: str | None = None
    """Shell command printing the password on its first line; else the keyring is used."""
    ca_file: Path | None = None
    """PEM file of a private CA to trust in addition to the system store."""
    allow_insecure: bool = False
    """Permit security = "plain" (password and mail sent unencrypted)."""
    type: AccountType = "imap"
    """Where mail is read from: imap, maildir or pop3."""
    path: Path | None = None
    """The maildir (type = "maildir") or where downloaded mail goes (type = "pop3")."""
    imap: ServerConfig | None = None
    """The IMAP server; required for type = "imap"."""
    smtp: ServerConfig | None = None
    """The submission server; without it the account cannot send."""
    oauth2: OAuth2Config | None = None
    """OAuth2 settings, only for auth = "oauth2"."""
    body_cache_max_bytes: int = DEFAULT_BODY_CACHE_MAX_BYTES
    """Message bodies larger than this are fetched each time instead of cached."""
    pop3: Pop3Config | None = None
    """The POP3 server; required for type = "pop3"."""
    save_sent: bool = True
    """File a copy of sent mail in the Sent folder; false where the provider files it itself."""
    aliases: tuple[str, ...] = ()
    """Your other addresses: left out of reply-all, and replies to them are sent from them."""
    sendmail_command: str | None = None
    """Command that delivers a message given on stdin to the recipients given as arguments
    (e.g. "msmtp -oi"); used instead of [accounts.smtp]."""
    signature: str = ""
    """Text put under a "-- " line at the end of new messages, replies and forwards."""
    idle_folders: tuple[str, ...] = ()
    """Folders besides INBOX watched for new mail (one connection each; at most 5)."""
    idle_interval_minutes: int = 9
    """How long one IDLE lasts before it is renewed (RFC 2177: under 29 minutes)."""
    poll_interval_seconds: int = 60
    """How often a server without IDLE is checked for new mail."""
    new_mail_command: str | None = None
    """Shell command run on new mail, given TUI_MAIL_FROM, TUI_MAIL_SUBJECT ... in its
    environment."""
    notify: tuple[str, ...] = ("bell", "desktop")
    """How new mail is announced: "bell" (the terminal's), "desktop" (notify-send)."""
    local_only: bool = False
    """Sending only files the message in Sent: nothing leaves the machine. Set by the demo;
    not a config-file field."""

    def __post_init__(self) -> None:
        if not self.username:
            object.__setattr__(self, "username", self.email)


@dataclass(frozen=True, slots=True)
class AppConfig:
    """The whole configuration file."""

    path: Path
    """The file this was read from and is saved to."""
    accounts: tuple[AccountConfig, ...]
    """Accounts in file order; the first is the default."""
    keymap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Binding id -> keys (e.g. "ctrl+q"), applied with Textual's App.set_keymap."""
    theme: str | None = None
    """Name of the Textual theme to start with; None for the default."""
    download_dir: Path | None = None
    """Where attachments are saved ([ui] download_dir); None: ~/Downloads, else the data dir's."""

    def account(self, name: str | None) -> AccountConfig:
        """The account called `name`, or the first one when `name` is None."""
        if not self.accounts:
            raise UsageError(f"{self.path}: no accounts configured")
        if name is None:
            return self.accounts[0]
        for account in self.accounts:
            if account.name == name:
                return account
        names = [account.name for account in self.accounts]
        known = ", ".join(_quote(n) for n in names)
        message = f"no account named {_quote(name)} in {self.path}; known accounts: {known}"
        close = difflib.get_close_matches(name, names, n=1)
        if close:
            message += f" (did you mean {_quote(close[0])}?)"
        raise UsageError(message)


def config_path(explicit: str | Path | None = None) -> Path:
    """The config file: `explicit` (--config), else $TUI_MAIL_CONFIG, else the user config dir."""
    if explicit is not None and str(explicit):
        return Path(explicit).expanduser()
    from_env = os.environ.get("TUI_MAIL_CONFIG")
    if from_env:
        return Path(from_env).expanduser()
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def data_path() -> Path:
    """Where caches live: $TUI_MAIL_DATA_DIR, else the user data dir. Callers create it."""
    from_env = os.environ.get("TUI_MAIL_DATA_DIR")
    if from_env:
        return Path(from_env).expanduser()
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def load_config(path: Path) -> AppConfig:
    """Read and validate the file at `path`; raises ConfigError for anything wrong in it."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no configuration file. Create it with at least one account, for example:"
            f'\n\n{MINIMAL_EXAMPLE}\nthen store its password with "tui-mail set-password -a work". '
            "(Or pass --config FILE, or set TUI_MAIL_CONFIG, to use another file.)"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory; expected a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: line {line} is not valid UTF-8; save the file as UTF-8"
        ) from None
    try:
        document = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_describe_toml_error(str(exc))}") from None
    return _parse_document(document, path)


def save_config(config: AppConfig) -> None:
    """Write `config` to `config.path` atomically, mode 0600, so that load_config reads it back.

    Comments and layout of an existing file are not preserved. Raises ConfigError, before
    touching the file, for a configuration that load_config would refuse.
    """
    text = _render(config)
    _parse_document(tomllib.loads(text), config.path)
    try:
        _write_atomically(config.path, text)
    except OSError as exc:
        raise ConfigError(f"{config.path}: cannot write the file: {exc.strerror or exc}") from None


# Reading

_ACCOUNT_KEYS = tuple(f.name for f in fields(AccountConfig))
_SERVER_KEYS = tuple(f.name for f in fields(ServerConfig))
_OAUTH2_KEYS = tuple(f.name for f in fields(OAuth2Config))
_SUBTABLE_KEYS = {"oauth2": _OAUTH2_KEYS, "pop3": tuple(f.name for f in fields(Pop3Config))}


@dataclass(frozen=True, slots=True)
class _Table:
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
        return self.error(f"{self.name(key)} is {_describe(self.data[key])}; expected {expected}")

    def refuse_secrets(self, account_name: str) -> None:
        """A password or token in the file is refused, and its value never repeated."""
        for key in self.data:
            if key.lower() in _PASSWORD_KEYS or key.lower() in _TOKEN_KEYS:
                raise self.error(
                    f"{self.name(key)} is set, but secrets don't belong in the config file "
                    "(it gets backed up, synced and shared with dotfiles). Remove it; "
                    + _password_hint(account_name)
                )

    def check_keys(self, known: tuple[str, ...]) -> None:
        """Report keys nobody reads, with the likely intended key for typos."""
        unknown = [key for key in self.data if key not in known]
        if not unknown:
            return
        described = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {_quote(self.name(close[0]))}?)" if close else ""
            described.append(f"{_quote(self.name(key))}{hint}")
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
        expected = "one of " + ", ".join(_quote(choice) for choice in choices)
        if value == "ssl":
            expected += ' ("ssl" is called "tls" here)'
        raise self.wrong(key, expected)

    def table(self, key: str, example: str) -> _Table | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, dict):
            raise self.wrong(key, f"a table, e.g. {example}")
        return _Table(self.file, self.owner, f"{self.prefix}{key}.", value)

    def path(self, key: str, base: Path) -> Path | None:
        raw = self.string(key)
        if raw is None:
            return None
        try:
            path = Path(raw).expanduser()
        except RuntimeError:  # ~user for an unknown user
            raise self.wrong(key, "a path; the ~user in it does not exist") from None
        return path if path.is_absolute() else base / path


def _parse_document(document: Mapping[str, Any], file: Path) -> AppConfig:
    top = _Table(file, None, "", document)
    top.refuse_secrets("NAME")
    top.check_keys(("accounts", "keymap", "ui"))
    if "accounts" not in document:
        raise top.error(f"no accounts configured; add one, for example:\n\n{MINIMAL_EXAMPLE}")
    raw_accounts = document["accounts"]
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise top.wrong("accounts", "[[accounts]] tables (note the double brackets)")

    accounts: list[AccountConfig] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(raw_accounts):
        if not isinstance(raw, dict):
            raise top.error(
                f"accounts[{index}] is {_describe(raw)}; expected an [[accounts]] table"
            )
        table = _Table(file, _account_label(raw, index), "", raw)
        account = _parse_account(table, file.parent)
        if account.name in first_index:
            raise table.error(
                f"name {_quote(account.name)} is already used by "
                f"accounts[{first_index[account.name]}]; account names must be unique"
            )
        first_index[account.name] = index
        accounts.append(account)

    keymap: dict[str, str] = {}
    keymap_table = top.table("keymap", '[keymap] with quit = "ctrl+q"')
    if keymap_table is not None:
        for binding, keys in keymap_table.data.items():
            if not isinstance(keys, str):
                expected = 'a string of keys, e.g. "ctrl+q" or "q,escape"'
                if isinstance(keys, dict):  # `app.quit = ...` is a dotted key, i.e. a table
                    expected += ' (quote ids that contain dots: "app.quit" = "ctrl+q")'
                raise keymap_table.wrong(binding, expected)
            keymap[binding] = keys

    theme = None
    download_dir = None
    ui_table = top.table("ui", '[ui] with theme = "nord"')
    if ui_table is not None:
        ui_table.refuse_secrets("NAME")
        ui_table.check_keys(("theme", "download_dir"))
        theme = ui_table.string("theme")
        download_dir = ui_table.path("download_dir", file.parent)

    return AppConfig(file, tuple(accounts), MappingProxyType(keymap), theme, download_dir)


def _parse_account(table: _Table, base: Path) -> AccountConfig:
    raw_name = table.data.get("name")
    hint_name = raw_name if isinstance(raw_name, str) and raw_name else "NAME"
    subtables = {
        key: table.table(key, f"[accounts.{key}]") for key in ("imap", "smtp", "pop3", "oauth2")
    }
    for sub in (table, *subtables.values()):
        if sub is not None:
            sub.refuse_secrets(hint_name)
    table.check_keys(_ACCOUNT_KEYS)
    for key, sub in subtables.items():
        if sub is not None:
            sub.check_keys(_SUBTABLE_KEYS.get(key, _SERVER_KEYS))

    name = table.required_string("name", 'a short name for -a/--account, e.g. name = "work"')
    if not _ACCOUNT_NAME.fullmatch(name) or name[0] in ".-":
        raise table.wrong(
            "name", "up to 64 letters, digits and . _ - @ + (no spaces; not starting with . or -)"
        )
    email = table.required_string("email", 'the address you send from, e.g. "me@example.org"')
    if not _EMAIL.fullmatch(email):
        raise table.wrong("email", 'an address like "me@example.org"')
    display_name = table.data.get("display_name", "")
    if not isinstance(display_name, str):
        raise table.wrong("display_name", 'a string, e.g. "Ada Lovelace"')

    auth = table.choice("auth", AUTH_CHOICES, "password")
    password_command = table.string("password_command")
    if password_command is not None and auth == "oauth2":
        raise table.error(
            'password_command is set, but auth is "oauth2"; use [accounts.oauth2] token_command '
            'for a command that prints an access token, or set auth = "password"'
        )
    if "oauth2" in table.data and auth != "oauth2":
        raise table.error(
            '[accounts.oauth2] is set, but auth is "password"; set auth = "oauth2" or remove it'
        )

    allow_insecure = table.boolean("allow_insecure", default=False)
    account_type = table.choice("type", TYPE_CHOICES, "imap")
    max_bytes = table.integer("body_cache_max_bytes", 0, 2**63 - 1)
    servers = {
        protocol: _parse_server(table, protocol, account_type, allow_insecure)
        for protocol in ("imap", "smtp", "pop3")
    }
    oauth2_table = table.table("oauth2", "[accounts.oauth2]")
    oauth2 = None
    if oauth2_table is not None:
        oauth2 = _parse_oauth2(oauth2_table)

    return AccountConfig(
        name=name,
        email=email,
        display_name=display_name,
        username=table.string("username") or email,
        auth=auth,
        password_command=password_command,
        ca_file=_check_ca_file(table, base),
        allow_insecure=allow_insecure,
        type=account_type,
        path=_check_mail_path(table, account_type, base),
        imap=servers["imap"],
        smtp=servers["smtp"],
        pop3=_parse_pop3(subtables["pop3"], servers["pop3"]),
        oauth2=oauth2,
        body_cache_max_bytes=DEFAULT_BODY_CACHE_MAX_BYTES if max_bytes is None else max_bytes,
        **_parse_sending(table),
        **_parse_watching(table),
    )


MAX_IDLE_FOLDERS = 5
NOTIFY_CHOICES = ("bell", "desktop")


def _parse_watching(table: _Table) -> dict[str, Any]:
    """The fields that new-mail watching reads: idle_folders, intervals, notification."""
    values: dict[str, Any] = {}
    for key, limit in (("idle_folders", MAX_IDLE_FOLDERS), ("notify", len(NOTIFY_CHOICES))):
        if key not in table.data:
            continue
        raw = table.data[key]
        if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
            raise table.wrong(key, 'a list of strings, e.g. ["Lists", "Work"]')
        if len(raw) > limit:
            raise table.wrong(key, f"at most {limit} entries")
        if key == "notify" and not set(raw) <= set(NOTIFY_CHOICES):
            raise table.wrong(key, 'a list of "bell" and "desktop" (or [] for neither)')
        values[key] = tuple(raw)
    minutes = table.integer("idle_interval_minutes", 1, 29)
    if minutes is not None:
        values["idle_interval_minutes"] = minutes
    seconds = table.integer("poll_interval_seconds", 5, 86400)
    if seconds is not None:
        values["poll_interval_seconds"] = seconds
    command = table.string("new_mail_command")
    if command is not None:
        values["new_mail_command"] = command
    return values


def _parse_sending(table: _Table) -> dict[str, Any]:
    """The fields that only sending reads: save_sent, aliases, sendmail_command, signature."""
    raw_aliases = table.data.get("aliases", [])
    expected = 'a list of addresses, e.g. aliases = ["me@example.net"]'
    if not isinstance(raw_aliases, list):
        raise table.wrong("aliases", expected)
    for alias in raw_aliases:
        if not isinstance(alias, str) or not _EMAIL.fullmatch(alias.strip()):
            shown = _describe(alias)
            raise table.error(f"aliases holds {shown}; expected {expected}")
    signature = table.data.get("signature", "")
    if not isinstance(signature, str):
        raise table.wrong("signature", 'a string, e.g. signature = "Ada"')
    return {
        "save_sent": table.boolean("save_sent", default=True),
        "aliases": tuple(alias.strip() for alias in raw_aliases),
        "sendmail_command": table.string("sendmail_command"),
        "signature": signature,
    }


def _parse_oauth2(table: _Table) -> OAuth2Config:
    provider = None
    if "provider" in table.data:
        provider = table.choice("provider", OAUTH2_PROVIDER_CHOICES, "google")
    urls = {}
    for key in ("device_authorization_endpoint", "token_endpoint", "authorization_endpoint"):
        url = table.string(key)
        if url is not None and not url.startswith("https://"):
            raise table.wrong(key, "an https:// URL (tokens never travel unencrypted)")
        urls[key] = url
    scopes = table.data.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s.strip() for s in scopes):
        raise table.wrong(
            "scopes", 'an array of strings, e.g. scopes = ["https://mail.google.com/"]'
        )
    return OAuth2Config(
        token_command=table.string("token_command"),
        provider=provider,
        client_id=table.string("client_id"),
        device_authorization_endpoint=urls["device_authorization_endpoint"],
        token_endpoint=urls["token_endpoint"],
        scopes=tuple(scopes),
        authorization_endpoint=urls["authorization_endpoint"],
        redirect_port=table.integer("redirect_port", 1024, 65535),
    )


def _parse_server(
    account: _Table, protocol: str, account_type: str, allow_insecure: bool
) -> ServerConfig | None:
    table = account.table(protocol, f"[accounts.{protocol}]")
    needed = protocol == account_type
    if table is None:
        if needed:
            raise account.error(
                f'[accounts.{protocol}] is missing; type = "{protocol}" needs the server, e.g.\n\n'
                f'[accounts.{protocol}]\nhost = "{protocol}.example.org"'
            )
        return None
    if protocol != "smtp" and not needed:
        raise account.error(
            f'[accounts.{protocol}] is set, but type is "{account_type}"; '
            f'set type = "{protocol}" or remove the table'
        )

    host = table.required_string("host", f'the server name, e.g. host = "{protocol}.example.org"')
    if any(c.isspace() or c in "/@" for c in host) or host.count(":") == 1:
        raise table.wrong(
            "host",
            f'a bare host name like "{protocol}.example.org" (no scheme, user or port; '
            "the port goes in port = ...)",
        )
    port = table.integer("port", 1, 65535)
    ports = DEFAULT_PORTS[protocol]
    # Without an explicit security, a well-known cleartext/STARTTLS port means STARTTLS
    # (never plain: that must be asked for); anything else means TLS from the first byte.
    implied: Security = "starttls" if port in (ports["starttls"], ports["plain"]) else "tls"
    security = table.choice("security", SECURITY_CHOICES, implied)
    if security == "plain" and not allow_insecure:
        raise account.error(
            f'{protocol}.security is "plain", but allow_insecure is not true. Plain sends your '
            "password and mail unencrypted, readable by anyone on the way to the server. Use "
            '"tls" or "starttls"; or, only for a server on this machine or a network you '
            "trust, set allow_insecure = true on the account"
        )
    return ServerConfig(host, ports[security] if port is None else port, security)


def _parse_pop3(table: _Table | None, server: ServerConfig | None) -> Pop3Config | None:
    if table is None or server is None:
        return None
    leave = table.boolean("leave_on_server", default=True)
    days = table.integer("delete_after_days", 0, 36500)
    if days is not None and not leave:
        raise table.error(
            "pop3.delete_after_days is set, but pop3.leave_on_server is false (messages are "
            "deleted from the server as soon as they are downloaded); remove one of them"
        )
    return Pop3Config(server.host, server.port, server.security, leave, days)


def _check_ca_file(table: _Table, base: Path) -> Path | None:
    path = table.path("ca_file", base)
    if path is None:
        return None
    problem = _path_problem(path, want_dir=False)
    if problem:
        shown = _describe(table.data["ca_file"])
        raise table.error(
            f"ca_file is {shown} ({path}), {problem}; expected a PEM file with the "
            "certificate of the CA that signed your server's certificate"
        )
    return path


def _check_mail_path(table: _Table, account_type: str, base: Path) -> Path | None:
    path = table.path("path", base)
    if account_type == "imap":
        if path is not None:
            raise table.error(
                'path is set, but type is "imap" (path is for type = "maildir" or "pop3")'
            )
        return None
    if path is None:
        raise table.error(
            f'path is missing; type = "{account_type}" needs the mail directory, '
            'e.g. path = "~/Mail/work"'
        )
    problem = _path_problem(path, want_dir=True)
    # A pop3 account may start with a directory that does not exist yet; a maildir must exist.
    if problem and not (account_type == "pop3" and problem == "which does not exist"):
        raise table.error(
            f"path is {_describe(table.data['path'])} ({path}), {problem}; expected a directory"
        )
    return path


def _path_problem(path: Path, *, want_dir: bool) -> str | None:
    try:
        if not path.exists():
            return "which does not exist"
        if want_dir and not path.is_dir():
            return "which is not a directory"
        if not want_dir and path.is_dir():
            return "which is a directory"
    except (OSError, ValueError) as exc:
        return f"which cannot be checked ({getattr(exc, 'strerror', None) or exc})"
    return None


def _account_label(raw: Mapping[str, Any], index: int) -> str:
    name = raw.get("name")
    if isinstance(name, str) and name.strip():
        return f"account {_quote(name)}"
    return f"accounts[{index}] (the {_ordinal(index + 1)} [[accounts]] table)"


def _password_hint(account_name: str) -> str:
    return (
        f'store the password in the system keyring with "tui-mail set-password -a {account_name}", '
        'or set password_command to a command that prints it (e.g. password_command = "pass show '
        f'mail/{account_name}"); for OAuth2 use [accounts.oauth2] token_command'
    )


def _describe_toml_error(message: str) -> str:
    match = _TOML_LOCATION.match(message)
    if match is None:
        return f"TOML syntax error: {message}"
    what = match["what"]
    where = (
        f"line {match['line']}, column {match['col']}" if match["line"] else "the end of the file"
    )
    hint = ' (text values need quotes: name = "work")' if what == "Invalid value" else ""
    return f"TOML syntax error at {where}: {what}{hint}"


def _describe(value: object) -> str:
    """A value as the user wrote it, with its TOML type when that is not obvious."""
    if isinstance(value, bool):
        return "true (a boolean)" if value else "false (a boolean)"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int | float):
        return f"{value} (a number)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"{value} (a date/time)"


def _quote(text: str) -> str:
    shown = json.dumps(text, ensure_ascii=False)
    return shown if len(shown) <= 80 else shown[:76] + '..."'


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# Writing


def _render(config: AppConfig) -> str:
    # tomli-w inlines short arrays of tables; [[accounts]] blocks are what users expect to edit.
    chunks = ["# tui-mail configuration. Saved by tui-mail: comments are not kept.\n"]
    for account in config.accounts:
        scalars, tables = _account_document(account)
        chunks.append("\n[[accounts]]\n" + tomli_w.dumps(scalars))
        for key, table in tables.items():
            chunks.append(f"\n[accounts.{key}]\n" + tomli_w.dumps(table))
    if config.keymap:
        chunks.append("\n[keymap]\n" + tomli_w.dumps(dict(config.keymap)))
    ui: dict[str, str] = {}
    if config.theme is not None:
        ui["theme"] = config.theme
    if config.download_dir is not None:
        ui["download_dir"] = _home_relative(config.download_dir) or str(config.download_dir)
    if ui:
        chunks.append("\n[ui]\n" + tomli_w.dumps(ui))
    return "".join(chunks)


def _account_document(account: AccountConfig) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    scalars: dict[str, Any] = {"name": account.name, "email": account.email}
    optional: dict[str, Any] = {
        "display_name": account.display_name or None,
        "username": account.username if account.username != account.email else None,
        "auth": account.auth if account.auth != "password" else None,
        "password_command": account.password_command,
        "ca_file": _home_relative(account.ca_file),
        "allow_insecure": True if account.allow_insecure else None,
        "type": account.type if account.type != "imap" else None,
        "path": _home_relative(account.path),
        "body_cache_max_bytes": (
            account.body_cache_max_bytes
            if account.body_cache_max_bytes != DEFAULT_BODY_CACHE_MAX_BYTES
            else None
        ),
        "save_sent": False if not account.save_sent else None,
        "aliases": list(account.aliases) or None,
        "sendmail_command": account.sendmail_command,
        "signature": account.signature or None,
        "idle_folders": list(account.idle_folders) or None,
        "idle_interval_minutes": (
            account.idle_interval_minutes if account.idle_interval_minutes != 9 else None
        ),
        "poll_interval_seconds": (
            account.poll_interval_seconds if account.poll_interval_seconds != 60 else None
        ),
        "new_mail_command": account.new_mail_command,
        "notify": list(account.notify) if account.notify != ("bell", "desktop") else None,
    }
    scalars.update((key, value) for key, value in optional.items() if value is not None)
    tables: dict[str, dict[str, Any]] = {}
    for key, server in (("imap", account.imap), ("smtp", account.smtp), ("pop3", account.pop3)):
        if server is not None:
            tables[key] = {"host": server.host, "port": server.port, "security": server.security}
    if account.pop3 is not None:
        if not account.pop3.leave_on_server:
            tables["pop3"]["leave_on_server"] = False
        if account.pop3.delete_after_days is not None:
            tables["pop3"]["delete_after_days"] = account.pop3.delete_after_days
    if account.oauth2 is not None:
        settings = {f.name: getattr(account.oauth2, f.name) for f in fields(OAuth2Config)}
        settings["scopes"] = list(account.oauth2.scopes) or None
        tables["oauth2"] = {key: value for key, value in settings.items() if value is not None}
    return scalars, tables


def _home_relative(path: Path | None) -> str | None:
    """`~/...` for paths under the home directory, so the file survives a dotfiles sync."""
    if path is None:
        return None
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except (ValueError, RuntimeError):
        return str(path)


def _write_atomically(path: Path, text: str) -> None:
    # Replace the file a dotfiles symlink points at, not the symlink itself.
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            os.chmod(temp_name, 0o600)
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
