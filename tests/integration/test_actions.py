"""Triage actions: what the server holds afterwards, and what the cache shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from tests.integration.conftest import ServiceFactory
from tests.support import both_wires
from tests.support.accounts import (
    imap_account,
    other_client,
    server_flags,
    server_subjects,
    without,
)
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.core.account.service import AccountService
from tui_mail.core.errors import UsageError
from tui_mail.core.models import Flag

# Each test runs on the plain server and on one that compresses (COMPRESS=DEFLATE).
wire = both_wires.wire
dovecot = both_wires.dovecot


async def synced(service: AccountService, server: DovecotServer, user: MailUser,
                 count: int = 5) -> list[int]:  # fmt: skip
    server.deliver(user, [make_message(i, subject=f"Message {i}") for i in range(count)])
    await service.sync("INBOX")
    return sorted(m.uid for m in service.messages("INBOX"))


async def test_read_unread_flag_unflag(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    uids = await synced(service, dovecot, mail_user)
    await service.set_flag("INBOX", uids[:2], Flag.SEEN, on=True)
    await service.set_flag("INBOX", [uids[2]], Flag.FLAGGED, on=True)
    await service.set_flag("INBOX", [uids[3]], Flag.ANSWERED, on=True)
    flags = server_flags(dovecot, mail_user, "INBOX")
    assert [b"\\Seen" in flags[u] for u in uids] == [True, True, False, False, False]
    assert b"\\Flagged" in flags[uids[2]]
    assert b"\\Answered" in flags[uids[3]]
    cached = service.summary("INBOX", uids[0])
    assert cached is not None and cached.seen

    await service.set_flag("INBOX", [uids[0]], Flag.SEEN, on=False)
    await service.set_flag("INBOX", [uids[2]], Flag.FLAGGED, on=False)
    flags = server_flags(dovecot, mail_user, "INBOX")
    assert b"\\Seen" not in flags[uids[0]]
    assert b"\\Flagged" not in flags[uids[2]]


async def test_move_with_the_move_extension(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    uids = await synced(service, dovecot, mail_user)
    dovecot.create_folder(mail_user, "Projects")
    await service.move("INBOX", uids[:2], "Projects")
    assert sorted(server_subjects(dovecot, mail_user, "Projects")) == [
        "Subject: Message 0", "Subject: Message 1"
    ]  # fmt: skip
    assert len(server_flags(dovecot, mail_user, "INBOX")) == 3
    assert len(service.messages("INBOX")) == 3


@pytest.mark.parametrize(
    "hidden", [("MOVE",), ("MOVE", "UIDPLUS")], ids=["copy+uid-expunge", "copy+expunge"]
)
async def test_move_without_move_never_expunges_other_deleted_messages(
    dovecot_factory: Callable[..., DovecotServer],
    make_service: ServiceFactory,
    hidden: tuple[str, ...],
) -> None:
    server = dovecot_factory(capabilities=without(*hidden))
    user = server.add_user()
    service = make_service(imap_account(server, user), user)
    uids = await synced(service, server, user)
    server.create_folder(user, "Projects")
    # The user (in another client) marked a message \Deleted but did not expunge it.
    client = other_client(server, user)
    client.select_folder("INBOX")
    client.add_flags([uids[4]], [b"\\Deleted"])
    client.logout()

    await service.move("INBOX", [uids[0]], "Projects")

    inbox = server_flags(server, user, "INBOX")
    assert uids[0] not in inbox
    assert b"\\Deleted" in inbox[uids[4]]  # still there, still marked
    assert server_subjects(server, user, "Projects") == ["Subject: Message 0"]


async def test_delete_moves_to_trash_then_deletes_for_good(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    uids = await synced(service, dovecot, mail_user, 2)
    assert await service.delete("INBOX", [uids[0]]) == "Trash"
    assert server_subjects(dovecot, mail_user, "Trash") == ["Subject: Message 0"]
    assert len(server_flags(dovecot, mail_user, "INBOX")) == 1

    await service.sync("Trash")
    (in_trash,) = service.messages("Trash")
    assert await service.delete("Trash", [in_trash.uid]) is None
    assert server_flags(dovecot, mail_user, "Trash") == {}


async def test_archive(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    uids = await synced(service, dovecot, mail_user, 3)
    assert await service.archive("INBOX", uids[1:]) == "Archive"
    assert sorted(server_subjects(dovecot, mail_user, "Archive")) == [
        "Subject: Message 1", "Subject: Message 2"
    ]  # fmt: skip


async def test_archive_without_an_archive_folder_says_so(
    dovecot: DovecotServer, make_service: ServiceFactory
) -> None:
    user = dovecot.add_user(auto_folders=["Drafts", "Sent", "Trash", "Junk"])
    service = make_service(imap_account(dovecot, user), user)
    uids = await synced(service, dovecot, user, 1)
    with pytest.raises(UsageError, match="no Archive folder"):
        await service.archive("INBOX", uids)
    assert len(server_flags(dovecot, user, "INBOX")) == 1  # nothing moved anywhere


async def test_append_with_flags_and_date(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    when = datetime(2025, 6, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    uid = await service.append("Drafts", make_message(1, subject="Draft"), (Flag.DRAFT,), when)
    assert uid is not None
    client = other_client(dovecot, mail_user)
    try:
        client.normalise_times = False  # keep the zone so the comparison is exact
        client.select_folder("Drafts", readonly=True)
        data = client.fetch([uid], ["FLAGS", "INTERNALDATE"])[uid]
    finally:
        client.logout()
    assert b"\\Draft" in data[b"FLAGS"]
    assert data[b"INTERNALDATE"] == when


async def test_server_side_search(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.deliver(mail_user, [
        make_message(1, subject="Quarterly report", from_="Alice <alice@example.org>",
                     date="Mon, 05 Feb 2024 10:00:00 +0000", body="numbers inside"),
        make_message(2, subject="Lunch?", from_="Bob <bob@example.org>",
                     date="Mon, 04 Mar 2024 10:00:00 +0000", body="pizza"),
        make_message(3, subject="Café plans", from_="Chloé <chloe@example.org>",
                     date="Mon, 01 Apr 2024 10:00:00 +0000", body="croissants"),
    ], flags=lambda i: "SF" if i == 1 else "")  # fmt: skip
    await service.sync("INBOX")

    async def subjects(query: str) -> list[str]:
        return sorted(m.subject for m in await service.search("INBOX", query))

    assert await subjects("from:alice") == ["Quarterly report"]
    assert await subjects("subject:lunch") == ["Lunch?"]
    assert await subjects("pizza") == ["Lunch?"]
    assert await subjects("body:croissants") == ["Café plans"]
    assert await subjects("Café") == ["Café plans"]
    assert await subjects("is:unread") == ["Café plans", "Quarterly report"]
    assert await subjects("is:flagged") == ["Lunch?"]
    assert await subjects("since:2024-03-01 before:2024-03-31") == ["Lunch?"]
    assert await subjects("from:nobody") == []
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        await service.search("INBOX", "since:yesterday")


async def test_folders_with_roles_counts_and_changes(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.deliver(mail_user, [make_message(i) for i in range(4)], flags=lambda i: "S" * (i % 2))
    folders = {f.name: f for f in await service.refresh_folders()}
    assert [f.name for f in service.cached_folders()][:6] == [
        "INBOX", "Drafts", "Sent", "Archive", "Junk", "Trash"
    ]  # fmt: skip
    assert folders["INBOX"].total == 4 and folders["INBOX"].unseen == 2
    assert folders["Sent"].role is not None and folders["Sent"].role.value == "sent"

    await service.create_folder("Projects/2026")
    folders = {f.name: f for f in await service.refresh_folders()}
    assert folders["Projects/2026"].delimiter == "/"
    assert folders["Projects/2026"].display_name == "2026"
    assert folders["Projects/2026"].subscribed

    await service.rename_folder("Projects/2026", "Projects/Done")
    await service.delete_folder("Projects/Done")
    names = {f.name for f in await service.refresh_folders()}
    assert "Projects/Done" not in names and "Projects/2026" not in names


async def test_folder_counts_without_list_status(
    dovecot_factory: Callable[..., DovecotServer], make_service: ServiceFactory
) -> None:
    server = dovecot_factory(capabilities=without("LIST-STATUS"))
    user = server.add_user()
    server.deliver(user, [make_message(i) for i in range(3)], flags="S")
    service = make_service(imap_account(server, user), user)
    folders = {f.name: f for f in await service.refresh_folders()}
    assert (folders["INBOX"].total, folders["INBOX"].unseen) == (3, 0)
