"""Every subscribed folder watched over one connection: NOTIFY where Dovecot offers it,
LIST-STATUS / STATUS at an interval where it does not (imap_capability without NOTIFY).

What the user sees: a change another client makes in a folder that is not the INBOX
reaches the folder's cached counts (what the tree shows) and its cached list, and the
server holds one watcher connection for it, not one per folder."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

from tests.integration.conftest import ServiceFactory
from tests.integration.test_counts import cached, status
from tests.integration.test_idle import Recorder, new_mail_with, state_is
from tests.support.accounts import imap_account, other_client
from tests.support.dovecot import (
    DEFAULT_CAPABILITIES,
    DovecotFactory,
    DovecotServer,
    MailUser,
    make_message,
)
from tui_mail.core.account.events import ConnectionState, CountsChanged
from tui_mail.core.account.service import AccountService
from tui_mail.core.imap.notify_watch import AccountWatcher

NO_NOTIFY = DEFAULT_CAPABILITIES.replace(" NOTIFY", "")
NO_NOTIFY_NO_LIST_STATUS = NO_NOTIFY.replace(" LIST-STATUS", "")


def imap_sessions(server: DovecotServer, user: MailUser) -> int:
    """The user's IMAP connections as the server counts them (`doveadm who`)."""
    for line in server.doveadm("who").splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == user.name and fields[2] == "imap":
            return int(fields[1])
    return 0


async def settled_sessions(server: DovecotServer, user: MailUser, expected: int) -> int:
    """The count once it stops moving (a logged-out client's process takes a moment)."""
    deadline = time.monotonic() + 5
    count = imap_sessions(server, user)
    while count != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        count = imap_sessions(server, user)
    return count


