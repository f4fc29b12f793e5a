"""A scriptable, misbehaving IMAP server for fault-injection tests.

`HostileImap` listens on 127.0.0.1 (port 0, TLS optional from a trustme CA) and speaks just
enough IMAP (CAPABILITY, LOGIN, ENABLE, LIST, LSUB, STATUS, SELECT/EXAMINE, FETCH and
UID FETCH, UID SEARCH, IDLE, NOOP, LOGOUT) over a small INBOX for a client to reach the
point where a `Script` tells it to misbehave:

- `stall_at`: stop answering at that point ("greeting" or a command name such as "LOGIN",
  "ENABLE", "SELECT", "LIST"); "FETCH" stalls mid-answer, after the first message.
- `drip`: from the greeting on, send one byte every `drip` seconds.
- `huge_literal`: announce a header literal of this many bytes in the first FETCH answer,
  then `literal_mode` "cut" (a little data, then close), "slow" (64 KiB per `literal_pause`)
  or "fast" (as fast as the socket takes it).
- `long_line`: answer `long_line_at` with this many bytes and no CRLF, then stall.
- `nest`: that many nested parentheses in the LIST (or FETCH, `nest_at`) answer.
- STARTTLS (offer it in `capabilities`) is always answered OK, and then the TLS handshake
  never completes: the server drips a handshake record one byte every `handshake_drip`
  seconds, each byte well inside any read timeout.
- `garbage_at` / `bye_at`: answer that command with bytes that are not IMAP, or with
  `* BYE` and a closed connection; `no_uidvalidity`: a SELECT answer missing UIDVALIDITY.

Every connection gets the same script unless `only_connection` names one (1-based), so
that for example the IDLE watcher's connection can behave while the command one stalls.
"""

from __future__ import annotations

import contextlib
import re
import socket
import socketserver
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import trustme

from tui_mail.config import AccountConfig, ServerConfig

USER, PASSWORD = "hostile@example.test", "hostile-pa55"
_FIELDS = "DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES"


@dataclass
class Script:
    """How the server misbehaves (see the module docstring); the default behaves."""

    stall_at: str | None = None
    drip: float | None = None
    huge_literal: int | None = None
    literal_mode: Literal["cut", "slow", "fast"] = "cut"
    literal_pause: float = 0.05
    long_line: int | None = None
    long_line_at: str = "FETCH"
    nest: int | None = None
    nest_at: str = "LIST"
    garbage_at: str | None = None
    bye_at: str | None = None
    no_uidvalidity: bool = False
    """SELECT answers OK but leaves out UIDVALIDITY, which RFC 3501 requires."""
    messages: int = 3
    capabilities: str = "IMAP4rev1 LITERAL+ ENABLE CONDSTORE IDLE UIDPLUS"
    only_connection: int | None = None
    handshake_drip: float = 0.3


@dataclass
class Seen:
    """What the server saw, for assertions."""

    connections: int = 0
    commands: list[str] = field(default_factory=list)
    literal_bytes_sent: int = 0


def _header(n: int) -> bytes:
    return (
        f"Date: Mon, 1 Jun 2026 10:0{n % 10}:00 +0000\r\nFrom: Sender {n} <s{n}@example.test>\r\n"
        f"Subject: Hostile test message {n}\r\nMessage-ID: <m{n}@example.test>\r\n\r\n"
    ).encode()


def _message(n: int) -> bytes:
    return _header(n) + f"Body of message {n}.\r\n".encode()


