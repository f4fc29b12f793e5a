"""COMPRESS=DEFLATE's stream layer (core/imap/compress.py) over a socket pair: what the
server sends right after its OK, packets cut mid-block, a stream that inflates to far more
than it weighs, damaged data, and commands the server can read at once."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from tui_mail.core.errors import ServerMisbehaved
from tui_mail.core.imap.compress import Deflate, _Inflating, start_deflate


class FakeImap:
    """What start_deflate uses of imaplib.IMAP4: a tag, the socket, `file`, send, readline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.file: Any = sock.makefile("rb")
        self.tagged_commands: dict[bytes, object] = {}

    def _new_tag(self) -> bytes:
        return b"A1"

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def readline(self) -> bytes:
        line: bytes = self.file.readline()
        return line


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    client, server = socket.socketpair()
    client.settimeout(5)
    server.settimeout(5)
    yield client, server
    client.close()
    server.close()


def deflater() -> Any:
    return zlib.compressobj(6, zlib.DEFLATED, -15)


def no_guard(_what: str) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def test_what_follows_the_ok_in_the_same_packet_is_read_inflated(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = pair
    imap = FakeImap(client)
    packer = deflater()
    first = packer.compress(b"* OK first compressed line\r\n") + packer.flush(zlib.Z_SYNC_FLUSH)

    def answer() -> None:
        command = server.recv(100)
        assert command == b"A1 COMPRESS DEFLATE\r\n"
        server.sendall(b"A1 OK DEFLATE active\r\n" + first)  # one packet

    thread = threading.Thread(target=answer)
    thread.start()
    counts = start_deflate(imap, no_guard, "test")
    thread.join()

    assert counts is not None
    assert imap.readline() == b"* OK first compressed line\r\n"
    imap.send(b"A2 NOOP\r\n")
    inflater = zlib.decompressobj(-15)
    assert inflater.decompress(server.recv(100)) == b"A2 NOOP\r\n"  # whole, at once
    assert counts.sent_plain == len(b"A2 NOOP\r\n")


def test_a_refusal_leaves_the_connection_as_it_was(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = pair
    imap = FakeImap(client)
    server.sendall(b"A1 BAD Unknown command\r\n* OK plain\r\n")
    before = imap.file

    assert start_deflate(imap, no_guard, "test") is None

    assert imap.file is before
    assert imap.readline() == b"* OK plain\r\n"
    imap.send(b"A2 NOOP\r\n")
    assert server.recv(100).endswith(b"A2 NOOP\r\n")


def reader(client: socket.socket, counts: Deflate | None = None) -> io.BufferedReader:
    return io.BufferedReader(_Inflating(client, counts or Deflate()), 64 * 1024)


def test_packets_cut_anywhere_still_give_whole_lines(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = pair
    lines = [b"* %d FETCH (UID %d FLAGS (\\Seen))\r\n" % (i, i) for i in range(1, 200)]
    packer = deflater()
    data = packer.compress(b"".join(lines)) + packer.flush(zlib.Z_SYNC_FLUSH)

    def dribble() -> None:
        for i in range(0, len(data), 7):
            server.sendall(data[i : i + 7])

    thread = threading.Thread(target=dribble)
    thread.start()
    file = reader(client)
    got = [file.readline() for _ in lines]
    thread.join()
    assert got == lines


def test_a_small_stream_that_inflates_hugely_is_handed_out_in_bounded_pieces(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = pair
    packer = deflater()
    bomb = packer.compress(b"A" * 50_000_000) + packer.flush(zlib.Z_SYNC_FLUSH)
    assert len(bomb) < 100_000
    sender = threading.Thread(target=server.sendall, args=(bomb,))
    sender.start()
    raw = _Inflating(client, Deflate())
    buffer = bytearray(4096)
    sizes = [raw.readinto(buffer) for _ in range(50)]
    assert max(sizes) <= 4096 and min(sizes) > 0
    server.close()  # the reader stops reading here: the rest need not be inflated
    sender.join()


def test_damaged_data_is_said_to_be_the_servers_fault(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = pair
    server.sendall(b"\xff" * 64)
    with pytest.raises(ServerMisbehaved, match="compressed data is damaged"):
        reader(client).readline()


def test_the_end_of_the_connection_is_an_empty_read(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    client, server = pair
    counts = Deflate()
    packer = deflater()
    server.sendall(packer.compress(b"* BYE\r\n") + packer.flush(zlib.Z_SYNC_FLUSH))
    server.shutdown(socket.SHUT_WR)
    file = reader(client, counts)
    assert file.readline() == b"* BYE\r\n"
    assert file.readline() == b""
    assert counts.received_plain == 7 and counts.ratio is not None
