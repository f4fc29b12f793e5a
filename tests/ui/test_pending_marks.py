"""Triage done offline is marked on its row until the server has it."""

from __future__ import annotations

from tests.support.accounts import server_flags
from tests.support.dovecot import DovecotFactory, make_message
from tests.ui.conftest import AppFactory, settled, wait_for
from tui_mail.ui.main.message_list import PENDING_MARK
from tui_mail.ui.main.screen import MainScreen


def drawn(screen: MainScreen, index: int) -> str:
    """Row `index` as it is on screen (the list starts at the top)."""
    return screen.messages.render_line(index).text


async def test_a_flag_set_offline_is_marked_pending_until_the_queue_replays(
    dovecot_factory: DovecotFactory, make_app: AppFactory
) -> None:
    server = dovecot_factory()  # our own: this test stops it
    user = server.add_user()
    server.deliver(user, [make_message(i, subject=f"M{i}", in_reply_to="", references="")
                          for i in range(3)])  # fmt: skip
    app = make_app(user, server=server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await wait_for(pilot, lambda: screen.status.state("work") == "idling")
        assert PENDING_MARK not in drawn(screen, 0)

        server.stop()
        await wait_for(pilot, lambda: screen.status.state("work") == "offline")
        await pilot.press("exclamation_mark")  # flag M2, the top row
        await wait_for(pilot, lambda: PENDING_MARK in drawn(screen, 0))
        assert "M2" in drawn(screen, 0)
        assert PENDING_MARK not in drawn(screen, 1)

        server.start()
        app.services["work"].reconnect_now()
        await wait_for(pilot, lambda: PENDING_MARK not in drawn(screen, 0))
        assert "!" in drawn(screen, 0)[:2]
        uid = screen.messages.current.uid if screen.messages.current else 0
    assert b"\\Flagged" in server_flags(server, user, "INBOX")[uid]
