"""Servers that say nothing during IDLE (GNU Mailutils; Courier checks only every 60 s):
new mail still arrives within the recheck interval, not at the 9-minute renewal."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.support.quiet_idle_server import QuietIdleServer
from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.core.imap.idle import IdleWatcher

MESSAGE = b"From: a@example.org\r\nSubject: Fresh\r\n\r\nHello\r\n"


def quiet_account(server: QuietIdleServer, **settings: object) -> AccountConfig:
    return AccountConfig(
        name="quiet",
        email="user@example.test",
        username="user",
        allow_insecure=True,
        imap=ServerConfig("127.0.0.1", server.port, "plain"),
        **settings,  # type: ignore[arg-type]
    )


class Changes:
    """The times at which the watcher said the folder changed."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._cond = threading.Condition()

    def __call__(self, _folder: str) -> None:
        with self._cond:
            self.times.append(time.monotonic())
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.times) >= count, timeout)


@pytest.fixture
def watch() -> Iterator[Callable[..., tuple[IdleWatcher, Changes]]]:
    started: list[IdleWatcher] = []

    def start(account: AccountConfig, **options: float) -> tuple[IdleWatcher, Changes]:
        changes = Changes()
        watcher = IdleWatcher(
            account, lambda: "pw", "INBOX", changes, idle_interval=540, check_every=0.2, **options
        )
        watcher.start()
        started.append(watcher)
        assert changes.wait_for(1, 10), "the watcher never connected"  # the catch-up sync
        assert watcher.state == "idling"
        return watcher, changes

    yield start
    for watcher in started:
        watcher.stop()


def test_new_mail_on_a_server_quiet_during_idle_arrives_within_the_recheck_interval(
    watch: Callable[..., tuple[IdleWatcher, Changes]],
) -> None:
    with QuietIdleServer() as server:
        watcher, changes = watch(quiet_account(server, idle_recheck_seconds=1))
        server.wait_until_idling()
        delivered = time.monotonic()
        server.deliver("INBOX", MESSAGE)

        assert changes.wait_for(2, 5), "new mail was not noticed (it waits for the 9 min renewal)"
        assert changes.times[1] - delivered < 3.0
        # Found by ending IDLE (the server said nothing during it): rechecks go on.
        assert not watcher.server_announces


def test_without_rechecks_a_quiet_server_leaves_new_mail_unnoticed(
    watch: Callable[..., tuple[IdleWatcher, Changes]],
) -> None:
    """The control: the server really keeps quiet; rechecks are what finds the mail."""
    with QuietIdleServer() as server:
        _watcher, changes = watch(quiet_account(server, idle_recheck_seconds=0))
        server.wait_until_idling()
        server.deliver("INBOX", MESSAGE)

        assert not changes.wait_for(2, 3)
        assert "NOOP" not in server.commands


def test_a_server_that_announces_during_idle_is_trusted_and_left_in_idle(
    watch: Callable[..., tuple[IdleWatcher, Changes]],
) -> None:
    with QuietIdleServer(push=True) as server:
        watcher, changes = watch(quiet_account(server), recheck_interval=2)
        server.wait_until_idling()
        server.deliver("INBOX", MESSAGE)
        assert changes.wait_for(2, 1.5)  # heard during IDLE, before any recheck
        assert watcher.server_announces, server.commands
        time.sleep(0.3)  # back in IDLE after the change

        before = list(server.commands)
        time.sleep(4.5)  # two recheck intervals: none is used any more
        assert server.commands == before
