"""An in-process SMTP submission server (aiosmtpd) with TLS from trustme certificates.

Shared by the SMTP, sending, outbox and compose tests: `SmtpServer` records what it
accepts and can refuse recipients, fail or drop DATA, and go down and come back on the
same port (`stop()` / `start_again()`).
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tui_mail.config import AccountConfig, ServerConfig

USER, PASSWORD, TOKEN = "sender@example.test", "s3cret-pa55", "ya29.token-value"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: bytes | None


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps what it accepts; can refuse, fail or drop on request."""

    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    fail_data: int = 0
    """Answer the next N DATA commands with a temporary failure (451)."""
    drop_data: int = 0
    """Cut the connection instead of answering the next N DATA commands."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.fail_data:
            self.fail_data -= 1
            return "451 4.3.0 Temporary failure, try again later"
        if self.drop_data:
            self.drop_data -= 1
            assert server.transport is not None
            server.transport.abort()
            return "421 gone"
        data = envelope.original_content or b""
        with self.lock:
            self.messages.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), data,
                         getattr(session.auth_data, "login", None))
            )  # fmt: skip
        return "250 2.0.0 Ok: queued"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """RFC-less but universal: base64("user=U\\x01auth=Bearer T\\x01\\x01")."""
        decoded = base64.b64decode(args[1]).decode()
        fields = dict(part.split("=", 1) for part in decoded.split("\x01") if part)
        ok = fields.get("user") == USER and fields.get("auth") == f"Bearer {TOKEN}"
        return AuthResult(success=ok, handled=False, auth_data=LoginPassword(USER.encode(), b""))


def authenticator(users: dict[str, str]) -> Any:
    """aiosmtpd's password check against `users` (login -> password)."""

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        # handled=False: aiosmtpd then answers 535 itself (its default, True, answers nothing)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return authenticate


Mode = Literal["starttls", "tls", "plain"]


class SmtpServer:
    """An aiosmtpd server on a free loopback port, in a thread of its own."""

    def __init__(
        self, ca: trustme.CA, mode: Mode = "starttls", *, offer_auth: bool = True,
        data_size_limit: int = 10 * 1024 * 1024, users: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.mode = mode
        self.recorder = Recorder()
        self.port = free_port()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        kwargs: dict[str, Any] = {"data_size_limit": data_size_limit}
        if offer_auth:
            self.users = dict(users or {USER: PASSWORD})
            kwargs.update(authenticator=authenticator(self.users), auth_require_tls=mode != "plain")
        if mode == "starttls":
            kwargs["tls_context"] = context
        self._settings = dict(ssl_context=context if mode == "tls" else None, **kwargs)
        self.controller = self._controller()

    def _controller(self) -> Controller:
        return Controller(self.recorder, hostname="127.0.0.1", port=self.port, **self._settings)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def stop(self) -> None:
        """The server goes down (connections to its port are refused) ..."""
        self.controller.stop()

    def start_again(self) -> None:
        """... and comes back on the same port, keeping what it received."""
        self.controller = self._controller()
        self.controller.start()

    @property
    def messages(self) -> list[Received]:
        return self.recorder.messages

    def server_config(self) -> ServerConfig:
        return ServerConfig("localhost", self.port, "tls" if self.mode == "tls" else self.mode)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def new_ca(directory: Path) -> tuple[trustme.CA, Path]:
    """A fresh CA and its certificate as a PEM file in `directory` (for ca_file)."""
    ca = trustme.CA()
    pem = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return ca, pem


def smtp_account(server: SmtpServer, ca_file: Path | None, **changes: Any) -> AccountConfig:
    settings: dict[str, Any] = {
        "name": "out", "email": USER, "display_name": "Sénder Ünïcode",
        "password_command": f"echo {PASSWORD}", "ca_file": ca_file,
        "smtp": server.server_config(),
    }  # fmt: skip
    settings.update(changes)
    return AccountConfig(**settings)
