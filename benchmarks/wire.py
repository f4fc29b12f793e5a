"""The floor: what the server and the TLS socket cost with no client logic at all.

``wire_fetch`` asks for the same header fields a client needs for its list, over a raw
TLS socket, and reads until the tagged OK without parsing anything.  No client can open
a folder's full header list faster than this; the others are compared with it.
"""

from __future__ import annotations

import contextlib
import imaplib
import socket
import ssl
import time
from dataclasses import dataclass

from benchmarks.clients import HOST
from benchmarks.fixture import Mailbox
from tests.support.dovecot import make_message

HEADER_FETCH = (
    b"UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID "
    b"IN-REPLY-TO REFERENCES CONTENT-TYPE)])"
)


@dataclass(frozen=True)
class WireFetch:
    seconds: float
    received: int


class _RawImap:
    def __init__(self, port: int, context: ssl.SSLContext) -> None:
        raw = socket.create_connection((HOST, port), timeout=60)
        self.sock = context.wrap_socket(raw, server_hostname=HOST)
        self._counter = 0
        self._read_until(b"\r\n")  # greeting

    def _read_until(self, terminator: bytes) -> int:
        """Read until the data ends with ``terminator``; returns the bytes read."""
        tail = b""
        total = 0
        while not tail.endswith(terminator):
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            total += len(chunk)
            tail = (tail + chunk)[-4096:]
        return total

    def command(self, line: bytes) -> int:
        """Send one command and read through its tagged response; returns bytes read."""
        self._counter += 1
        tag = b"B%d" % self._counter
        self.sock.sendall(tag + b" " + line + b"\r\n")
        # The tagged line is the last one; check for it at each line end only.
        total = 0
        tail = b""
        while True:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            total += len(chunk)
            tail = (tail + chunk)[-4096:]
            if tail.endswith(b"\r\n"):
                previous_end = tail.rfind(b"\r\n", 0, len(tail) - 2)
                last_line = tail[previous_end + 2 :] if previous_end >= 0 else tail
                if last_line.startswith(tag + b" "):
                    if not last_line.startswith(tag + b" OK"):
                        raise RuntimeError(f"{line[:40]!r} failed: {last_line!r}")
                    return total

    def close(self) -> None:
        self.sock.close()


def wire_fetch(mailbox: Mailbox, port: int, context: ssl.SSLContext) -> WireFetch:
    """Time ``UID FETCH 1:* (...headers...)`` of the mailbox's INBOX on a raw socket."""
    user = mailbox.user
    imap = _RawImap(port, context)
    try:
        imap.command(b"LOGIN " + _quoted(user.name) + b" " + _quoted(user.password))
        imap.command(b"EXAMINE INBOX")
        started = time.perf_counter()
        received = imap.command(HEADER_FETCH)
        seconds = time.perf_counter() - started
        imap.command(b"LOGOUT")
    finally:
        imap.close()
    return WireFetch(seconds, received)


def _quoted(text: str) -> bytes:
    return b'"' + text.encode().replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


class Appender:
    """Another client, logged in beforehand, that adds new mail on demand."""

    def __init__(self, mailbox: Mailbox, port: int, context: ssl.SSLContext) -> None:
        self._mailbox = mailbox
        self._imap = imaplib.IMAP4_SSL(HOST, port, ssl_context=context, timeout=30)
        self._imap.login(mailbox.user.name, mailbox.user.password)
        self._next = mailbox.size

    def append(self, subject: str) -> None:
        """APPEND a message newer (by date and UID) than everything in the folder."""
        message = make_message(self._next, subject=subject).replace(b"\n", b"\r\n")
        self._next += 1
        status, _ = self._imap.append("INBOX", "", None, message)
        if status != "OK":
            raise RuntimeError(f"APPEND failed: {status}")

    def close(self) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self._imap.logout()