async def within(seconds: float, condition: Callable[[], bool]) -> float:
    """Waits until `condition()`; returns how long it took, failing after `seconds`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def counts_match(
    service: AccountService, server: DovecotServer, user: MailUser, folder: str
) -> Callable[[], bool]:
    wanted = status(server, user, [folder])
    return lambda: cached(service, [folder]) == wanted


def account_watcher(service: AccountService) -> AccountWatcher:
    found = [w for w in service.watching._watchers if isinstance(w, AccountWatcher)]
    assert len(found) == 1
    return found[0]


async def start(service: AccountService, folders: list[str]) -> Recorder:
    await service.refresh_folders()
    for folder in folders:
        await service.sync(folder)
    events = Recorder(service)
    service.start_watching()
    await events.wait(state_is("idling"))
    return events


async def changes_reach_counts_and_lists(
    server: DovecotServer, user: MailUser, service: AccountService, events: Recorder, limit: float
) -> None:
    """APPEND, STORE \\Seen and EXPUNGE by another client in Lists (open, cached) and an
    APPEND in Archive (never opened) each reach the cache within `limit` seconds."""
    client = other_client(server, user)
    try:
        client.append("Lists", make_message(10, subject="Into Lists"))
        await events.wait(new_mail_with("Into Lists"), timeout=limit)
        await within(limit, counts_match(service, server, user, "Lists"))
        assert cached(service, ["Lists"]) == {"Lists": (3, 3)}

        client.select_folder("Lists")
        first = min(client.search(["ALL"]))
        client.add_flags([first], [b"\\Seen"])
        await within(limit, lambda: cached(service, ["Lists"]) == {"Lists": (3, 2)})
        seen = service.summary("Lists", first)
        assert seen is not None and seen.seen

        client.delete_messages([first])
        client.expunge()
        await within(limit, lambda: cached(service, ["Lists"]) == {"Lists": (2, 2)})
        assert first not in {m.uid for m in service.messages("Lists")}

        counted = len(events.events)
        client.append("Archive", make_message(11, subject="Filed by a rule"))
        await events.wait(
            lambda e: (
                e in events.events[counted:]
                and isinstance(e, CountsChanged)
                and "Archive" in e.folders
            ),
            timeout=limit,
        )
        assert cached(service, ["Archive"]) == {"Archive": (1, 1)}
    finally:
        client.logout()


def fill(server: DovecotServer, user: MailUser) -> None:
    server.create_folder(user, "Lists")  # created subscribed, like Archive (auto)
    server.deliver(user, [make_message(i, subject=f"L{i}") for i in range(2)], folder="Lists")


async def test_notify_one_connection_hears_every_subscribed_folder_within_two_seconds(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    fill(dovecot, mail_user)
    events = await start(service, ["INBOX", "Lists"])
    assert account_watcher(service).notifying is True
    # The service's command connection and the one watcher: nothing per folder.
    assert await settled_sessions(dovecot, mail_user, 2) == 2

    await changes_reach_counts_and_lists(dovecot, mail_user, service, events, limit=2.0)
    assert await settled_sessions(dovecot, mail_user, 2) == 2
    service.stop_watching()


async def test_idle_folders_stand_down_where_notify_covers_them(
    dovecot: DovecotServer, mail_user: MailUser, make_service: ServiceFactory
) -> None:
    fill(dovecot, mail_user)
    dovecot.create_folder(mail_user, "Unlisted")
    client = other_client(dovecot, mail_user)
    client.unsubscribe_folder("Unlisted")
    client.logout()
    account = dataclasses.replace(imap_account(dovecot, mail_user), idle_folders=("Unlisted",))
    service = make_service(account, mail_user)
    events = await start(service, ["INBOX", "Unlisted"])
    assert await settled_sessions(dovecot, mail_user, 2) == 2

    client = other_client(dovecot, mail_user)
    try:
        client.append("Unlisted", make_message(12, subject="Watched though unsubscribed"))
    finally:
        client.logout()
    await events.wait(new_mail_with("Watched though unsubscribed"), timeout=2.0)
    service.stop_watching()


async def test_without_notify_list_status_checks_every_interval_over_one_connection(
    dovecot_factory: DovecotFactory, make_service: ServiceFactory
) -> None:
    server = dovecot_factory(capabilities=NO_NOTIFY)
    user = server.add_user()
    fill(server, user)
    account = dataclasses.replace(imap_account(server, user), status_interval_seconds=1)
    service = make_service(account, user)
    events = await start(service, ["INBOX", "Lists"])
    assert account_watcher(service).notifying is False
    assert await settled_sessions(server, user, 2) == 2

    # One interval (1 s), the sync and the STATUS after it.
    await changes_reach_counts_and_lists(server, user, service, events, limit=3.0)
    assert await settled_sessions(server, user, 2) == 2
    service.stop_watching()


async def test_without_notify_or_list_status_each_folder_gets_a_status(
    dovecot_factory: DovecotFactory, make_service: ServiceFactory
) -> None:
    server = dovecot_factory(capabilities=NO_NOTIFY_NO_LIST_STATUS)
    user = server.add_user()
    fill(server, user)
    account = dataclasses.replace(imap_account(server, user), status_interval_seconds=1)
    service = make_service(account, user)
    events = await start(service, ["INBOX", "Lists"])
    assert await settled_sessions(server, user, 2) == 2
    await changes_reach_counts_and_lists(server, user, service, events, limit=3.0)
    service.stop_watching()


async def test_kicked_watcher_comes_back_and_catches_up_on_other_folders(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    fill(dovecot, mail_user)
    events = await start(service, ["INBOX", "Lists"])
    watcher = account_watcher(service)
    watcher.backoff.minimum = watcher.backoff.maximum = 0.5  # not up to 2 s of jitter

    dovecot.kick(mail_user)
    await events.wait(
        lambda e: isinstance(e, ConnectionState) and e.state.startswith("reconnecting in")
    )
    # Mail filed while the watcher is away is caught up on by NOTIFY SET STATUS.
    client = other_client(dovecot, mail_user)
    try:
        client.append("Lists", make_message(13, subject="While away"))
    finally:
        client.logout()
    counted = len(events.events)
    await events.wait(lambda e: e in events.events[counted:] and state_is("idling")(e))
    await events.wait(new_mail_with("While away"), timeout=5)
    await within(2.0, counts_match(service, dovecot, mail_user, "Lists"))

    # And the new connection hears the next change as the first did.
    client = other_client(dovecot, mail_user)
    try:
        client.append("Lists", make_message(14, subject="After the kick"))
    finally:
        client.logout()
    await events.wait(new_mail_with("After the kick"), timeout=2.0)
    service.stop_watching()


def test_doveadm_who_counts_what_the_tests_count(dovecot: DovecotServer) -> None:
    """The count the tests above rely on moves with a connection (so they can fail)."""
    user = dovecot.add_user()
    assert imap_sessions(dovecot, user) == 0
    client = other_client(dovecot, user)
    try:
        assert imap_sessions(dovecot, user) == 1
    finally:
        client.logout()
