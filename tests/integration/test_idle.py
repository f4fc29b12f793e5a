"""Push: new mail and other clients' changes reach the service by themselves."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from tests.integration.conftest import ServiceFactory
from tests.support.accounts import imap_account, other_client
from tests.support.dovecot import DovecotFactory, DovecotServer, MailUser, make_message
from tui_mail.config import AccountConfig
from tui_mail.core.account.events import ConnectionState, Event, FolderChanged, NewMail
from tui_mail.core.account.service import AccountService
from tui_mail.core.imap.idle import IdleWatcher


class Recorder:
    """Collects a service's events (they arrive on its threads)."""

    def __init__(self, service: AccountService) -> None:
        self.events: list[Event] = []
        self._changed = threading.Condition()
        service.on_event = self._add

    def _add(self, event: Event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, condition: Callable[[Event], bool], timeout: float = 10.0) -> Event:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event in self.events:
                    if condition(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such event within {timeout} s: {self.events}")
                self._changed.wait(left)

    async def wait(self, condition: Callable[[Event], bool], timeout: float = 10.0) -> Event:
        return await asyncio.to_thread(self.wait_for, condition, timeout)


def state_is(*states: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, ConnectionState) and e.state in states


def new_mail_with(subject: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, NewMail) and any(m.subject == subject for m in e.messages)


def append_from_other_client(server: DovecotServer, user: MailUser, subject: str) -> None:
    client = other_client(server, user)
    try:
        client.append("INBOX", make_message(1, subject=subject))
    finally:
        client.logout()


async def test_append_by_another_client_arrives_within_two_seconds(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.deliver(mail_user, [make_message(0, subject="Old")])
    await service.sync("INBOX")
    events = Recorder(service)
    service.start_watching()
    await events.wait(state_is("idling"))

    started = time.monotonic()
    append_from_other_client(dovecot, mail_user, "Fresh news")
    event = await events.wait(new_mail_with("Fresh news"), timeout=2.0)
    assert time.monotonic() - started < 2.0
    assert isinstance(event, NewMail) and event.folder == "INBOX"
    # The row is in the store: the list shows it without another sync.
    assert {m.subject for m in service.messages("INBOX")} == {"Old", "Fresh news"}
    service.stop_watching()


async def test_flag_change_by_another_client_shows_up(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i}") for i in range(3)])
    await service.sync("INBOX")
    events = Recorder(service)
    service.start_watching()
    await events.wait(state_is("idling"))
    target = next(m for m in service.messages("INBOX") if m.subject == "M1")
    assert not target.flagged

    client = other_client(dovecot, mail_user)
    try:
        client.select_folder("INBOX")
        client.add_flags([target.uid], [b"\\Flagged"])
    finally:
        client.logout()
    await events.wait(lambda e: isinstance(e, FolderChanged) and e.result.flags_changed >= 1)
    updated = service.summary("INBOX", target.uid)
    assert updated is not None and updated.flagged
    service.stop_watching()


async def test_a_server_without_idle_is_polled(
    dovecot_factory: DovecotFactory, make_service: ServiceFactory
) -> None:
    server = dovecot_factory(idle=False)
    user = server.add_user()
    # The service's watcher (below) polls each second; this one is given its own interval.
    service = make_service(replace(imap_account(server, user), poll_interval_seconds=1), user)
    await service.sync("INBOX")
    changes: list[str] = []
    states: list[str] = []
    watcher = IdleWatcher(
        service.account,
        lambda: user.password,
        "INBOX",
        changes.append,
        lambda _folder, state, _detail: states.append(state),
        poll_interval=0.3,
    )
    watcher.start()
    try:
        deadline = time.monotonic() + 10
        while "polling" not in states and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert states[:1] == ["polling"]
        assert watcher.using_idle is False
        while not changes and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert changes == ["INBOX"]  # once after connecting
        append_from_other_client(server, user, "Polled")
        while len(changes) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert changes == ["INBOX", "INBOX"]
    finally:
        watcher.stop()
    assert not watcher.running

    # The service takes the same path and delivers the message as an event.
    events = Recorder(service)
    service.start_watching()
    await events.wait(state_is("polling"))
    append_from_other_client(server, user, "Polled again")
    await events.wait(new_mail_with("Polled again"), timeout=10)
    service.stop_watching()


async def test_stop_is_prompt(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    events = Recorder(service)
    service.start_watching()
    await events.wait(state_is("idling"))
    started = time.monotonic()
    await asyncio.to_thread(service.stop_watching)
    assert time.monotonic() - started < 1.0


async def test_a_maildir_account_announces_files_another_program_delivers(
    tmp_path: Path,
) -> None:
    root = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    account = AccountConfig(name="local", email="me@example.org", type="maildir", path=root)
    service = AccountService(account, tmp_path / "data")
    try:
        await service.sync("INBOX")
        events = Recorder(service)
        service.start_watching()
        # What mbsync or a delivery agent does: write to tmp/, rename into new/.
        (root / "tmp" / "1.msg").write_bytes(make_message(5, subject="Delivered locally"))
        (root / "tmp" / "1.msg").rename(root / "new" / "1.msg")
        await events.wait(new_mail_with("Delivered locally"), timeout=10)
        assert [m.subject for m in service.messages("INBOX")] == ["Delivered locally"]
    finally:
        await service.close()