class _Connection(socketserver.StreamRequestHandler):
    server: _Server

    def setup(self) -> None:
        super().setup()
        owner = self.server.owner
        with owner.lock:
            owner.seen.connections += 1
            self.number = owner.seen.connections
            owner.sockets.append(self.request)
        script = owner.script
        applies = script.only_connection in (None, self.number)
        self.script = script if applies else Script(messages=script.messages)

    # -- output ------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        if self.script.drip:
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.script.drip)
            return
        self.wfile.write(data)
        self.wfile.flush()

    def stall(self) -> None:
        """Say nothing more; read (and ignore) until the client goes away."""
        try:
            while self.request.recv(65536):
                pass
        except OSError:
            pass

    def drip_handshake(self) -> None:
        """A TLS handshake record announcing 16 KiB (the most a record holds), sent a byte
        at a time until the client goes away: OpenSSL waits for the whole record."""
        record = b"\x16\x03\x03\x40\x00" + b"\x00" * 16384
        try:
            for byte in record:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.script.handshake_drip)
        except OSError:
            return

    def misbehaves(self, command: str) -> bool:
        """The scripted failure for `command`, if any; True when the connection is over."""
        script = self.script
        if script.stall_at == command and command != "FETCH":
            self.stall()
            return True
        if script.garbage_at == command:
            self.send(b"\x00\xff\xfe garbage \x1b[31m not IMAP at all ))) {12\r\n")
            self.send(b"%%%% more garbage\r\n")
            self.stall()
            return True
        if script.bye_at == command:
            self.send(b"* BYE The hostile server is going away\r\n")
            return True
        if script.long_line and script.long_line_at == command:
            chunk = b"x" * 65536
            left = script.long_line
            self.send(b"* ")
            while left > 0:
                self.wfile.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
            self.wfile.flush()
            self.stall()
            return True
        return False

    # -- the protocol ------------------------------------------------------------------

    def handle(self) -> None:
        try:
            if self.script.stall_at == "greeting":
                self.stall()
                return
            self.send(b"* OK [CAPABILITY " + self.script.capabilities.encode() + b"] hostile\r\n")
            while True:
                line = self.rfile.readline(65536)
                if not line:
                    return
                if not self.answer(line.rstrip(b"\r\n").decode("utf-8", "replace")):
                    return
        except (OSError, ssl.SSLError):
            return

    def answer(self, line: str) -> bool:
        tag, _, rest = line.partition(" ")
        command, _, arguments = rest.partition(" ")
        command = command.upper()
        if command == "UID":
            command, _, arguments = arguments.partition(" ")
            command = command.upper()
            uid = True
        else:
            uid = False
        with self.server.owner.lock:
            self.server.owner.seen.commands.append(("UID " if uid else "") + command)
        if self.misbehaves(command):
            return False
        ok = f"{tag} OK {command} done\r\n".encode()
        caps = self.script.capabilities.encode()
        if command == "CAPABILITY":
            self.send(b"* CAPABILITY " + caps + b"\r\n" + ok)
        elif command == "LOGIN":
            self.send(f"{tag} OK [CAPABILITY {self.script.capabilities}] Logged in\r\n".encode())
        elif command == "ENABLE":
            self.send(b"* ENABLED CONDSTORE\r\n" + ok)
        elif command in ("LIST", "LSUB"):
            self.send(self.list_answer(command) + ok)
        elif command == "STATUS":
            self.send(
                f"* STATUS INBOX (MESSAGES {self.script.messages} UNSEEN 0)\r\n".encode() + ok
            )
        elif command in ("SELECT", "EXAMINE"):
            n = self.script.messages
            validity = "" if self.script.no_uidvalidity else "* OK [UIDVALIDITY 7] ok\r\n"
            self.send(
                f"* {n} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Deleted)\r\n{validity}"
                f"* OK [UIDNEXT {n + 1}] ok\r\n"
                f"* OK [HIGHESTMODSEQ 9] ok\r\n{tag} OK [READ-WRITE] {command} done\r\n".encode()
            )
        elif command == "FETCH":
            return self.fetch(tag, arguments, ok)
        elif command == "SEARCH":
            uids = " ".join(str(n) for n in range(1, self.script.messages + 1))
            self.send(f"* SEARCH {uids}\r\n".encode() + ok)
        elif command == "IDLE":
            self.send(b"+ idling\r\n")
            done = self.rfile.readline(65536)
            if not done:
                return False
            self.send(ok)
        elif command == "STARTTLS":
            self.send(ok)
            self.drip_handshake()
            return False
        elif command == "LOGOUT":
            self.send(b"* BYE bye\r\n" + ok)
            return False
        else:  # NOOP, CLOSE, anything else: fine
            self.send(ok)
        return True

    def list_answer(self, command: str) -> bytes:
        if self.script.nest and self.script.nest_at == "LIST":
            depth = self.script.nest
            return f'* {command} ({"(" * depth}\\Noselect{")" * depth}) "/" Deep\r\n'.encode()
        return f'* {command} (\\HasNoChildren) "/" INBOX\r\n'.encode()

    def fetch(self, tag: str, arguments: str, ok: bytes) -> bool:
        n = self.script.messages
        numbers = _expand(arguments.split(" ", 1)[0], n)
        body = "BODY.PEEK[]" in arguments
        for index, number in enumerate(numbers):
            if index == 1 and self.script.stall_at == "FETCH":
                self.stall()
                return False
            data = _message(number) if body else _header(number)
            size = len(_message(number))
            section = "BODY[]" if body else f"BODY[HEADER.FIELDS ({_FIELDS})]"
            flags = "\\Seen"
            if self.script.nest and self.script.nest_at == "FETCH":
                flags = "(" * self.script.nest + ")" * self.script.nest
            prefix = (
                f"* {number} FETCH (UID {number} FLAGS ({flags}) RFC822.SIZE {size} "
                f'INTERNALDATE "01-Jun-2026 10:00:00 +0000" {section} '
            )
            if index == 0 and self.script.huge_literal:
                self.send(f"{prefix}{{{self.script.huge_literal}}}\r\n".encode())
                self.stream_literal(self.script.huge_literal)
                return False
            self.send(f"{prefix}{{{len(data)}}}\r\n".encode() + data + b")\r\n")
        self.send(ok)
        return True

    def stream_literal(self, size: int) -> None:
        chunk = b"X" * 65536
        sent = 0
        mode = self.script.literal_mode
        limit = min(size, 4 * len(chunk)) if mode == "cut" else size
        while sent < limit:
            piece = chunk[: min(len(chunk), limit - sent)]
            self.wfile.write(piece)
            self.wfile.flush()
            sent += len(piece)
            with self.server.owner.lock:
                self.server.owner.seen.literal_bytes_sent = sent
            if mode == "slow":
                time.sleep(self.script.literal_pause)
        if mode == "cut":
            self.request.shutdown(socket.SHUT_RDWR)


