"""A big folder in its first seconds, when only its first rows are read (the rest of its
order still on the background thread): mark-all (`V`) acts on the whole folder, and the
server holds the result."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.support.accounts import server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, wait_for
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
