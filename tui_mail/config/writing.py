"""Writing the file: `AppConfig` to TOML that `load_config` reads back, replaced atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import tomli_w

from tui_mail.config.models import (
    DEFAULT_BODY_CACHE_MAX_BYTES,
    DEFAULT_OFFLINE_MAX_MB,
    AccountConfig,
    AppConfig,
    OAuth2Config,
    SavedSearchConfig,
)
from tui_mail.config.private import private_dir
from tui_mail.config.reading import parse_document
from tui_mail.core.errors import ConfigError


def save_config(config: AppConfig) -> None:
    """Write `config` to `config.path` atomically, mode 0600, so that load_config reads it back.

    Comments and layout of an existing file are not preserved. Raises ConfigError, before
    touching the file, for a configuration that load_config would refuse.
    """
    text = _render(config)
    parse_document(tomllib.loads(text), config.path)
    try:
        _write_atomically(config.path, text)
    except OSError as exc:
        raise ConfigError(f"{config.path}: cannot write the file: {exc.strerror or exc}") from None


def _render(config: AppConfig) -> str:
    # tomli-w inlines short arrays of tables; [[accounts]] blocks are what users expect to edit.
    chunks = ["# tui-mail configuration. Saved by tui-mail: comments are not kept.\n"]
    for account in config.accounts:
        scalars, tables = _account_document(account)
        chunks.append("\n[[accounts]]\n" + tomli_w.dumps(scalars))
        for key, table in tables.items():
            chunks.append(f"\n[accounts.{key}]\n" + tomli_w.dumps(table))
        for identity in account.identities:
            settings = {"email": identity.email, "display_name": identity.display_name,
                        "signature": identity.signature}  # fmt: skip
            written = {key: value for key, value in settings.items() if value is not None}
            chunks.append("\n[[accounts.identities]]\n" + tomli_w.dumps(written))
    if config.keymap:
        chunks.append("\n[keymap]\n" + tomli_w.dumps(dict(config.keymap)))
    if config.bind:
        chunks.append("\n[bind]\n" + tomli_w.dumps(dict(config.bind)))
    ui: dict[str, str] = {}
    if config.theme is not None:
        ui["theme"] = config.theme
    if config.download_dir is not None:
        ui["download_dir"] = _home_relative(config.download_dir) or str(config.download_dir)
    if ui:
        chunks.append("\n[ui]\n" + tomli_w.dumps(ui))
    chunks += [saved_search_block(search) for search in config.saved_searches]
    return "".join(chunks)


def saved_search_block(search: SavedSearchConfig) -> str:
    """One [[saved_searches]] table as the file holds it, with a blank line before."""
    table: dict[str, Any] = {"name": search.name, "query": search.query}
    if search.accounts:
        table["accounts"] = list(search.accounts)
    return "\n[[saved_searches]]\n" + tomli_w.dumps(table)


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
        "offline_days": account.offline_days or None,
        "offline_max_mb": (
            account.offline_max_mb if account.offline_max_mb != DEFAULT_OFFLINE_MAX_MB else None
        ),
        "save_sent": False if not account.save_sent else None,
        "aliases": list(account.aliases) or None,
        "sendmail_command": account.sendmail_command,
        "signature": account.signature or None,
        "signature_position": (
            account.signature_position if account.signature_position != "below" else None
        ),
        "pgp_sign": True if account.pgp_sign else None,
        "pgp_encrypt": True if account.pgp_encrypt else None,
        "autocrypt": True if account.autocrypt else None,
        "autocrypt_mutual": True if account.autocrypt_mutual else None,
        "wkd": True if account.wkd else None,
        "smime_key": _home_relative(account.smime_key),
        "smime_cert": _home_relative(account.smime_cert),
        "address_book_command": account.address_book_command,
        "idle_folders": list(account.idle_folders) or None,
        "idle_interval_minutes": (
            account.idle_interval_minutes if account.idle_interval_minutes != 9 else None
        ),
        "poll_interval_seconds": (
            account.poll_interval_seconds if account.poll_interval_seconds != 60 else None
        ),
        "status_interval_seconds": (
            account.status_interval_seconds if account.status_interval_seconds != 60 else None
        ),
        "idle_recheck_seconds": (
            account.idle_recheck_seconds if account.idle_recheck_seconds != 60 else None
        ),
        "server_timeout_seconds": (
            account.server_timeout_seconds if account.server_timeout_seconds != 60 else None
        ),
        "compress": False if not account.compress else None,
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
    private_dir(target.parent)
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
