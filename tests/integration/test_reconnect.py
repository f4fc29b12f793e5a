"""Dropped connections: the watcher comes back, and commands retry once without doubling."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.test_idle import (
    Recorder,
    append_from_other_client,
    new_mail_with,
    state_is,
)
from tests.support.accounts import server_flags, server_subjects
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.config import AccountConfig
from tui_mail.core.account.events import ConnectionState
from tui_mail.core.account.service import AccountService
from tui_mail.core.imap import idle
from tui_mail.core.imap.idle import IdleWatcher
from tui_mail.core.imap.session import ImapSession
from tui_mail.core.models import Flag


async def test_kick_during_idle_reconnects_and_mail_still_arrives(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    await service.sync("INBOX")
    events = Recorder(service)
    back = threading.Semaphore(0)
    service.on_reconnected.append(back.release)
    service.start_watching()
    await events.wait(state_is("idling"))

    dovecot.kick(mail_user)
    await events.wait(
        lambda e: isinstance(e, ConnectionState) and e.state.startswith("reconnecting in")
    )
    reconnected = len(events.events)
    await events.wait(lambda e: e in events.events[reconnected:] and state_is("idling")(e))
    # The hook ran for the reconnect, and not for the first connection.
    assert await asyncio.to_thread(back.acquire, True, 5)
    assert not back.acquire(blocking=False)

    append_from_other_client(dovecot, mail_user, "After the kick")
    await events.wait(new_mail_with("After the kick"), timeout=5)
    service.stop_watching()


async def test_commands_on_a_dropped_connection_retry_once(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.create_folder(mail_user, "Projects")
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i}") for i in range(3)])
    await service.sync("INBOX")
    uids = sorted(m.uid for m in service.messages("INBOX"))

    dovecot.kick(mail_user)  # the command connection is dead, and the service does not know
    dovecot.deliver(mail_user, [make_message(3, subject="M3")])
    assert (await service.sync("INBOX")).new == 1
    uids = sorted(m.uid for m in service.messages("INBOX"))

    dovecot.kick(mail_user)
    await service.set_flag("INBOX", [uids[0]], Flag.FLAGGED, on=True)
    assert b"\\Flagged" in server_flags(dovecot, mail_user, "INBOX")[uids[0]]

    dovecot.kick(mail_user)
    await service.move("INBOX", [uids[1]], "Projects")
    assert server_subjects(dovecot, mail_user, "Projects") == ["Subject: M1"]
    assert sorted(server_subjects(dovecot, mail_user, "INBOX")) == [
        "Subject: M0",
        "Subject: M2",
        "Subject: M3",
    ]

    dovecot.kick(mail_user)
    message = make_message(7, subject="Appended once")
    await service.append("Projects", message)
    assert sorted(server_subjects(dovecot, mail_user, "Projects")) == [
        "Subject: Appended once",
        "Subject: M1",
    ]
    assert service.pending_count() == 0


async def test_a_resume_from_sleep_reconnects_at_once(
    mail_user: MailUser, account: AccountConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sleep of the machine noticed in IDLE ends the connection and the next one begins
    at once: no backoff wait, whose shortest is `Backoff.minimum` (1 s). The promise is
    that nothing is waited for; how long the new connection then takes (TLS, login,
    SELECT) is the server's and the machine's, so it is timed from its start."""
    slept = [0.0]
    asleep = threading.Event()
    states: list[tuple[str, float]] = []
    begun: list[float] = []

    class Counted(ImapSession):
        """Each connection the watcher begins, and when."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            begun.append(time.monotonic())
            super().__init__(*args, **kwargs)

    class Sleeping(IdleWatcher):
        def _idle_responses(self, client: Any, wait: float) -> list[Any]:
            responses = super()._idle_responses(client, wait)
            if asleep.is_set():
                # The machine slept while IDLE waited: the wall clock moved on an hour,
                # the monotonic one did not. (Jumped from the test's thread instead, it
                # could come before the watcher's first look at the clocks, after its
                # "idling": never seen, as happened on a loaded machine.)
                slept[0] = 3600.0
            return responses

    monkeypatch.setattr(idle, "ImapSession", Counted)
    watcher = Sleeping(
        account,
        lambda: mail_user.password,
        "INBOX",
        lambda _folder: None,
        lambda _folder, state, _detail: states.append((state, time.monotonic())),
        check_every=0.2,
        wall_clock=lambda: time.time() + slept[0],
    )
    watcher.start()
    try:
        await until(lambda: [state for state, _at in states] == ["idling"])
        asleep.set()
        # However loaded the machine: the connection's own time is not what is promised.
        await until(lambda: len(states) >= 3, timeout=60)
        # A new connection at once: no "reconnecting in N s", no backoff ...
        assert [state for state, _at in states] == ["idling", "reconnecting", "idling"]
        assert watcher.backoff.attempts == 0
        # ... and begun without a wait: well under the shortest backoff.
        assert len(begun) == 2
        noticed = states[1][1]
        assert begun[1] - noticed < watcher.backoff.minimum
    finally:
        await asyncio.to_thread(watcher.stop)


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)
