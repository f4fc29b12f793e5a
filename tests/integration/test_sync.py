"""Folder sync against the real server, on every path the server's capabilities lead to."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from tests.integration.conftest import ServiceFactory
from tests.support import both_wires
from tests.support.accounts import imap_account, other_client, server_flags, without
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.core.account.service import AccountService
from tui_mail.core.models import Flag

# Each test runs on the plain server and on one that compresses (COMPRESS=DEFLATE).
wire = both_wires.wire
dovecot = both_wires.dovecot


def deliver(server: DovecotServer, user: MailUser, count: int, start: int = 0, **kw: str) -> None:
    server.deliver(user, (make_message(start + i, **kw) for i in range(count)))


async def test_first_sync_matches_the_server(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.deliver(
        mail_user,
        [make_message(i) for i in range(30)],
        flags=lambda i: "S" if i % 2 else ("F" if i % 5 == 0 else ""),
    )
    progress: list[tuple[int, int]] = []
    result = await service.sync("INBOX", lambda done, total: progress.append((done, total)))

    assert (result.method, result.new, result.total) == ("full", 30, 30)
    assert result.unseen == 15
    assert progress and progress[-1] == (30, 30)
    cached = {m.uid: m for m in service.messages("INBOX")}
    on_server = server_flags(dovecot, mail_user, "INBOX")
    assert set(cached) == set(on_server)
    for uid, flags in on_server.items():
        assert cached[uid].seen == (b"\\Seen" in flags)
        assert cached[uid].flagged == (b"\\Flagged" in flags)


async def test_newest_first_and_decoded_fields(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.deliver(mail_user, [
        make_message(1, subject="Older", date="Mon, 01 Jan 2024 10:00:00 +0000"),
        make_message(2, subject="Grüße aus Köln", from_="Jörg Müller <j@example.de>",
                     date="Tue, 02 Jan 2024 10:00:00 +0000"),
    ])  # fmt: skip
    await service.sync("INBOX")
    newest, oldest = service.messages("INBOX")
    assert (newest.subject, newest.from_name, newest.from_addr) == (
        "Grüße aus Köln", "Jörg Müller", "j@example.de"
    )  # fmt: skip
    assert newest.date == 1704189600
    assert oldest.subject == "Older"


async def test_second_sync_fetches_only_new_messages(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    deliver(dovecot, mail_user, 10)
    await service.sync("INBOX")
    deliver(dovecot, mail_user, 3, start=10)
    result = await service.sync("INBOX")
    assert (result.new, result.total) == (3, 13)
    assert len(result.new_uids) == 3
    unchanged = await service.sync("INBOX")
    assert (unchanged.method, unchanged.new) == ("unchanged", 0)


def _change_elsewhere(server: DovecotServer, user: MailUser, action: Callable[..., object]) -> None:
    client = other_client(server, user)
    try:
        client.select_folder("INBOX")
        action(client)
    finally:
        client.logout()


@pytest.mark.parametrize(
    ("capabilities", "method"),
    [
        (None, "qresync"),  # Dovecot as it is
        (without("QRESYNC"), "condstore"),  # like Gmail
        (without("QRESYNC", "CONDSTORE"), "diff"),  # like Exchange Online
    ],
)
async def test_other_clients_flag_changes_and_expunges_are_picked_up(
    dovecot_factory: Callable[..., DovecotServer],
    make_service: ServiceFactory,
    capabilities: str | None,
    method: str,
) -> None:
    server = dovecot_factory(capabilities=capabilities) if capabilities else dovecot_factory()
    user = server.add_user()
    deliver(server, user, 20)
    service = make_service(imap_account(server, user), user)
    await service.sync("INBOX")
    uids = [m.uid for m in service.messages("INBOX")]
    flag_me, expunge_me = uids[3], uids[7]

    def change(client: object) -> None:
        client.add_flags([flag_me], [b"\\Flagged", b"\\Seen"])  # type: ignore[attr-defined]
        client.delete_messages([expunge_me])  # type: ignore[attr-defined]
        client.uid_expunge([expunge_me])  # type: ignore[attr-defined]

    _change_elsewhere(server, user, change)
    result = await service.sync("INBOX")

    assert result.method == method
    assert (result.flags_changed, result.vanished, result.total) == (1, 1, 19)
    changed = service.summary("INBOX", flag_me)
    assert changed is not None and changed.flagged and changed.seen
    assert service.summary("INBOX", expunge_me) is None


async def test_uidvalidity_change_drops_the_folders_cache(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.deliver(mail_user, [make_message(i) for i in range(5)], folder="Lists")
    first = await service.sync("Lists")
    assert first.total == 5
    dovecot.doveadm("mailbox", "update", "-u", mail_user.name, "--uid-validity", "4242", "Lists")
    result = await service.sync("Lists")
    assert result.cache_reset
    assert result.total == 5
    assert service.store.sync_state("Lists").uidvalidity == 4242


async def test_twenty_thousand_messages(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    rng = random.Random(7)
    letters = ["", "S", "SF", "R", "S"]
    chosen = [rng.choice(letters) for _ in range(20_000)]
    dovecot.deliver(mail_user, (make_message(i) for i in range(20_000)), flags=lambda i: chosen[i])
    result = await service.sync("INBOX")

    assert (result.total, result.new) == (20_000, 20_000)
    assert result.unseen == sum("S" not in c for c in chosen)
    assert len(service.messages("INBOX", unread_only=True)) == result.unseen
    flagged = [m for m in service.messages("INBOX") if m.flagged]
    assert len(flagged) == chosen.count("SF")
    # A sample of subjects against what the server itself says.
    sample = rng.sample(service.messages("INBOX"), 25)
    client = other_client(dovecot, mail_user)
    try:
        client.select_folder("INBOX", readonly=True)
        fetched = client.fetch([m.uid for m in sample], ["ENVELOPE"])
    finally:
        client.logout()
    from tui_mail.core.message.charsets import decode_encoded_words  # noqa: PLC0415

    for message in sample:
        envelope = fetched[message.uid][b"ENVELOPE"]
        assert message.subject == decode_encoded_words((envelope.subject or b"").decode())
    # and a re-sync with nothing changed does nothing
    again = await service.sync("INBOX")
    assert (again.method, again.new, again.vanished) == ("unchanged", 0, 0)


async def test_bodies_are_fetched_on_demand_and_cached(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.deliver(mail_user, [make_message(1, body="The body text.")])
    await service.sync("INBOX")
    (message,) = service.messages("INBOX")
    folder_id = service.store.folder_id("INBOX")
    assert service.store.body(folder_id, message.uid) is None
    raw = await service.fetch_raw("INBOX", message.uid)
    assert b"The body text." in raw
    assert service.store.body(folder_id, message.uid) == raw
    # Fetching did not mark it read on the server (BODY.PEEK).
    assert b"\\Seen" not in server_flags(dovecot, mail_user, "INBOX")[message.uid]


async def test_large_bodies_are_not_cached(
    dovecot: DovecotServer, mail_user: MailUser, make_service: ServiceFactory
) -> None:
    dovecot.deliver(mail_user, [make_message(1, body="x" * 5000)])
    service = make_service(imap_account(dovecot, mail_user, body_cache_max_bytes=1000), mail_user)
    await service.sync("INBOX")
    (message,) = service.messages("INBOX")
    assert len(await service.fetch_raw("INBOX", message.uid)) > 5000
    assert service.store.body(service.store.folder_id("INBOX"), message.uid) is None


async def test_the_list_is_read_from_the_cache_without_the_server(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    deliver(dovecot, mail_user, 5)
    await service.sync("INBOX")
    dovecot.kick(mail_user)  # the service's connection is gone; the list does not need it
    listed = service.messages("INBOX", limit=3)
    assert len(listed) == 3
    assert all(Flag.SEEN not in m.flags for m in listed)


async def test_the_newest_messages_arrive_before_the_rest(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    """A list can show the top of a big folder while the rest is still being fetched."""
    deliver(dovecot, mail_user, 3000)
    seen_at_first_commit: list[int] = []

    def progress(done: int, total: int) -> None:
        if not seen_at_first_commit:
            folder_id = service.store.folder_id("INBOX")
            seen_at_first_commit.extend(service.store.uids(folder_id))

    await service.sync("INBOX", progress)
    all_uids = sorted(m.uid for m in service.messages("INBOX"))
    assert len(all_uids) == 3000
    assert seen_at_first_commit == all_uids[-200:]  # exactly the newest 200, nothing older
