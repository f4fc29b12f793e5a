"""Bounds on what an IMAP server can make the client do: time, memory, nesting.

A read timeout alone does not bound anything: a server that sends one byte every 20 s
never trips a 60 s timeout, and imaplib reads a literal of whatever size the server
announces into one buffer. So every connection gets:

- a `Watchdog`: each command (or phase: connecting, logging in) runs under a deadline; when
  it passes, the watchdog shuts the socket from its own thread, the blocked read returns
  at once, and the session reports a timeout. Streams (a big FETCH) push the deadline on
  with each complete message, so a slow but working server is not cut off.
- caps in the connection's `readline` and `read` (the two calls imaplib and fetch_stream
  read through): a line longer than `LINE_CAP`, a literal above the connection's
  `literal_cap`, or parentheses nested deeper than `NESTING_CAP` (imapclient's parser
  recurses per level) end the connection with a sentence instead of a MemoryError or a
  RecursionError. Large literals are read in pieces, so memory grows only with what
  actually arrives, not with what the server announced.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any, Final

import imapclient
from imapclient import imap4, tls
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, ProtocolError

from tui_mail.core.errors import ConnectionFailed, ServerError, ServerMisbehaved, ServerTimeout
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.net.deadline import stalled
from tui_mail.core.net.watchdog import Watchdog

log = logging.getLogger(__name__)

LINE_CAP: Final = 1_000_000
"""Longest line accepted (imaplib's own _MAXLINE): IMAP sends big data as literals."""
METADATA_LITERAL_CAP: Final = 1024 * 1024
"""Largest literal in answers other than FETCH (folder names, LIST, STATUS, SEARCH)."""
HEADER_LITERAL_CAP: Final = 8 * 1024 * 1024
"""Largest header section sync accepts for one message."""
MESSAGE_LITERAL_CAP: Final = 100 * 1024 * 1024
"""Largest whole message read into memory."""
NESTING_CAP: Final = 100
"""Deepest parentheses accepted; a BODYSTRUCTURE needs a few levels per MIME level."""
ANSWER_CAP: Final = MESSAGE_LITERAL_CAP + 16 * 1024 * 1024
"""Most bytes one answer may hold (a FETCH stream: one message), lines and literals."""
_PIECE: Final = 1024 * 1024


def nesting_depth(line: bytes) -> int:
    """The deepest parenthesis level in `line`, outside quoted strings."""
    depth = deepest = 0
    quoted = escaped = False
    for byte in line:
        if quoted:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                quoted = False
        elif byte == 0x22:
            quoted = True
        elif byte == 0x28:
            depth += 1
            deepest = max(deepest, depth)
        elif byte == 0x29:
            depth = max(0, depth - 1)
    return deepest


def human_size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"


class _Guarded:
    """Mixed into imaplib's IMAP4 classes: the socket goes to the watchdog, reads are capped."""

    _watchdog: Watchdog
    literal_cap: int = METADATA_LITERAL_CAP
    host: str
    file: Any

    def _guarded_socket(self, sock: socket.socket) -> socket.socket:
        self._watchdog.attach(sock)
        return sock

    def readline(self) -> bytes:
        line: bytes = self.file.readline(LINE_CAP + 1)
        self._count(len(line))
        if len(line) > LINE_CAP:
            raise ServerMisbehaved(
                f"The server at {self.host} sent a line of more than {LINE_CAP:,} bytes "
                "without ending it, which no IMAP answer needs; the connection was closed. "
                "Try again later; if it keeps happening, the server is broken."
            )
        if line.count(b"(") > NESTING_CAP and nesting_depth(line) > NESTING_CAP:
            raise ServerMisbehaved(
                f"The server at {self.host} sent parentheses nested more than {NESTING_CAP} "
                "deep, which no IMAP answer needs; the connection was closed. Try again later; "
                "if it keeps happening, the server is broken."
            )
        return line

    def _count(self, size: int) -> None:
        # Endless untagged lines would pile up in imaplib's untagged_responses.
        self._watchdog.received += size
        if self._watchdog.received > ANSWER_CAP:
            raise ServerMisbehaved(
                f"The server at {self.host} sent more than {human_size(ANSWER_CAP)} in one answer; "
                "the connection was closed. Try again later; if it keeps happening, the "
                "server is broken."
            )

    def read(self, size: int) -> bytes:
        if size > self.literal_cap:
            raise ServerMisbehaved(
                f"The server at {self.host} announced {human_size(size)} of data in one answer, "
                f"more than the {human_size(self.literal_cap)} this client accepts there; the "
                "connection was closed. Try again later; if it keeps happening, the server "
                "is broken."
            )
        self._count(size)
        if size <= _PIECE:
            data: bytes = self.file.read(size)
            return data
        # In pieces: a server that announces much and sends little costs little.
        pieces: list[bytes] = []
        left = size
        while left > 0:
            piece: bytes = self.file.read(min(left, _PIECE))
            if not piece:
                break
            pieces.append(piece)
            left -= len(piece)
            self._watchdog.extend()
        return b"".join(pieces)


class _GuardedPlain(_Guarded, imap4.IMAP4WithTimeout):  # type: ignore[misc]
    def __init__(self, watchdog: Watchdog, host: str, port: int, timeout: float | None) -> None:
        self._watchdog = watchdog
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return self._guarded_socket(super()._create_socket(timeout))


class _GuardedTls(_Guarded, tls.IMAP4_TLS):  # type: ignore[misc]
    def __init__(
        self, watchdog: Watchdog, host: str, port: int, context: Any, timeout: float | None
    ) -> None:
        self._watchdog = watchdog
        super().__init__(host, port, context, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        # The TCP socket is covered during the handshake, so a stalled handshake ends too.
        sock = socket.create_connection(
            (self.host, self.port), timeout=timeout if timeout is not None else self._timeout
        )
        with self._watchdog.covering(sock):
            return self._guarded_socket(tls.wrap_socket(sock, self.ssl_context, self.host))


class GuardedClient(imapclient.IMAPClient):  # type: ignore[misc]
    """IMAPClient over a guarded imaplib connection (see the module docstring)."""

    def __init__(self, watchdog: Watchdog, host: str, **kwargs: Any) -> None:
        self.watchdog = watchdog
        super().__init__(host, **kwargs)

    def _create_IMAP4(self) -> Any:
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _GuardedTls(
                self.watchdog, self.host, self.port, self.ssl_context, connect_timeout
            )
        return _GuardedPlain(self.watchdog, self.host, self.port, connect_timeout)

    def starttls(self, ssl_context: Any = None) -> Any:
        # Without `covering`, only the socket timeout (the read timeout) ends a handshake.
        with self.watchdog.covering(self._imap.sock):
            answer = super().starttls(ssl_context)
            self.watchdog.attach(self._imap.sock)
        return answer


def timed_out(host: str, watchdog: Watchdog) -> ServerTimeout:
    """The sentence for a deadline the server overran (the same for every protocol)."""
    return stalled(host, watchdog.expired or "the command", watchdog.seconds_given)


@contextlib.contextmanager
def guarded(
    watchdog: Watchdog, host: str, what: str, seconds: float, on_broken: Callable[[], None]
) -> Iterator[None]:
    """Run one command (or phase) under a deadline, turning every way the server can fail
    it into one of our errors: a refusal (NO/BAD) stays a ServerError on a usable
    connection; anything else closes the connection (`on_broken`) and says what happened."""
    watchdog.arm(what, seconds)
    try:
        yield
    except ServerError:
        raise
    except ConnectionFailed:
        on_broken()
        if watchdog.expired:
            raise timed_out(host, watchdog) from None
        raise
    except (IMAPClientAbortError, OSError) as error:
        on_broken()
        if watchdog.expired:
            raise timed_out(host, watchdog) from None
        if "unexpected response" in str(error):
            raise ServerMisbehaved(
                f"The server at {host} sent an answer to {what} that is not IMAP "
                f"({server_text(error)}); the connection was closed. Try again later; if it "
                "keeps happening, the server is broken."
            ) from None
        raise ConnectionFailed(
            f"The connection to {host} was lost during {what}: {server_text(error)}. "
            "Try again later."
        ) from None
    except _UNUSABLE as error:
        on_broken()
        raise _not_imap(host, what, error) from None
    except IMAPClientError as error:
        if watchdog.expired:
            on_broken()
            raise timed_out(host, watchdog) from None
        raise ServerError(refusal(what, server_text(error))) from None
    finally:
        watchdog.disarm()


_UNUSABLE = (ProtocolError, ValueError, KeyError, IndexError, TypeError, RecursionError)
"""What parsing an answer raises when it is not the IMAP it should be."""


def _not_imap(host: str, what: str, error: BaseException) -> ServerMisbehaved:
    log.debug("unusable answer to %s", what, exc_info=error)
    return ServerMisbehaved(
        f"The server at {host} sent an answer to {what} that is not valid IMAP "
        f"({type(error).__name__}); the connection was closed. Try again later; if it "
        "keeps happening, the server is broken."
    )


@contextlib.contextmanager
def parsing(host: str, what: str, on_broken: Callable[[], None]) -> Iterator[None]:
    """Turning an answer already read into our types: what does not fit is the server's
    fault (a missing UIDVALIDITY, a malformed STATUS), said as such, not a crash."""
    try:
        yield
    except _UNUSABLE as error:
        on_broken()
        raise _not_imap(host, what, error) from None


def server_text(error: BaseException) -> str:
    """What the server said, as one safe line of text: imaplib puts bytes reprs and its own
    "command: X =>" prefix in its messages, and the server's words may hold escapes."""
    text = str(error)
    if text.startswith("command: ") and " => " in text:
        text = text.split(" => ", 1)[1]
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    text = sanitize_line(text.strip())
    if len(text) > 200:
        text = text[:200] + "..."
    return text or error.__class__.__name__


def refusal(what: str, text: str) -> str:
    """One sentence: servers end their own text with a period ("..server.." otherwise)."""
    return f"The server refused {what}: {text.strip().rstrip('.').strip()}."
