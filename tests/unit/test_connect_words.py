"""The sentences the IMAP, POP3 and SMTP sessions say when a connection fails, now from one
place (core/net/connect.py): each is pinned here word for word, as the sessions said it
before they shared it."""

from __future__ import annotations

import socket
import ssl

import pytest

from tui_mail.config import ServerConfig
from tui_mail.core.errors import ConnectionFailed, TlsError
from tui_mail.core.net.connect import (
    cannot_resolve,
    no_greeting,
    open_failure,
    refused,
    starttls_missing,
)

IMAP = ServerConfig("imap.example.org", 993, "tls")
POP3 = ServerConfig("pop.example.org", 110, "starttls")


def test_no_such_host() -> None:
    assert str(cannot_resolve("IMAP", "imap.example.org")) == (
        "Cannot resolve the IMAP host 'imap.example.org': check imap.host in your config "
        "and your network."
    )
    assert str(cannot_resolve("SMTP", "smtp.example.org")) == (
        "Cannot resolve the SMTP host 'smtp.example.org': check smtp.host in your config "
        "and your network."
    )


def test_refused_names_the_ports_usual_first() -> None:
    assert str(refused("IMAP", "h:993")) == (
        "h:993 refused the connection: check imap.port (993 for TLS, 143 for STARTTLS) and "
        "that the server is running."
    )
    assert str(refused("POP3", "h:995")) == (
        "h:995 refused the connection: check pop3.port (995 for TLS, 110 for STARTTLS) and "
        "that the server is running."
    )
    assert str(refused("SMTP", "h:587")) == (
        "h:587 refused the connection: check smtp.port (587 for STARTTLS, 465 for TLS) and "
        "that the server is running."
    )


def test_no_greeting() -> None:
    assert str(no_greeting("POP3", "h:110", 10)) == (
        "No POP3 greeting from h:110 within 10 s. The host may be unreachable, or the port "
        'expects TLS first (security = "tls" on 995).'
    )


def test_no_starttls() -> None:
    error = starttls_missing("IMAP", "h:143")
    assert isinstance(error, TlsError)
    assert str(error) == (
        'h:143 does not offer STARTTLS, and this account requires it (security = "starttls"). '
        'Refusing to continue unencrypted. Check the port: 993 means security = "tls".'
    )
    assert str(starttls_missing("POP3", "h:110", "STLS")).startswith("h:110 does not offer STLS,")


@pytest.mark.parametrize(
    ("error", "kind", "start"),
    [
        (socket.gaierror(-2, "Name or service not known"), ConnectionFailed, "Cannot resolve"),
        (ConnectionRefusedError(111, "refused"), ConnectionFailed, "imap.example.org:993 refused"),
        (TimeoutError("timed out"), ConnectionFailed, "No IMAP greeting from"),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), TlsError, "TLS "),
        (OSError(101, "Network is unreachable"), ConnectionFailed, "Cannot connect to"),
    ],
)
def test_open_failure_says_what_went_wrong(
    error: BaseException, kind: type[Exception], start: str
) -> None:
    said = open_failure(error, "IMAP", IMAP, 30, "as the library words it")
    assert isinstance(said, kind)
    assert str(said).startswith(start)


def test_open_failure_otherwise_gives_the_librarys_words() -> None:
    said = open_failure(OSError("odd"), "POP3", POP3, 30, "odd, says poplib")
    assert str(said) == "Cannot connect to pop.example.org:110: odd, says poplib."
