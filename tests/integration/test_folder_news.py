"""Folders made, renamed or removed elsewhere (another client, doveadm) reach the cache's
folder list, and so the tree, within 2 s on the suite's Dovecot (NOTIFY MailboxName);
without NOTIFY at the next LIST of the names.

The first test is a raw-socket transcript: what Dovecot 2.3.19 really sends for NOTIFY's
name events, which the watcher is written against (core/imap/notify_watch.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import select
import socket
import time
from collections.abc import Callable

from tests.integration.conftest import ServiceFactory
from tests.integration.test_idle import Recorder, new_mail_with
from tests.integration.test_notify_watch import NO_NOTIFY, account_watcher, start, within
from tests.support.accounts import imap_account, other_client
from tests.support.dovecot import DovecotFactory, DovecotServer, MailUser, make_message
from tui_mail.core.account.events import ConnectionState, Event, FoldersChanged
from tui_mail.core.account.service import AccountService
from tui_mail.core.imap.notify_watch import notify_command


class Transcript:
    """A raw IMAP connection: what is sent, and everything the server says."""

    def __init__(self, server: DovecotServer, user: MailUser) -> None:
        self.sock = socket.create_connection((server.host, server.imap_port), timeout=5)
        self.received = b""
        self.read(0.5)
        self.send(f"a LOGIN {user.name} {user.password}")

    def send(self, line: str) -> bytes:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.read(0.5)

    def read(self, seconds: float) -> bytes:
        """What arrives within `seconds`."""
        got = b""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if select.select([self.sock], [], [], left)[0]:
                data = self.sock.recv(65536)
                if not data:
                    break
                got += data
        self.received += got
        return got

    def until(self, wanted: bytes, seconds: float = 2.0) -> bytes:
        """What arrives until `wanted` is among it (at most `seconds`)."""
        got = b""
        deadline = time.monotonic() + seconds
        while wanted not in got and time.monotonic() < deadline:
            got += self.read(0.1)
        return got


def test_what_dovecot_sends_for_notify_name_events(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.create_folder(mail_user, "Lists")
    raw = Transcript(dovecot, mail_user)
    other = other_client(dovecot, mail_user)
    try:
        raw.send("b SELECT INBOX")
        answer = raw.send("d " + notify_command())
        assert b"OK NOTIFY completed" in answer
        raw.read(1.0)  # the first STATUS of each folder, then again (see notify_watch.py)
        assert b"+ idling" in raw.send("c IDLE")

        other.create_folder("New")
        assert raw.until(b"New") == b'* LIST () "/" New\r\n'
        other.rename_folder("New", "Renamed")
        assert raw.until(b"Renamed") == b'* LIST () "/" Renamed ("OLDNAME" (New))\r\n'
        other.delete_folder("Renamed")
        assert raw.until(b"Renamed") == b'* LIST (\\NonExistent) "/" Renamed\r\n'
        other.unsubscribe_folder("Lists")
        assert raw.until(b"Lists") == b'* LIST () "/" Lists\r\n'
        other.subscribe_folder("Lists")
        assert raw.until(b"Lists") == b'* LIST (\\Subscribed) "/" Lists\r\n'
        # An 8-bit name comes as a UTF-8 literal, not modified UTF-7: imapclient's
        # idle_check reads the literal as a second response and raises.
        other.create_folder("Café")
        assert raw.until("Café".encode()) == b'* LIST () "/" {5}\r\n' + "Café".encode() + b"\r\n"

        # doveadm: a create is told at once; a rename is not told at all, and the next
        # event may even name the folder by its old name (seen: `(\NonExistent) "/" Adm`
        # for Adm2 deleted; or `Adm2 ("OLDNAME" (Adm))` late). So events are only hints:
        # the watcher asks for the list itself (core/folders/changes.py).
        dovecot.doveadm("mailbox", "create", "-u", mail_user.name, "Adm")
        assert raw.until(b"Adm") == b'* LIST () "/" Adm\r\n'
        dovecot.doveadm("mailbox", "rename", "-u", mail_user.name, "Adm", "Adm2")
        assert raw.read(2.0) in (b"", b"* OK Still here\r\n")
        dovecot.doveadm("mailbox", "delete", "-u", mail_user.name, "Adm2")
        assert b"* LIST" in raw.until(b"NonExistent")
        raw.send("DONE")
    finally:
        other.logout()
        raw.sock.close()


def changed(condition: Callable[[FoldersChanged], bool]) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, FoldersChanged) and condition(e)


def names(service: AccountService) -> set[str]:
    return {folder.name for folder in service.store.folders()}


async def test_folders_made_renamed_and_removed_elsewhere_reach_the_cache_within_two_seconds(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.create_folder(mail_user, "Lists")
    dovecot.deliver(mail_user, [make_message(i, subject=f"L{i}") for i in range(3)], "Lists")
    events = await start(service, ["INBOX", "Lists"])
    client = other_client(dovecot, mail_user)
    try:
        client.create_folder("Projects")
        await events.wait(changed(lambda e: e.changes.added == ("Projects",)), timeout=2.0)
        assert "Projects" in names(service)

        # A renamed folder keeps its cached messages under the new name: no new download.
        client.rename_folder("Lists", "Old lists")
        event = await events.wait(changed(lambda e: bool(e.changes.renamed)), timeout=2.0)
        assert isinstance(event, FoldersChanged)
        assert event.changes.renamed == (("Lists", "Old lists"),)
        assert "Lists" not in names(service)
        assert {m.subject for m in service.messages("Old lists")} == {"L0", "L1", "L2"}

        client.delete_folder("Projects")
        await events.wait(changed(lambda e: e.changes.removed == ("Projects",)), timeout=2.0)
        assert "Projects" not in names(service)

        # doveadm (the administrator, a server-side script) as well.
        dovecot.doveadm("mailbox", "create", "-u", mail_user.name, "FromAdmin")
        await events.wait(changed(lambda e: e.changes.added == ("FromAdmin",)), timeout=2.0)
        dovecot.doveadm("mailbox", "delete", "-u", mail_user.name, "FromAdmin")
        await events.wait(changed(lambda e: e.changes.removed == ("FromAdmin",)), timeout=2.0)

        # An 8-bit name (a literal in the event) neither drops the connection nor is lost.
        client.create_folder("Grüße")
        await events.wait(changed(lambda e: e.changes.added == ("Grüße",)), timeout=2.0)
        assert not [e for e in events.events if isinstance(e, ConnectionState)][1:]
    finally:
        client.logout()
    service.stop_watching()


async def test_a_rename_by_doveadm_dovecot_does_not_tell_is_found_when_idle_is_renewed(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.create_folder(mail_user, "Adm")
    events = await start(service, ["INBOX"])
    watcher = account_watcher(service)
    watcher.idle_interval = 1.0  # renewed every 9 minutes by default
    watcher.names_interval = 0.5  # at most every 5 minutes by default
    client = other_client(dovecot, mail_user)
    try:  # new mail ends the first IDLE (the one with 9 minutes to go); names looked at
        client.append("INBOX", make_message(1, subject="Ends the first IDLE"))
    finally:
        client.logout()
    await events.wait(new_mail_with("Ends the first IDLE"))
    await asyncio.sleep(0.5)
    dovecot.doveadm("mailbox", "rename", "-u", mail_user.name, "Adm", "Adm2")
    # Seen as one folder gone and another made: Dovecot never sent the OLDNAME.
    await events.wait(
        changed(lambda e: e.changes.added == ("Adm2",) and e.changes.removed == ("Adm",)),
        timeout=4.0,
    )
    service.stop_watching()


async def test_a_subscription_change_alone_changes_no_folder(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.create_folder(mail_user, "Lists")
    events = await start(service, ["INBOX"])
    client = other_client(dovecot, mail_user)
    try:
        client.unsubscribe_folder("Lists")
        await within(2.0, lambda: not _subscribed(service, "Lists"))
        client.create_folder("Marker")  # then something that is news
        await events.wait(changed(lambda e: e.changes.added == ("Marker",)), timeout=2.0)
    finally:
        client.logout()
    news = [e for e in events.events if isinstance(e, FoldersChanged)]
    assert [e.changes.added for e in news] == [("Marker",)]
    service.stop_watching()


def _subscribed(service: AccountService, name: str) -> bool:
    return any(f.subscribed for f in service.store.folders() if f.name == name)


async def test_without_notify_a_list_of_the_names_notices_new_and_removed_folders(
    dovecot_factory: DovecotFactory, make_service: ServiceFactory
) -> None:
    server = dovecot_factory(capabilities=NO_NOTIFY)
    user = server.add_user()
    account = dataclasses.replace(imap_account(server, user), status_interval_seconds=1)
    service = make_service(account, user)
    events: Recorder = await start(service, ["INBOX"])
    watcher = account_watcher(service)
    assert watcher.notifying is False
    watcher.list_every = 2  # every 2 s here; every 5 minutes by default
    client = other_client(server, user)
    try:
        client.create_folder("Projects")
        await events.wait(changed(lambda e: e.changes.added == ("Projects",)), timeout=4.0)
        client.rename_folder("Projects", "Done")
        # Without OLDNAME a rename is a folder removed and one made.
        await events.wait(
            changed(lambda e: e.changes.added == ("Done",) and e.changes.removed == ("Projects",)),
            timeout=4.0,
        )
        assert {"Done", "INBOX"} <= names(service) and "Projects" not in names(service)
    finally:
        client.logout()
    service.stop_watching()
