"""A tiny IMAP server that keeps quiet during IDLE, as GNU Mailutils' imap4d does.

Mailutils (and Courier without IMAP_ENHANCEDIDLE) send nothing while a client IDLEs: new mail
is reported only after DONE, or on NOOP. Dovecot cannot be made to behave like that (inotify
wakes it at once), so the tests that need such a server use this one: plaintext on loopback,
one thread per connection, enough of IMAP4rev1 for ImapSession and the doctor (LOGIN, LIST,
CREATE, DELETE, SELECT/EXAMINE, APPEND, IDLE, NOOP, CLOSE, LOGOUT) and nothing more.

`QuietIdleServer(push=True)` announces new mail during IDLE instead, as a well-behaved
server does, so a test can show the difference is the server's.
"""

from __future__ import annotations

import contextlib
import re
import socketserver
import threading
import time
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|\(|\)|\{\d+\+?\}|[^\s()"]+')
_LITERAL = re.compile(rb"\{(\d+)(\+?)\}$")


@dataclass
class Mailbox:
    messages: list[tuple[int, bytes]] = field(default_factory=list)
    uidnext: int = 1


class _Handler(socketserver.StreamRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        owner = self.server.owner
        self.selected: str | None = None
        self.known = 0  # messages this connection has been told about (EXISTS)
        self.send(b"* OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS LITERAL+] quiet-idle ready")
        with owner.lock:
            owner.connections.append(self)
        try:
            while True:
                line = self.read_command()
                if line is None:
                    return
                if not self.dispatch(line):
                    return
        except (OSError, ValueError):
            return
        finally:
            with owner.lock:
                owner.connections.remove(self)

    # -- wire ------------------------------------------------------------------------

    def send(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")
        self.wfile.flush()

    def read_command(self) -> bytes | None:
        """One command, literals included (answered with "+" unless LITERAL+)."""
        parts: list[bytes] = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return None
            line = raw.rstrip(b"\r\n")
            literal = _LITERAL.search(line)
            if literal is None:
                parts.append(line)
                return b"".join(parts)
            if not literal.group(2):
                self.send(b"+ go ahead")
            data = self.rfile.read(int(literal.group(1)))
            self.server.owner.literals.append(data)
            parts.append(line[: literal.start()] + b"\x00LITERAL%d\x00" % (len(parts)))

    # -- commands --------------------------------------------------------------------

    def dispatch(self, line: bytes) -> bool:
        owner = self.server.owner
        tokens = _TOKEN.findall(line)
        if len(tokens) < 2:
            self.send(b"* BAD empty command")
            return True
        tag, command, args = tokens[0], tokens[1].upper(), [_unquote(t) for t in tokens[2:]]
        with owner.lock:
            owner.commands.append(command.decode())
        if command == b"UID" and args:
            command, args = b"UID " + args[0].upper(), args[1:]
        if command == b"CAPABILITY":
            self.send(b"* CAPABILITY IMAP4rev1 IDLE UIDPLUS LITERAL+")
        elif command == b"LOGIN":
            if [a.decode() for a in args[:2]] != [owner.user, owner.password]:
                self.send(tag + b" NO [AUTHENTICATIONFAILED] Authentication failed.")
                return True
        elif command == b"LOGOUT":
            self.send(b"* BYE see you")
            self.send(tag + b" OK Logout completed.")
            return False
        elif command in (b"NOOP", b"CHECK"):
            self.report_new()
        elif command in (b"SELECT", b"EXAMINE"):
            return self.select(tag, args[0].decode(), readonly=command == b"EXAMINE")
        elif command == b"CLOSE":
            self.selected = None
        elif command in (b"LIST", b"LSUB"):
            pattern = args[1].decode() if len(args) > 1 else "*"
            with owner.lock:
                names = sorted(owner.mailboxes)
            for name in names:
                if pattern in ("*", "%") or name == pattern:
                    self.send(b'* %s () "/" "%s"' % (command, name.encode()))
        elif command in (b"SUBSCRIBE", b"UNSUBSCRIBE"):
            pass
        elif command in (b"CREATE", b"DELETE"):
            return self.create_or_delete(tag, command, args[0].decode())
        elif command == b"APPEND":
            return self.append(tag, args)
        elif command == b"IDLE":
            return self.idle(tag)
        else:
            self.send(tag + b" BAD not offered by this test server")
            return True
        self.send(tag + b" OK " + command + b" completed.")
        return True

    def select(self, tag: bytes, name: str, *, readonly: bool) -> bool:
        owner = self.server.owner
        with owner.lock:
            box = owner.mailboxes.get(name)
            if box is None:
                self.send(tag + b" NO Mailbox does not exist.")
                return True
            count, uidnext = len(box.messages), box.uidnext
        self.selected, self.known = name, count
        self.send(b"* FLAGS (\\Seen \\Deleted)")
        self.send(b"* %d EXISTS" % count)
        self.send(b"* 0 RECENT")
        self.send(b"* OK [UIDVALIDITY %d] ok" % owner.uidvalidity)
        self.send(b"* OK [UIDNEXT %d] ok" % uidnext)
        mode = b"READ-ONLY" if readonly else b"READ-WRITE"
        self.send(tag + b" OK [" + mode + b"] done.")
        return True

    def create_or_delete(self, tag: bytes, command: bytes, name: str) -> bool:
        owner = self.server.owner
        with owner.lock:
            exists = name in owner.mailboxes
            refused = command == b"CREATE" and owner.refuse_create
            if refused or (command == b"CREATE") == exists or name.upper() == "INBOX":
                self.send(tag + b" NO cannot")
                return True
            if command == b"CREATE":
                owner.mailboxes[name] = Mailbox()
            else:
                del owner.mailboxes[name]
        self.send(tag + b" OK done.")
        return True

    def append(self, tag: bytes, args: list[bytes]) -> bool:
        owner = self.server.owner
        name = args[0].decode()
        with owner.lock:
            data = owner.literals[-1] if owner.literals else b""
        uid = owner.deliver(name, data)
        if uid is None:
            self.send(tag + b" NO [TRYCREATE] no such mailbox")
            return True
        self.send(tag + b" OK [APPENDUID %d %d] Append completed." % (owner.uidvalidity, uid))
        return True

    def idle(self, tag: bytes) -> bool:
        self.send(b"+ idling")
        self.idling = True
        try:
            raw = self.rfile.readline()
        finally:
            self.idling = False
        if raw.strip().upper() != b"DONE":
            self.send(tag + b" BAD expected DONE")
            return bool(raw)
        self.report_new()  # what this kind of server says only now
        self.send(tag + b" OK Idle completed.")
        return True

    def report_new(self) -> None:
        owner = self.server.owner
        if self.selected is None:
            return
        with owner.lock:
            box = owner.mailboxes.get(self.selected)
            count = len(box.messages) if box is not None else 0
        if count != self.known:
            self.known = count
            self.send(b"* %d EXISTS" % count)


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: QuietIdleServer


class QuietIdleServer:
    """Start with `with QuietIdleServer() as server:`; `server.port` on 127.0.0.1."""

    def __init__(
        self,
        *,
        push: bool = False,
        refuse_create: bool = False,
        user: str = "user",
        password: str = "pw",  # noqa: S107
    ) -> None:
        self.push = push
        self.refuse_create = refuse_create
        self.user, self.password = user, password
        self.uidvalidity = 1234
        self.mailboxes: dict[str, Mailbox] = {"INBOX": Mailbox()}
        self.commands: list[str] = []
        """Every command name received, in order (IDLE, NOOP ...)."""
        self.literals: list[bytes] = []
        self.connections: list[_Handler] = []
        self.lock = threading.Lock()
        self._tcp = _TcpServer(("127.0.0.1", 0), _Handler)
        self._tcp.owner = self
        self.port: int = self._tcp.server_address[1]
        self._thread = threading.Thread(target=self._tcp.serve_forever, daemon=True)

    def __enter__(self) -> QuietIdleServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._tcp.shutdown()
        self._tcp.server_close()
        with self.lock:
            connections = list(self.connections)
        for handler in connections:
            with contextlib.suppress(OSError):
                handler.request.close()

    def deliver(self, mailbox: str, message: bytes) -> int | None:
        """New mail, as if the MTA had put it there; the UID, or None for no such mailbox."""
        with self.lock:
            box = self.mailboxes.get(mailbox)
            if box is None:
                return None
            uid = box.uidnext
            box.messages.append((uid, message))
            box.uidnext += 1
            listeners = [c for c in self.connections if getattr(c, "idling", False)]
        if self.push:
            for handler in listeners:
                if handler.selected == mailbox:
                    with contextlib.suppress(OSError):
                        handler.report_new()
        return uid

    def wait_until_idling(self, timeout: float = 5.0) -> None:
        """Until some connection is in IDLE (mail delivered before would not be news)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if any(getattr(c, "idling", False) for c in self.connections):
                    return
            time.sleep(0.02)
        raise AssertionError(f"no connection entered IDLE within {timeout} s")

    def count(self, mailbox: str) -> int:
        with self.lock:
            return len(self.mailboxes[mailbox].messages)


def _unquote(token: bytes) -> bytes:
    if token.startswith(b'"') and token.endswith(b'"') and len(token) >= 2:
        return re.sub(rb"\\(.)", rb"\1", token[1:-1])
    return token
