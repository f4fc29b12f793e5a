"""A big folder in its first seconds, when only its first rows are read (the rest of its
order still on the background thread): mark-all (`V`) acts on the whole folder, and the
server holds the result. A long list's reloads apply what changed instead of reading its
whole order again (core/account/order_changes.py)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.support.accounts import other_client, server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tui_mail.core.account import message_index
from tui_mail.core.store.cache import Store

SIZE = 30
HEAD = 5


def hold_background_orders(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Whole orders read on the background thread wait until the returned event is set
    (the seconds a million UIDs take, made as long as the test needs)."""
    release = threading.Event()
    original = Store.ordered_uids

    def held(self: Store, folder_id: int, **options: Any) -> list[int]:
        if options.get("limit", -1) == -1 and threading.current_thread().name.startswith(
            "ordering"
        ):
            release.wait(20)
        return original(self, folder_id, **options)

    monkeypatch.setattr(Store, "ordered_uids", held)
    return release


async def test_mark_all_in_a_big_folders_first_seconds_flags_the_whole_folder(
    dovecot: DovecotServer,
    mail_user: MailUser,
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"m{i}") for i in range(SIZE)])
    app = make_app(mail_user)
    async with app.run_test(size=(80, 24)) as pilot:  # fills the cache
        screen = await settled(pilot, app)
        assert len(screen.messages.source) == SIZE

    monkeypatch.setattr(message_index, "BACKGROUND_ORDER_OVER", 10)
    monkeypatch.setattr(message_index, "ORDER_HEAD", HEAD)
    release = hold_background_orders(monkeypatch)
    try:
        app = make_app(mail_user)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await settled(pilot, app)
            # Only the first rows are read: the rest of the order is still held back.
            assert len(screen.messages.source) == HEAD
            await pilot.press("V")
            await wait_for(pilot, lambda: f"{SIZE} marked" in screen.status.message)
            await pilot.press("exclamation_mark")
            await wait_for(pilot, lambda: "flagged" in screen.status.message.lower())
            await settled(pilot, app)
    finally:
        release.set()

    flags = server_flags(dovecot, mail_user, "INBOX")
    assert len(flags) == SIZE
    assert all(b"\\Flagged" in found for found in flags.values())


def count_whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every read of a folder's whole order, as one entry each."""
    reads: list[int] = []
    original = Store.ordered_uids

    def counted(self: Store, folder_id: int, **options: Any) -> list[int]:
        if options.get("limit", -1) == -1:
            reads.append(folder_id)
        return original(self, folder_id, **options)

    monkeypatch.setattr(Store, "ordered_uids", counted)
    return reads


async def test_new_mail_and_an_expunge_reach_a_long_list_without_reading_its_order_again(
    dovecot: DovecotServer,
    mail_user: MailUser,
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(message_index, "APPLY_OVER", 10)
    dovecot.deliver(mail_user, [make_message(i, subject=f"m{i}") for i in range(SIZE)])
    app = make_app(mail_user)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled(pilot, app)
        assert visible_rows(screen)[:2] == [f"m{SIZE - 1}", f"m{SIZE - 2}"]
        reads = count_whole_reads(monkeypatch)

        dovecot.deliver(mail_user, [make_message(SIZE, subject="fresh")])
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: visible_rows(screen)[:1] == ["fresh"])
        assert len(visible_rows(screen)) == SIZE + 1

        client = other_client(dovecot, mail_user)  # another client expunges two
        try:
            client.select_folder("INBOX")
            doomed = client.search(["SUBJECT", f"m{SIZE - 2}"]) + client.search(["SUBJECT", "m3"])
            client.delete_messages(doomed)
            client.expunge()
        finally:
            client.logout()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(visible_rows(screen)) == SIZE - 1)
        rows = visible_rows(screen)
        assert rows[:2] == ["fresh", f"m{SIZE - 1}"]
        assert f"m{SIZE - 2}" not in rows
        assert "m3" not in rows
        assert reads == []  # both reloads applied the change to the order in hand
