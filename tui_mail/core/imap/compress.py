"""COMPRESS=DEFLATE (RFC 4978): the command connection's traffic as raw deflate both ways.

Headers are text that repeats (the same names, addresses, dates from message to message), so
a folder's header FETCH shrinks several times over: on a phone tether that is the difference
between seconds and minutes. imapclient has no COMPRESS, but it talks through imaplib, which
reads through `imap.file` (a buffered file over the socket) and writes through `imap.send`;
after the server's tagged OK both are replaced on that one connection:

- reads: a `BufferedReader` over `_Inflating`, which takes compressed bytes from the socket
  (the TLS socket: compression goes inside TLS) and hands out inflated ones, never more
  than the reader asked for at once, so a small answer that inflates to gigabytes costs no
  more memory than a large one would (the caps in guard.py still see every byte);
- writes: each `send` deflates and ends with Z_SYNC_FLUSH, so the server can read the whole
  command at once (without the flush it could sit in the compressor and both sides wait).

The socket itself stays imaplib's: the watchdog shuts it, read timeouts apply to it, TLS
lives in it. What no longer holds is "the socket is readable exactly when a line can be
read": inflated data may wait in Python's buffer while the socket has nothing, and one
compressed packet may hold no whole line. Only the command connection (ImapBackend, and the
doctor's login) is compressed: the IDLE watchers wait with poll() on the socket (imapclient's
idle_check) and move a few hundred bytes an hour, so they would gain nothing and could sleep
through an announcement already inflated. A server that refuses (NO/BAD) leaves the
connection as it was: the session carries on uncompressed and says so in the log.
"""

from __future__ import annotations

import io
import logging
import socket
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Final

from tui_mail.core.errors import ConnectionFailed, ServerMisbehaved

log = logging.getLogger(__name__)

COMPRESS_DEFLATE: Final = "COMPRESS=DEFLATE"
WBITS: Final = -15
"""Raw deflate: no zlib header or checksum (RFC 4978 section 4)."""
SEND_LEVEL: Final = 6
"""What we send is commands of a few dozen bytes (and APPENDed messages): zlib's default
level costs nothing noticeable there. How hard the server compresses is its own setting."""
_BUFFER: Final = 64 * 1024
"""Read size: one recv() of compressed data feeds several reads of inflated lines."""


@dataclass(slots=True)
class Deflate:
    """The counts of a compressed connection (inflated vs. on the wire), for the doctor."""

    received_wire: int = 0
    received_plain: int = 0
    sent_wire: int = 0
    sent_plain: int = 0

    @property
    def ratio(self) -> float | None:
        """How many times smaller what arrived was on the wire; None before any data."""
        if not self.received_wire or not self.received_plain:
            return None
        return self.received_plain / self.received_wire


class _Inflating(io.RawIOBase):
    """Inflated bytes from a socket carrying raw deflate: the raw layer of imap.file."""

    def __init__(self, sock: socket.socket, counts: Deflate) -> None:
        super().__init__()
        self._sock = sock
        self._counts = counts
        self._inflate = zlib.decompressobj(WBITS)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = len(buffer)
        if want == 0:
            return 0
        while True:
            tail = self._inflate.unconsumed_tail
            if tail:  # what the last call left for want of room
                data = self._inflated(tail, want)
            elif self._inflate.eof:  # the server ended its stream: nothing more can come
                return 0
            else:
                chunk = self._sock.recv(max(want, _BUFFER))
                if not chunk:
                    return 0
                self._counts.received_wire += len(chunk)
                data = self._inflated(chunk, want)
            if data:
                size = len(data)
                buffer[:size] = data
                self._counts.received_plain += size
                return size
            # A packet ending inside a deflate block inflates to nothing yet: read on.

    def _inflated(self, data: bytes, most: int) -> bytes:
        try:
            return self._inflate.decompress(data, most)
        except zlib.error as error:
            raise ServerMisbehaved(
                f"The IMAP server's compressed data is damaged ({error}); the connection was "
                "closed. Try again; if it keeps happening, set compress = false for this "
                "account."
            ) from None


class _Deflating:
    """imap.send for a compressed connection: deflate, sync-flush, send it all."""

    def __init__(self, sock: socket.socket, counts: Deflate) -> None:
        self._sock = sock
        self._counts = counts
        self._deflate = zlib.compressobj(SEND_LEVEL, zlib.DEFLATED, WBITS)

    def send(self, data: bytes) -> None:
        packed = self._deflate.compress(data) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        self._counts.sent_plain += len(data)
        self._counts.sent_wire += len(packed)
        self._sock.sendall(packed)


def supported(imap: Any) -> bool:
    """Whether this imaplib lets the read side be replaced: Python 3.14 made `file` a
    read-only property over a buffer of its own, so COMPRESS is not even asked for there."""
    return not isinstance(getattr(type(imap), "file", None), property)


def start_deflate(
    imap: Any, guard: Callable[[str], AbstractContextManager[None]], host: str
) -> Deflate | None:
    """Ask for COMPRESS DEFLATE on imapclient's imaplib connection `imap` (logged in, with
    nothing outstanding) and, on OK, switch both directions; returns the counts, or None
    when the server refused (the connection then goes on uncompressed)."""
    if not supported(imap):
        log.info("COMPRESS=DEFLATE not used: this Python's imaplib cannot be wrapped")
        return None
    tag: bytes = imap._new_tag()
    imap.tagged_commands.pop(tag, None)  # we read this tag's completion ourselves
    sock: socket.socket = imap.sock
    buffered = imap.file
    # The answer is read a byte at a time: whatever follows the tagged OK is compressed and
    # must not be swallowed by a read-ahead buffer as plain text. (Nothing is outstanding,
    # so the old buffer holds nothing.)
    imap.file = sock.makefile("rb", buffering=0)
    try:
        with guard("COMPRESS"):
            imap.send(tag + b" COMPRESS DEFLATE\r\n")
            while True:
                line: bytes = imap.readline()
                if not line:
                    raise ConnectionFailed("The IMAP server closed the connection.")
                if line.startswith(tag + b" "):
                    break
        status = line[len(tag) + 1 :].strip()
    except BaseException:
        imap.file.close()
        imap.file = buffered
        raise
    if not status.startswith(b"OK"):
        imap.file.close()
        imap.file = buffered
        said = status.decode("utf-8", "replace")[:200]
        log.warning("%s refused COMPRESS DEFLATE (%s): going on uncompressed", host, said)
        return None
    counts = Deflate()
    unbuffered, imap.file = imap.file, io.BufferedReader(_Inflating(sock, counts), _BUFFER)
    # Each makefile() holds a reference that keeps the socket open past imaplib's close().
    unbuffered.close()
    buffered.close()
    imap.send = _Deflating(sock, counts).send
    log.info("%s: COMPRESS=DEFLATE in use", host)
    return counts
