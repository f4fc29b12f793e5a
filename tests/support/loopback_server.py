"""A threaded TCP server on 127.0.0.1, port 0, for the hostile test servers: its
connections are cut when it stops, so no client is left waiting on a dead test."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from typing import Any, Self


class OwnedServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: Any
    """The LoopbackServer whose script and record the connection handlers use."""


class LoopbackServer:
    """Use as a context manager; handlers add their sockets to `sockets` under `lock`."""

    def __init__(self, handler: type[socketserver.BaseRequestHandler]) -> None:
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self._server = OwnedServer(("127.0.0.1", 0), handler)
        self._server.owner = self

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
