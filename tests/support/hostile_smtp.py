"""A dripping or silent SMTP server for deadline tests (the normal cases use aiosmtpd, in
tests/support/smtp.py, which cannot be made to misbehave at the byte level).

`HostileSmtp` listens on 127.0.0.1 (port 0, plaintext) and speaks just enough SMTP
(EHLO, MAIL, RCPT, DATA, RSET, QUIT) to accept a message, except that:

- `drip`: every reply goes out one byte every `drip` seconds, so each reply is slow but
  none waits long for its next byte;
- `silent_after_data`: the message is read to its final dot, then never answered.
"""

from __future__ import annotations

import socketserver
import time
from dataclasses import dataclass, field

from tests.support.loopback_server import LoopbackServer, OwnedServer


@dataclass
class SmtpScript:
    drip: float | None = None
    silent_after_data: bool = False


@dataclass
class SmtpSeen:
    commands: list[str] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)


class _Connection(socketserver.StreamRequestHandler):
    server: OwnedServer

    def send(self, data: bytes) -> None:
        drip = self.server.owner.script.drip
        for piece in [bytes([b]) for b in data] if drip else [data]:
            self.wfile.write(piece)
            self.wfile.flush()
            if drip:
                time.sleep(drip)

    def handle(self) -> None:
        owner = self.server.owner
        with owner.lock:
            owner.sockets.append(self.request)
        try:
            self.send(b"220 hostile ESMTP\r\n")
            while line := self.rfile.readline(4096):
                verb = line.split(b" ", 1)[0].strip().upper().decode("ascii", "replace")
                with owner.lock:
                    owner.seen.commands.append(verb)
                if verb == "EHLO":
                    self.send(b"250-hostile\r\n250 8BITMIME\r\n")
                elif verb == "DATA":
                    self.send(b"354 go ahead\r\n")
                    message = b"".join(iter(lambda: self.rfile.readline(65536), b".\r\n"))
                    with owner.lock:
                        owner.seen.messages.append(message)
                    if owner.script.silent_after_data:
                        while self.request.recv(4096):
                            pass
                        return
                    self.send(b"250 queued\r\n")
                elif verb == "QUIT":
                    self.send(b"221 bye\r\n")
                    return
                else:
                    self.send(b"250 ok\r\n")
        except OSError:
            return


class HostileSmtp(LoopbackServer):
    """The server; use as a context manager."""

    def __init__(self, script: SmtpScript) -> None:
        super().__init__(_Connection)
        self.script = script
        self.seen = SmtpSeen()
