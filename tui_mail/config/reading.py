"""Reading the file: TOML to `AppConfig`, with a `ConfigError` for each mistake.

Everything a user can get wrong in the file becomes a `ConfigError` that names the file, the
account, the field, the value (never for secret-looking keys) and what was expected.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tui_mail.config.crypto import parse_crypto
from tui_mail.config.models import (
    AUTH_CHOICES,
    DEFAULT_BODY_CACHE_MAX_BYTES,
    DEFAULT_OFFLINE_MAX_MB,
    DEFAULT_PORTS,
    MAX_IDLE_FOLDERS,
    MAX_OFFLINE_DAYS,
    MINIMAL_EXAMPLE,
    NOTIFY_CHOICES,
    OAUTH2_PROVIDER_CHOICES,
    SECURITY_CHOICES,
    TYPE_CHOICES,
    AccountConfig,
    AppConfig,
    OAuth2Config,
    Pop3Config,
    SavedSearchConfig,
    Security,
    ServerConfig,
)
from tui_mail.config.private import refuse_writable_config
from tui_mail.config.sending import EMAIL, parse_sending
from tui_mail.config.table import Table
from tui_mail.config.wording import describe, ordinal, quote
from tui_mail.core.errors import ConfigError

_ACCOUNT_NAME = re.compile(r"[\w.@+-]{1,64}")
_TOML_LOCATION = re.compile(
    r"^(?P<what>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$"
)

_ACCOUNT_KEYS = tuple(f.name for f in fields(AccountConfig))
_SERVER_KEYS = tuple(f.name for f in fields(ServerConfig))
_OAUTH2_KEYS = tuple(f.name for f in fields(OAuth2Config))
_SUBTABLE_KEYS = {"oauth2": _OAUTH2_KEYS, "pop3": tuple(f.name for f in fields(Pop3Config))}


def load_config(path: Path) -> AppConfig:
    """Read and validate the file at `path`; raises ConfigError for anything wrong in it,
    and for a file that others could write (see private.refuse_writable_config)."""
    refuse_writable_config(path)
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
    return parse_document(document, path)


def parse_document(document: Mapping[str, Any], file: Path) -> AppConfig:
    """Validate a parsed TOML `document` read from `file` (save_config checks with it too)."""
    top = Table(file, None, "", document)
    top.refuse_secrets("NAME")
    top.check_keys(("accounts", "keymap", "bind", "ui", "saved_searches"))
    if "accounts" not in document:
        raise top.error(f"no accounts configured; add one, for example:\n\n{MINIMAL_EXAMPLE}")
    raw_accounts = document["accounts"]
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise top.wrong("accounts", "[[accounts]] tables (note the double brackets)")

    accounts: list[AccountConfig] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(raw_accounts):
        if not isinstance(raw, dict):
            raise top.error(f"accounts[{index}] is {describe(raw)}; expected an [[accounts]] table")
        table = Table(file, _account_label(raw, index), "", raw)
        account = _parse_account(table, file.parent)
        if account.name in first_index:
            raise table.error(
                f"name {quote(account.name)} is already used by "
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

    bind: dict[str, str] = {}
    bind_table = top.table("bind", '[bind] with F = ":move Archive"')
    if bind_table is not None:
        for key, line in bind_table.data.items():
            if not isinstance(line, str) or not line.startswith(":") or "\n" in line:
                expected = 'a command line starting with ":", e.g. ":move Archive"'
                raise bind_table.wrong(key, expected)
            bind[key] = line

    theme = None
    download_dir = None
    ui_table = top.table("ui", '[ui] with theme = "nord"')
    if ui_table is not None:
        ui_table.refuse_secrets("NAME")
        ui_table.check_keys(("theme", "download_dir"))
        theme = ui_table.string("theme")
        download_dir = ui_table.path("download_dir", file.parent)

    return AppConfig(
        file,
        tuple(accounts),
        MappingProxyType(keymap),
        MappingProxyType(bind),
        theme,
        download_dir,
        _parse_saved_searches(top, [account.name for account in accounts]),
    )


def _parse_saved_searches(top: Table, accounts: list[str]) -> tuple[SavedSearchConfig, ...]:
    """The [[saved_searches]] tables. Their queries are read by the search language when
    used (config needs nothing of core but its errors): a bad one is said then, once."""
    raw = top.data.get("saved_searches", [])
    if not isinstance(raw, list):
        raise top.wrong("saved_searches", "[[saved_searches]] tables (note the double brackets)")
    found: list[SavedSearchConfig] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            expected = "expected a [[saved_searches]] table"
            raise top.error(f"saved_searches[{index}] is {describe(entry)}; {expected}")
        name = entry.get("name")
        label = (
            f"saved search {quote(name)}"
            if isinstance(name, str) and name.strip()
            else f"saved_searches[{index}] (the {ordinal(index + 1)} [[saved_searches]] table)"
        )
        table = Table(top.file, label, "", entry)
        table.check_keys(("name", "query", "accounts"))
        name = table.required_string("name", 'what the folder tree shows, e.g. "Flagged"')
        if not name.isprintable() or name != name.strip():
            raise table.wrong("name", "a name of printable characters, without spaces around it")
        if any(search.name == name for search in found):
            raise table.error(f"name {quote(name)} is already used by another saved search")
        query = table.required_string("query", 'a search, e.g. query = "is:flagged"')
        scope = entry.get("accounts", [])
        if not isinstance(scope, list) or not all(isinstance(a, str) for a in scope):
            raise table.wrong("accounts", 'a list of account names, e.g. ["work"]')
        for account in scope:
            if account not in accounts:
                known = ", ".join(quote(a) for a in accounts)
                raise table.error(
                    f"accounts names {quote(account)}, which is not an account here; "
                    f"known accounts: {known} (leave accounts out to search every account)"
                )
        found.append(SavedSearchConfig(name, query, tuple(scope)))
    return tuple(found)


def _parse_account(table: Table, base: Path) -> AccountConfig:
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
    if not EMAIL.fullmatch(email):
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
    offline_days = table.integer("offline_days", 0, MAX_OFFLINE_DAYS) or 0
    offline_mb = table.integer("offline_max_mb", 1, 1024 * 1024) or DEFAULT_OFFLINE_MAX_MB
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
        offline_days=offline_days,
        offline_max_mb=offline_mb,
        **parse_sending(table, email),
        **parse_crypto(table, base),
        **_parse_watching(table),
    )


def _parse_watching(table: Table) -> dict[str, Any]:
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
    status_seconds = table.integer("status_interval_seconds", 5, 86400)
    if status_seconds is not None:
        values["status_interval_seconds"] = status_seconds
    recheck = table.integer("idle_recheck_seconds", 0, 1740)
    if recheck is not None:
        values["idle_recheck_seconds"] = recheck
    deadline = table.integer("server_timeout_seconds", 1, 3600)
    if deadline is not None:
        values["server_timeout_seconds"] = deadline
    if "compress" in table.data:
        values["compress"] = table.boolean("compress", default=True)
    command = table.string("new_mail_command")
    if command is not None:
        values["new_mail_command"] = command
    return values


def _parse_oauth2(table: Table) -> OAuth2Config:
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
    account: Table, protocol: str, account_type: str, allow_insecure: bool
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


def _parse_pop3(table: Table | None, server: ServerConfig | None) -> Pop3Config | None:
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


def _check_ca_file(table: Table, base: Path) -> Path | None:
    path = table.path("ca_file", base)
    if path is None:
        return None
    problem = _path_problem(path, want_dir=False)
    if problem:
        shown = describe(table.data["ca_file"])
        raise table.error(
            f"ca_file is {shown} ({path}), {problem}; expected a PEM file with the "
            "certificate of the CA that signed your server's certificate"
        )
    return path


def _check_mail_path(table: Table, account_type: str, base: Path) -> Path | None:
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
            f"path is {describe(table.data['path'])} ({path}), {problem}; expected a directory"
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
        return f"account {quote(name)}"
    return f"accounts[{index}] (the {ordinal(index + 1)} [[accounts]] table)"


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
