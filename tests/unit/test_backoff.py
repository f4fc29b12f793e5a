"""Reconnect delays: exponential, jittered, bounded, and what counts as a change."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.core.imap.idle import Backoff, ConnectionDead, IdleWatcher, _changes


def test_the_ceiling_doubles_from_one_second_up_to_five_minutes() -> None:
    backoff = Backoff(rng=lambda _low, high: high)
    delays = [backoff.next_delay() for _ in range(12)]
    assert delays[:5] == [1, 2, 4, 8, 16]
    assert max(delays) == 300 and delays[-1] == 300
    backoff.reset()
    assert backoff.next_delay() == 1


def test_jitter_stays_between_one_second_and_the_ceiling() -> None:
    backoff = Backoff()
    for attempt in range(20):
        delay = backoff.next_delay()
        assert 1.0 <= delay <= min(300.0, 2.0**attempt)


def test_still_here_is_not_new_mail() -> None:
    assert not _changes([(b"OK", b"Still here")])
    assert not _changes([(3, b"RECENT")])
    assert _changes([(4, b"EXISTS")])
    assert _changes([(2, b"EXPUNGE")])
    assert _changes([(1, b"FETCH", (b"FLAGS", (b"\\Seen",)))])


class QuietClient:
    """idle_check that returns nothing: after `takes` seconds, as a timeout or an EOF does."""

    def __init__(self, takes: float, responses: list[Any] | None = None) -> None:
        self.takes = takes
        self.responses = responses or []

    def idle_check(self, timeout: float) -> list[Any]:
        time.sleep(self.takes)
        return self.responses


def watcher(wall_clock: Callable[[], float] = time.time) -> IdleWatcher:
    account = AccountConfig(
        name="w", email="w@example.org", imap=ServerConfig("localhost", 993, "tls")
    )
    return IdleWatcher(
        account, lambda: "pw", "INBOX", lambda _f: None, check_every=0.2, wall_clock=wall_clock
    )


def test_a_readable_socket_without_data_is_a_dead_connection() -> None:
    with pytest.raises(ConnectionDead, match="closed"):
        watcher()._check(QuietClient(takes=0))
    assert watcher()._check(QuietClient(takes=0.2)) == []  # a plain timeout is fine


def test_bye_is_a_dead_connection() -> None:
    with pytest.raises(ConnectionDead, match="BYE"):
        watcher()._check(QuietClient(0, [(b"BYE", b"Server shutting down.")]))


def test_a_wall_clock_jump_means_the_machine_slept() -> None:
    readings = iter([1000.0, 1000.0 + 3600])
    with pytest.raises(ConnectionDead, match="slept"):
        watcher(lambda: next(readings))._check(QuietClient(takes=0.2))
