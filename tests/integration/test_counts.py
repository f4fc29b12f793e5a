"""Folder counts and new-mail announcements against the real Dovecot: counts shift at
once (also offline) and end equal to the server's STATUS; what the account did itself
(replayed offline moves, its own sent mail) is not announced as new mail."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from tests.integration.conftest import ServiceFactory
from tests.integration.test_idle import Recorder, new_mail_with, state_is
from tests.support.accounts import imap_account, other_client
from tests.support.dovecot import DovecotFactory, DovecotServer, MailUser, make_message
from tui_mail.core.account.events import NewMail, PendingChanged
from tui_mail.core.account.service import AccountService
from tui_mail.core.models import Flag


def status(server: DovecotServer, user: MailUser, folders: list[str]) -> dict[str, Any]:
    client = other_client(server, user)
    try:
        return {
            f: tuple(client.folder_status(f, [b"MESSAGES", b"UNSEEN"]).values()) for f in folders
        }
    finally:
        client.logout()


def cached(service: AccountService, folders: list[str]) -> dict[str, Any]:
    """(total, unseen) as the cache holds them: what the tree and `folders --cached` show."""
    counts = {f.name: (f.total, f.unseen) for f in service.cached_folders()}
    return {f: counts.get(f) for f in folders}


async def test_offline_counts_shift_at_once_and_the_replayed_delete_is_no_news(
    dovecot_factory: DovecotFactory, make_service: ServiceFactory
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    server.deliver(user, [make_message(i, subject=f"M{i}") for i in range(4)])
    service = make_service(imap_account(server, user), user)
    await service.refresh_folders()
    await service.sync("INBOX")
    await service.sync("Trash")  # a synced Trash is synced again after the replay
    uids = {m.subject: m.uid for m in service.messages("INBOX")}
    events = Recorder(service)
    announced: list[Any] = []
    service.notifier.new_mail = lambda folder, messages: announced.append((folder, messages))  # type: ignore[method-assign]
    service.start_watching()
    await events.wait(state_is("idling"))

    server.stop()
    await events.wait(state_is("offline"))
    await service.set_flag("INBOX", [uids["M0"]], Flag.SEEN, on=True)
    assert service.offline and service.pending_count() == 1
    assert cached(service, ["INBOX"]) == {"INBOX": (4, 3)}
    assert await service.delete("INBOX", [uids["M1"], uids["M2"]]) == "Trash"
    assert cached(service, ["INBOX", "Trash"]) == {"INBOX": (2, 1), "Trash": (2, 2)}
    await service.archive("INBOX", [uids["M3"]])
    assert cached(service, ["INBOX", "Archive"]) == {"INBOX": (1, 0), "Archive": (1, 1)}

    server.start()
    service.reconnect_now()
    await events.wait(lambda e: isinstance(e, PendingChanged) and e.count == 0, 15)
    folders = ["INBOX", "Trash", "Archive"]
    for _ in range(100):  # the replay's syncs and STATUS run on the worker after it
        if cached(service, folders) == status(server, user, folders):
            break
        await asyncio.sleep(0.05)
    assert cached(service, folders) == status(server, user, folders)
    await asyncio.sleep(1.0)  # the Trash sync the replay scheduled has run
    assert {m.subject for m in service.messages("Trash")} == {"M1", "M2"}
    assert not [e for e in events.events if isinstance(e, NewMail)]
    assert announced == []
    service.stop_watching()


async def test_own_mail_and_sent_copies_are_not_announced(
    dovecot: DovecotServer, mail_user: MailUser, make_service: ServiceFactory
) -> None:
    account = dataclasses.replace(
        imap_account(dovecot, mail_user), aliases=("me@alias.test",), idle_folders=("Sent",)
    )
    service = make_service(account, mail_user)
    await service.refresh_folders()
    await service.sync("INBOX")
    await service.sync("Sent")
    events = Recorder(service)
    announced: list[str] = []
    service.notifier.new_mail = lambda folder, messages: announced.extend(  # type: ignore[method-assign]
        m.subject for m in messages
    )
    service.start_watching()
    await events.wait(state_is("idling"))

    client = other_client(dovecot, mail_user)
    try:
        # A Bcc to oneself and a reply from an alias land in INBOX; another client files
        # a Sent copy; then a stranger writes.
        client.append("INBOX", make_message(1, subject="To myself", from_=account.email))
        client.append("INBOX", make_message(2, subject="From my alias", from_="Me <ME@alias.test>"))
        client.append("Sent", make_message(3, subject="Filed copy", from_="Someone <x@y.test>"))
        await asyncio.sleep(1.5)
        client.append("INBOX", make_message(4, subject="From a stranger"))
    finally:
        client.logout()
    await events.wait(new_mail_with("From a stranger"))
    await asyncio.sleep(0.5)
    announced_events = [
        m.subject for e in events.events if isinstance(e, NewMail) for m in e.messages
    ]
    assert announced_events == ["From a stranger"]
    assert announced == ["From a stranger"]
    assert {m.subject for m in service.messages("Sent")} == {"Filed copy"}  # it did arrive
    service.stop_watching()
