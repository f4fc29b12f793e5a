"""The server side of the benchmark: one loopback Dovecot with an INBOX per folder size.

Reuses the test harness (tests/support/dovecot.py): messages are written straight into
maildirs on tmpfs, so 100,000 realistic messages take seconds, not the minutes APPEND
would.  The newest message of each INBOX gets a short subject of its own (the *marker*):
seeing it on screen is how the suite knows a client shows the newest rows.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks import maildirs
from tests.support.dovecot import DovecotServer, MailUser, make_message, tmpfs_dir

TEMPLATE_FROM = 50_000
"""INBOXes this big are written once into a template and lent to each run (maildirs.py)."""


def size_label(size: int) -> str:
    """10000 -> "10k", 100000 -> "100k", 2500 -> "2500"."""
    return f"{size // 1000}k" if size % 1000 == 0 and size >= 1000 else str(size)


def marker_subject(size: int) -> str:
    """The newest message's subject in the ``size`` INBOX: short, so no client cuts it."""
    return f"ZQX newest {size_label(size)} marker"


@dataclass(frozen=True)
class Mailbox:
    """One benchmark user whose INBOX holds ``size`` messages, the newest being the marker."""

    user: MailUser
    size: int
    marker: str


def _flags(index: int) -> str:
    # Mostly read mail, one in seven unread, a few flagged: a lived-in INBOX.
    if index % 97 == 0:
        return "FS"
    return "" if index % 7 == 0 else "S"


class _BigDovecot(DovecotServer):
    """The harness's Dovecot with room for a million-message maildir: its imap process
    needs more than the default 256 MB of address space to list one (it dies with "Out
    of memory" at the first SELECT)."""

    def _render_config(self) -> str:
        return super()._render_config() + "default_vsz_limit = 4G\n"


class BenchServer:
    """A started Dovecot with one user per folder size; ``close()`` removes everything."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self._mail_root = tmpfs_dir(prefix="tui-mail-bench-")
        self.server = _BigDovecot(
            work_dir / "dovecot",
            name="bench",
            mail_root=self._mail_root,
            max_connections_per_user=200,
            # COMPRESS=DEFLATE offered, as Dovecot with imap_zlib, Cyrus and Gmail do: the
            # bytes to open a folder are what a user on a thin link pays. (The wire floor,
            # benchmarks/wire.py, does not ask for it and stays the uncompressed figure.)
            compress=True,
        )
        self.server.start()
        self.mailboxes: dict[int, Mailbox] = {}
        self._lent: list[tuple[int, Path]] = []

    @property
    def ca_pem(self) -> Path:
        return self.server.ca_pem

    @property
    def port(self) -> int:
        return self.server.imaps_port

    def fill(self, size: int) -> Mailbox:
        """A new user with ``size`` messages in its INBOX (the last one is the marker)."""
        user = self.server.add_user(f"bench{size_label(size)}")
        marker = marker_subject(size)
        if size >= TEMPLATE_FROM:
            workers = max(1, min(8, os.cpu_count() or 1))
            owner = (self.server._mail_uid, self.server._mail_gid)
            maildirs.template(size, marker, _flags, workers, owner)
            maildirs.lend(size, user.maildir / "cur", owner)
            self._lent.append((size, user.maildir / "cur"))
        else:
            self.server.deliver(user, (make_message(i) for i in range(size - 1)), flags=_flags)
            self.server.deliver(user, [make_message(size - 1, subject=marker)])
        mailbox = Mailbox(user=user, size=size, marker=marker)
        self.mailboxes[size] = mailbox
        return mailbox

    def small_user(self, count: int) -> Mailbox:
        """A fresh user with a small INBOX, for measurements that add mail (IDLE)."""
        user = self.server.add_user()
        marker = f"ZQX {user.name} base"
        self.server.deliver(user, (make_message(i) for i in range(count - 1)), flags="S")
        self.server.deliver(user, [make_message(count - 1, subject=marker)])
        return Mailbox(user=user, size=count, marker=marker)

    def client_context(self) -> ssl.SSLContext:
        return self.server.ssl_context()

    def close(self) -> None:
        self.server.close()
        for size, cur in self._lent:
            maildirs.give_back(size, cur)
        if self._mail_root is not None:
            shutil.rmtree(self._mail_root, ignore_errors=True)


def scratch_dir() -> Path:
    """Where configs and caches go: tmpfs when there is one, like a warm SSD."""
    shm = tmpfs_dir(prefix="tui-mail-bench-work-")
    return shm if shm is not None else Path(tempfile.mkdtemp(prefix="tui-mail-bench-work-"))


class ByteCountingProxy:
    """A loopback TCP relay that counts the bytes the server sends to clients.

    TLS passes through untouched (the certificate names 127.0.0.1 and localhost, and the
    relay listens on 127.0.0.1), so any client can be pointed at it to learn how many
    bytes it pulls from the server: what a user on a slow link pays.
    """

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self._target = (host, target_port)
        self._listener = socket.create_server((host, 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._received = 0
        self._last_traffic = time.monotonic()
        self._closed = False
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept_loop, daemon=True).start()

    @property
    def received(self) -> int:
        """Bytes sent by the server to all clients so far."""
        with self._lock:
            return self._received

    @property
    def quiet_for(self) -> float:
        """Seconds since the last byte went through in either direction."""
        with self._lock:
            return time.monotonic() - self._last_traffic

    def reset(self) -> None:
        with self._lock:
            self._received = 0
            self._last_traffic = time.monotonic()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_server: bool) -> None:
        with contextlib.suppress(OSError):
            while True:
                data = source.recv(65536)
                if not data:
                    break
                with self._lock:
                    if from_server:
                        self._received += len(data)
                    self._last_traffic = time.monotonic()
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()


@contextlib.contextmanager
def counting_proxy(target_port: int) -> Iterator[ByteCountingProxy]:
    proxy = ByteCountingProxy(target_port)
    try:
        yield proxy
    finally:
        proxy.close()
