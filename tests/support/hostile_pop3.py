"""A dripping or stalling POP3 server, and a TLS handshake that never ends, for deadline
tests.

`HostilePop3` listens on 127.0.0.1 (port 0, plaintext) and speaks enough POP3 (CAPA, USER,
PASS, UIDL, LIST, RETR, DELE, NOOP, QUIT) over `messages` small messages, except that:

- `drip`: every reply goes out one byte every `drip` seconds (none waits long for its
  next byte, so no read timeout trips);
- `stall_at`: that command ("greeting", "RETR" ...) is never answered.

`tls_drip()` is such a server that drips a TLS handshake record one byte at a time instead
(`raw_drip`): for a client that starts TLS on connecting (IMAP on 993, POP3 on 995), the
handshake never ends.
"""

from __future__ import annotations

import contextlib
import socketserver
import time
from dataclasses import dataclass, field

from tests.support.loopback_server import LoopbackServer, OwnedServer

USER, PASSWORD = "hostile", "hostile-pa55"
HANDSHAKE_RECORD = b"\x16\x03\x03\x40\x00" + b"\x00" * 16384
"""A TLS handshake record announcing 16 KiB: OpenSSL waits for all of it."""


@dataclass
class Pop3Script:
    drip: float | None = None
    stall_at: str | None = None
    messages: int = 2
    raw_drip: bytes | None = None
    """Instead of POP3: these bytes, one every `drip` seconds (tls_drip)."""


@dataclass
class Pop3Seen:
    commands: list[str] = field(default_factory=list)


def _message(n: int) -> bytes:
    return (
        f"From: a@example.test\r\nSubject: POP {n}\r\nMessage-ID: <p{n}@x>\r\n\r\nHi.\r\n".encode()
    )


class _Connection(socketserver.StreamRequestHandler):
    server: OwnedServer

    def send(self, data: bytes) -> None:
        drip = self.server.owner.script.drip
        for piece in [bytes([b]) for b in data] if drip else [data]:
            self.wfile.write(piece)
            self.wfile.flush()
            if drip:
                time.sleep(drip)

    def stall(self) -> None:
        with contextlib.suppress(OSError):
            while self.request.recv(4096):
                pass

    def handle(self) -> None:
        owner = self.server.owner
        script = owner.script
        with owner.lock:
            owner.sockets.append(self.request)
        try:
            if script.raw_drip is not None:
                self.send(script.raw_drip)
                return
            if script.stall_at == "greeting":
                self.stall()
                return
            self.send(b"+OK hostile POP3 ready\r\n")
            while line := self.rfile.readline(4096):
                verb, _, argument = line.strip().decode("ascii", "replace").partition(" ")
                verb = verb.upper()
                with owner.lock:
                    owner.seen.commands.append(verb)
                if script.stall_at == verb:
                    self.stall()
                    return
                if not self.answer(verb, argument, script.messages):
                    return
        except OSError:
            return

    def answer(self, verb: str, argument: str, count: int) -> bool:
        if verb == "CAPA":
            self.send(b"+OK\r\nUSER\r\nUIDL\r\n.\r\n")
        elif verb == "UIDL":
            self.send(b"+OK\r\n" + b"".join(b"%d u%d\r\n" % (n, n) for n in range(1, count + 1)))
            self.send(b".\r\n")
        elif verb == "LIST":
            sizes = b"".join(b"%d %d\r\n" % (n, len(_message(n))) for n in range(1, count + 1))
            self.send(b"+OK\r\n" + sizes + b".\r\n")
        elif verb == "RETR":
            self.send(b"+OK\r\n" + _message(int(argument or 1)) + b".\r\n")
        elif verb == "QUIT":
            self.send(b"+OK bye\r\n")
            return False
        else:  # USER, PASS, NOOP, DELE
            self.send(b"+OK\r\n")
        return True


class HostilePop3(LoopbackServer):
    """The server; use as a context manager."""

    def __init__(self, script: Pop3Script) -> None:
        super().__init__(_Connection)
        self.script = script
        self.seen = Pop3Seen()


def tls_drip(every: float = 0.3) -> HostilePop3:
    """A server whose TLS handshake never ends (see the module docstring)."""
    return HostilePop3(Pop3Script(drip=every, raw_drip=HANDSHAKE_RECORD))
