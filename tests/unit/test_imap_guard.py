"""The bounds of core/imap/guard.py on their own: nesting, literal caps, the watchdog's timing."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.unit.test_fetch_stream import ScriptedImap
from tui_mail.core.errors import ServerMisbehaved
from tui_mail.core.imap.fetch_stream import FetchStream
from tui_mail.core.imap.guard import nesting_depth
from tui_mail.core.net.watchdog import Watchdog


def test_nesting_depth_counts_parentheses_outside_quoted_strings() -> None:
    assert nesting_depth(b'* LIST (\\HasNoChildren) "/" INBOX') == 1
    assert nesting_depth(b'* LIST () "/" "((((((( a folder \\" (((("') == 1
    assert nesting_depth(b"(" * 10_000 + b")" * 10_000) == 10_000


def test_a_fetch_literal_over_the_cap_is_refused_before_it_is_read() -> None:
    imap = ScriptedImap(
        b'* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 9 INTERNALDATE "01-Jan-2024 00:00:00 +0000" '
        b"BODY[HEADER.FIELDS (SUBJECT)] {419430400}\r\n" + b"X" * 1000
    )
    stream = FetchStream(imap, b"FETCH 1 (UID)", literal_cap=8 * 1024 * 1024)
    with pytest.raises(ServerMisbehaved, match=r"announced 400\.0 MiB .* more than the 8\.0 MiB"):
        list(stream)
    assert imap._input.tell() < 1000  # nothing of the literal was read


def test_the_watchdog_shuts_the_socket_at_the_deadline_and_progress_pushes_it() -> None:
    ours, theirs = socket.socketpair()
    watchdog = Watchdog()
    watchdog.attach(ours)
    watchdog.arm("FETCH", 0.3)
    for _ in range(4):  # progress every 0.15 s keeps it alive past 0.3 s
        time.sleep(0.15)
        watchdog.next_message()
    assert watchdog.expired is None
    started = time.monotonic()
    assert ours.recv(10) == b""  # blocks until the watchdog shuts it: EOF
    assert 0.2 < time.monotonic() - started < 1.0
    assert watchdog.expired == "FETCH"
    theirs.close()
    ours.close()


def test_kill_ends_a_read_from_another_thread_at_once() -> None:
    ours, theirs = socket.socketpair()
    watchdog = Watchdog()
    watchdog.attach(ours)
    started = time.monotonic()

    threading.Timer(0.1, watchdog.kill).start()
    assert ours.recv(10) == b""
    assert time.monotonic() - started < 0.5
    assert watchdog.expired is None  # quitting is not a timeout
    theirs.close()
    ours.close()
