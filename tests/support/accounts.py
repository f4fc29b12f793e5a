"""Accounts and independent clients for tests against the suite's Dovecot."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

import imapclient

from tests.support.dovecot import DEFAULT_CAPABILITIES, DovecotServer, MailUser
from tui_mail.config import AccountConfig, ServerConfig


def imap_account(
    server: DovecotServer,
    user: MailUser,
    *,
    name: str = "test",
    security: Literal["tls", "starttls", "plain"] = "tls",
    host: str = "localhost",
    port: int | None = None,
    trust_ca: bool = True,
    allow_insecure: bool = False,
    password_command: str | None = None,
    body_cache_max_bytes: int = 50 * 1024 * 1024,
) -> AccountConfig:
    """An account pointing at `server` as `user`, trusting the suite's CA by default."""
    if port is None:
        port = server.imaps_port if security == "tls" else server.imap_port
    return AccountConfig(
        name=name,
        email=f"{user.name}@example.test",
        username=user.name,
        password_command=password_command,
        ca_file=server.ca_pem if trust_ca else None,
        allow_insecure=allow_insecure,
        imap=ServerConfig(host=host, port=port, security=security),
        body_cache_max_bytes=body_cache_max_bytes,
    )


def without(*capabilities: str) -> str:
    """Dovecot's capability list minus some, to pretend to be a less capable server."""
    return " ".join(c for c in DEFAULT_CAPABILITIES.split() if c not in capabilities)


def other_client(server: DovecotServer, user: MailUser) -> Any:
    """A second, independent IMAP connection: what the server holds, seen from outside."""
    context = ssl.create_default_context(cafile=str(server.ca_pem))
    client = imapclient.IMAPClient("localhost", port=server.imaps_port, ssl_context=context)
    client.login(user.name, user.password)
    return client


def server_flags(server: DovecotServer, user: MailUser, folder: str) -> dict[int, set[bytes]]:
    client = other_client(server, user)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, ["FLAGS"]) if uids else {}
        return {uid: set(data[b"FLAGS"]) - {b"\\Recent"} for uid, data in fetched.items()}
    finally:
        client.logout()


def server_subjects(server: DovecotServer, user: MailUser, folder: str) -> list[str]:
    client = other_client(server, user)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
        return [
            data[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip() for data in fetched.values()
        ]
    finally:
        client.logout()


def write_config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