def _expand(text: str, highest: int) -> list[int]:
    numbers: list[int] = []
    for part in text.split(","):
        if not re.fullmatch(r"[\d*]+(:[\d*]+)?", part):
            continue
        low, _, high = part.partition(":")
        first = highest if low == "*" else int(low)
        last = first if not high else (highest if high == "*" else int(high))
        first, last = sorted((first, last))
        numbers.extend(n for n in range(first, min(last, highest) + 1) if n >= 1)
    return numbers


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: HostileImap

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        if self.owner.tls_context is not None:
            sock = self.owner.tls_context.wrap_socket(sock, server_side=True)
        return sock, address


class HostileImap:
    """The server; use as a context manager (or start() / stop())."""

    def __init__(self, script: Script | None = None, *, ca: trustme.CA | None = None) -> None:
        self.script = script or Script()
        self.seen = Seen()
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.tls_context: ssl.SSLContext | None = None
        if ca is not None:
            self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("localhost", "127.0.0.1").configure_cert(self.tls_context)
        self._server = _Server(("127.0.0.1", 0), _Connection, bind_and_activate=True)
        self._server.owner = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HostileImap:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def __enter__(self) -> HostileImap:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def account(
        self, name: str = "hostile", *, ca_file: Path | None = None, **extra: object
    ) -> AccountConfig:
        security = "tls" if self.tls_context is not None else "plain"
        return AccountConfig(
            name=name,
            email=USER,
            imap=ServerConfig("127.0.0.1", self.port, security),
            allow_insecure=security == "plain",
            ca_file=ca_file,
            **extra,  # type: ignore[arg-type]
        )

    def config_text(
        self, secret_file: Path, *, ca_file: Path | None = None, extra: str = ""
    ) -> str:
        """A config file for the CLI (`TUI_MAIL_CONFIG`), the password read from a file."""
        security = "tls" if self.tls_context is not None else "plain"
        return (
            "[[accounts]]\n"
            'name = "hostile"\n'
            f'email = "{USER}"\n'
            f'password_command = "cat {secret_file}"\n'
            + (f'ca_file = "{ca_file}"\n' if ca_file else "")
            + ("allow_insecure = true\n" if security == "plain" else "")
            + extra
            + "[accounts.imap]\n"
            'host = "127.0.0.1"\n'
            f"port = {self.port}\n"
            f'security = "{security}"\n'
        )
