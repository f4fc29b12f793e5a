"""How discovery reaches servers: name and port maps for tests, verified TLS always.

Production uses the identity maps and the system CAs. Tests point names and well-known
ports at loopback servers (like curl's --resolve) and add their CA; nothing is weakened:
TLS is still verified against the name that was asked for.
"""

from __future__ import annotations

import http.client
import imaplib
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from tui_mail.core.net import connect
from tui_mail.core.net.tls import client_context

HTTP_MAX_BYTES = 256 * 1024
"""An autoconfig document is a few KB; anything this big is not one."""
_MAX_REDIRECTS = 3


class FetchFailed(Exception):
    """An HTTPS fetch gave nothing usable; the message says why, for the steps trail."""


@dataclass(frozen=True)
class Network:
    """Where connections go and which CAs are trusted."""

    address_map: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Host name -> address to connect to instead (TLS still checks the host name)."""
    port_map: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    """Well-known port -> port to connect to instead."""
    ca_file: Path | None = None
    """A PEM file of extra CAs to trust, like an account's ca_file."""
    timeout: float = 5.0
    """Seconds for each connect and each read."""

    def connect(self, host: str, port: int, timeout: float | None = None) -> socket.socket:
        address = (self.address_map.get(host.lower(), host), self.port_map.get(port, port))
        return socket.create_connection(address, timeout=timeout or self.timeout)

    def tls_context(self) -> ssl.SSLContext:
        return client_context(self.ca_file)

    def fetch_https(self, url: str) -> bytes:
        """GET `url` over verified HTTPS, following a few https-only redirects."""
        for _ in range(_MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname:
                raise FetchFailed(f"refused to follow a redirect to a non-https URL {url!r}")
            status, location, body = self._get(parts.hostname, parts.port or 443, url)
            if status in (301, 302, 303, 307, 308) and location:
                url = location if "://" in location else f"https://{parts.netloc}{location}"
                continue
            if status != 200:
                raise FetchFailed(f"HTTP {status}")
            return body
        raise FetchFailed("too many redirects")

    def _get(self, host: str, port: int, url: str) -> tuple[int, str | None, bytes]:
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        context = self.tls_context()
        connection = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=context)
        try:
            try:
                raw = self.connect(host, port)
            except OSError as error:
                raise FetchFailed(_socket_problem(error)) from None
            try:
                connection.sock = context.wrap_socket(raw, server_hostname=host)
            except (ssl.SSLError, OSError) as error:
                raw.close()
                raise FetchFailed(_socket_problem(error)) from None
            try:
                connection.request(
                    "GET", target, headers={"Accept": "application/xml, text/xml",
                                            "User-Agent": "tui-mail"}
                )  # fmt: skip
                response = connection.getresponse()
                body = response.read(HTTP_MAX_BYTES + 1)
            except (OSError, http.client.HTTPException) as error:
                raise FetchFailed(_socket_problem(error)) from None
            if len(body) > HTTP_MAX_BYTES:
                raise FetchFailed(f"the answer is larger than {HTTP_MAX_BYTES // 1024} KB")
            return response.status, response.getheader("Location"), body
        finally:
            connection.close()

    # Protocol clients whose sockets go through the maps (core/net/connect.py).

    def imap_client(self, host: str, port: int, *, implicit_tls: bool) -> imaplib.IMAP4:
        return connect.imap_client(
            host, port, self.tls_context(), implicit_tls=implicit_tls, timeout=self.timeout,
            dial=self.connect,
        )  # fmt: skip

    def smtp_client(self, host: str, port: int, *, implicit_tls: bool) -> smtplib.SMTP:
        return connect.smtp_client(
            host, port, self.tls_context(), implicit_tls=implicit_tls, timeout=self.timeout,
            dial=self.connect,
        )  # fmt: skip


def _socket_problem(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate not trusted ({error.verify_message})"
    if isinstance(error, socket.gaierror):
        return "no such host"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "timed out"
    text = str(error).strip() or type(error).__name__
    return text[:200]
