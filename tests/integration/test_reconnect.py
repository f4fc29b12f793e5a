"""Dropped connections: the watcher comes back, and commands retry once without doubling."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

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
from tui_mail.core.imap.idle import IdleWatcher
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
    mail_user: MailUser, account: AccountConfig
) -> None:
    slept = [0.0]
    states: list[str] = []
    watcher = IdleWatcher(
        account,
        lambda: mail_user.password,
        "INBOX",
        lambda _folder: None,
        lambda _folder, state, _detail: states.append(state),
        check_every=0.2,
        wall_clock=lambda: time.time() + slept[0],
    )
    watcher.start()
    try:
        await until(lambda: states == ["idling"])
        slept[0] = 3600.0  # the wall clock moves on an hour; the monotonic one does not
        await until(lambda: len(states) >= 3, timeout=3)
        # A new connection at once: no "reconnecting in N s", no backoff.
        assert states == ["idling", "reconnecting", "idling"]
        assert watcher.backoff.attempts == 0
    finally:
        await asyncio.to_thread(watcher.stop)


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)
