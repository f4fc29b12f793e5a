"""Reaching a mail server: the steps and the words that discovery, the doctor and the
sessions share.

- For the probes (discovery's guesses, the doctor's checks), which speak through the
  stdlib's imaplib and smtplib: a TCP connect with a timeout through a `Dial` (tests point
  names and ports at loopback servers, like curl's --resolve), TLS from the first byte or
  STARTTLS, verified with the caller's context (core/net/tls.py), and a quiet close.
- For the sessions (IMAP, POP3, SMTP), which speak through their own libraries: the one
  sentence for each way a connection can fail before the server says anything useful
  (no such host, refused, no greeting, no STARTTLS), so that the three say it alike.
"""

from __future__ import annotations

import contextlib
import imaplib
import smtplib
import socket
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from tui_mail.core.errors import ConnectionFailed, TlsError, TuiMailError
from tui_mail.core.net.tls import explain_tls_failure

if TYPE_CHECKING:
    from tui_mail.config import ServerConfig

Dial = Callable[[str, int, "float | None"], socket.socket]
"""Opens a TCP connection to (host, port) within the timeout."""

ProtocolName = Literal["IMAP", "POP3", "SMTP"]

_TLS_PORT: dict[ProtocolName, int] = {"IMAP": 993, "POP3": 995, "SMTP": 465}
_PORT_ADVICE: dict[ProtocolName, str] = {  # the protocol's usual port first
    "IMAP": "993 for TLS, 143 for STARTTLS",
    "POP3": "995 for TLS, 110 for STARTTLS",
    "SMTP": "587 for STARTTLS, 465 for TLS",
}


def tcp_connect(host: str, port: int, timeout: float | None) -> socket.socket:
    """The plain Dial: the system resolver, then a TCP connect within `timeout`."""
    return socket.create_connection((host, port), timeout=timeout)


# -- the probes: stdlib clients -----------------------------------------------------------


class NoStartTls(Exception):
    """The server does not offer STARTTLS; the caller says so in its own words."""


def imap_client(
    host: str,
    port: int,
    context: ssl.SSLContext,
    *,
    implicit_tls: bool,
    timeout: float,
    dial: Dial = tcp_connect,
) -> imaplib.IMAP4:
    """An imaplib client whose socket comes from `dial`, TLS from the first byte when
    `implicit_tls` (else plaintext until start_tls)."""
    if implicit_tls:

        class _DialedImapTls(imaplib.IMAP4_SSL):
            def _create_socket(self, timeout: float | None) -> socket.socket:
                raw = dial(self.host, self.port, timeout)
                return context.wrap_socket(raw, server_hostname=self.host)

        return _DialedImapTls(host, port, ssl_context=context, timeout=timeout)

    class _DialedImap(imaplib.IMAP4):
        def _create_socket(self, timeout: float | None) -> socket.socket:
            return dial(self.host, self.port, timeout)

    return _DialedImap(host, port, timeout=timeout)


def smtp_client(
    host: str,
    port: int,
    context: ssl.SSLContext,
    *,
    implicit_tls: bool,
    timeout: float,
    dial: Dial = tcp_connect,
) -> smtplib.SMTP:
    """An smtplib client (greeted, not yet EHLO'd) whose socket comes from `dial`."""
    if implicit_tls:

        class _DialedSmtpTls(smtplib.SMTP_SSL):
            def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
                raw = dial(host, port, timeout)
                return context.wrap_socket(raw, server_hostname=host)

        return _DialedSmtpTls(host, port, timeout=timeout, context=context)

    class _DialedSmtp(smtplib.SMTP):
        def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
            return dial(host, port, timeout)

    return _DialedSmtp(host, port, timeout=timeout)


def start_tls(client: imaplib.IMAP4 | smtplib.SMTP, context: ssl.SSLContext) -> None:
    """Upgrade a plaintext client with STARTTLS (an SMTP client after its EHLO); NoStartTls
    when the server does not offer it, for nothing is sent unencrypted by accident."""
    if isinstance(client, imaplib.IMAP4):
        if "STARTTLS" not in client.capabilities:
            raise NoStartTls
        client.starttls(context)
        return
    if not client.has_extn("starttls"):
        raise NoStartTls
    client.starttls(context=context)


def close_quietly(client: imaplib.IMAP4 | smtplib.SMTP) -> None:
    """LOGOUT or QUIT, else just close the socket; closing never fails the caller."""
    try:
        if isinstance(client, imaplib.IMAP4):
            client.logout()
        else:
            client.quit()
    except Exception:  # a server gone mid-goodbye: the socket is all that is left
        with contextlib.suppress(Exception):
            if isinstance(client, imaplib.IMAP4):
                client.shutdown()
            else:
                client.close()


# -- the sessions: the words for a connection that failed ---------------------------------


def cannot_resolve(protocol: ProtocolName, host: str) -> ConnectionFailed:
    setting = protocol.lower()
    return ConnectionFailed(
        f"Cannot resolve the {protocol} host {host!r}: check {setting}.host in your config "
        "and your network."
    )


def refused(protocol: ProtocolName, where: str) -> ConnectionFailed:
    return ConnectionFailed(
        f"{where} refused the connection: check {protocol.lower()}.port "
        f"({_PORT_ADVICE[protocol]}) and that the server is running."
    )


def no_greeting(protocol: ProtocolName, where: str, seconds: float) -> ConnectionFailed:
    return ConnectionFailed(
        f"No {protocol} greeting from {where} within {seconds:.0f} s. The host may be "
        f'unreachable, or the port expects TLS first (security = "tls" on {_TLS_PORT[protocol]}).'
    )


def starttls_missing(protocol: ProtocolName, where: str, command: str = "STARTTLS") -> TlsError:
    """A server that does not offer STARTTLS (POP3: STLS) to an account that requires it."""
    return TlsError(
        f"{where} does not offer {command}, and this account requires it "
        '(security = "starttls"). Refusing to continue unencrypted. Check the '
        f'port: {_TLS_PORT[protocol]} means security = "tls".'
    )


def open_failure(
    error: BaseException, protocol: ProtocolName, server: ServerConfig, seconds: float, detail: str
) -> TuiMailError:
    """What to say when opening the connection (up to the greeting and any STARTTLS)
    failed with `error`; `detail` is the error as the caller's library words it."""
    where = f"{server.host}:{server.port}"
    if isinstance(error, ssl.SSLError):
        return explain_tls_failure(error, server.host, server.port, server.security)
    if isinstance(error, socket.gaierror):
        return cannot_resolve(protocol, server.host)
    if isinstance(error, ConnectionRefusedError):
        return refused(protocol, where)
    if isinstance(error, TimeoutError):
        return no_greeting(protocol, where, seconds)
    return ConnectionFailed(f"Cannot connect to {where}: {detail}.")
