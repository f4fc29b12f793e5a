"""A deadline for a blocking connection that a slow server cannot stretch.

A read timeout alone bounds nothing: a server that sends one byte every 20 s never trips a
60 s timeout. The watchdog shuts the socket from its own thread when the operation under
way overruns its deadline, so the blocked read returns at once. Used by the IMAP and POP3
sessions (see core/imap/guard.py for the IMAP caps built around it).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator


class Watchdog:
    """Shuts a connection's socket when the operation under way overruns its deadline.

    `arm(what, seconds)` before an operation, `extend()` on progress, `disarm()` after;
    `kill()` (from any thread) shuts the socket now. The waiting thread lives only while
    a deadline is armed, so idle sessions cost no thread.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._sockets: list[socket.socket] = []
        self._deadline: float | None = None
        self._seconds = 0.0
        self._what = ""
        self._thread: threading.Thread | None = None
        self._killed = False
        self.expired: str | None = None
        """What overran its deadline (set once, when the socket was shut for it)."""
        self.seconds_given = 0.0
        self.received = 0
        """Bytes read since the command began (or the last message of a stream)."""

    def attach(self, sock: socket.socket) -> None:
        """The socket to shut; called as soon as it exists (before TLS and the greeting)."""
        with self._cond:
            self._sockets.append(sock)
            if self._killed:
                shut(sock)

    def detach(self, sock: socket.socket) -> None:
        """Forget a handle that is about to be closed (so kill() never shuts a reused fd)."""
        with self._cond:
            if sock in self._sockets:
                self._sockets.remove(sock)

    @contextlib.contextmanager
    def covering(self, sock: socket.socket) -> Iterator[None]:
        """While `sock` is wrapped in TLS: ssl detaches the socket object it wraps before
        the handshake, so the watchdog holds a dup of the descriptor instead (shutdown acts
        on the connection, not the descriptor) and a stalled handshake ends too."""
        handle = sock.dup()
        self.attach(handle)
        try:
            yield
        finally:
            self.detach(handle)
            handle.close()

    def arm(self, what: str, seconds: float) -> None:
        with self._cond:
            self._what, self._seconds = what, seconds
            self._deadline = time.monotonic() + seconds
            self.received = 0
            if self._thread is None and not self._killed:
                self._thread = threading.Thread(target=self._run, name="imap-deadline", daemon=True)
                self._thread.start()
            self._cond.notify()

    def extend(self) -> None:
        """Progress within one answer: the deadline starts again."""
        if self._deadline is not None:
            self._deadline = time.monotonic() + self._seconds

    def next_message(self) -> None:
        """A stream delivered one whole message: deadline and byte count start again."""
        self.received = 0
        self.extend()

    def disarm(self) -> None:
        self._deadline = None

    @property
    def killed(self) -> bool:
        """The socket was shut (kill(), or a deadline passed): the connection is over."""
        return self._killed

    def kill(self) -> None:
        """Shut the socket now, from any thread: whatever the owner waits for ends."""
        with self._cond:
            self._killed = True
            self._deadline = None
            for sock in self._sockets:
                shut(sock)
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._killed:
                deadline = self._deadline
                if deadline is None:
                    break
                left = deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self.expired, self.seconds_given = self._what, self._seconds
                self._killed = True
                for sock in self._sockets:
                    shut(sock)
            self._thread = None


def shut(sock: socket.socket) -> None:
    # socket.socket.shutdown even on an SSLSocket: ssl's own shutdown() drops its state
    # first, and the thread blocked in a read would then fail with a ValueError.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
