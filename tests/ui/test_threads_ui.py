"""The threaded view (T) against the real Dovecot: tree lines, the cursor kept, new
replies joining their thread, and the choice remembered."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, wait_for
from tui_mail.ui.main.screen import MainScreen


def message(i: int, subject: str, *, refs: str = "") -> bytes:
    """Message `i` (dates follow i) with id <i@t>, answering `refs` (empty: none)."""
    last = refs.rsplit(maxsplit=1)[-1] if refs else ""
    return make_message(
        i, subject=subject, message_id=f"<{i}@t>", references=refs, in_reply_to=last
    )


def lines(screen: MainScreen) -> list[str]:
    """The subject column of every row as drawn (tree lines included)."""
    rows = screen.messages
    drawn = []
    for index in range(len(rows.source)):
        row = rows.source.row(index)
        assert row is not None
        # markers (6), date (10 + 2), sender (22 + 2) at 120 columns
        drawn.append(rows._row_text(row, 120).plain[42:].rstrip())
    return drawn


def current_subject(screen: MainScreen) -> str:
    row = screen.messages.row_at(screen.messages.cursor)
    return row.summary.subject if row else ""


async def test_threads_toggle_keeps_the_cursor_and_new_replies_join_their_thread(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    dovecot.deliver(
        mail_user,
        [
            message(0, "Plans"),
            message(1, "Re: Plans", refs="<0@t>"),
            message(2, "Lunch"),
            message(3, "Re: Plans", refs="<0@t> <1@t>"),
        ],
    )
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        assert lines(screen) == ["Re: Plans", "Lunch", "Re: Plans", "Plans"]
        await pilot.press("j")  # on "Lunch"
        await pilot.press("T")
        await settled(pilot, app)
        # Newest conversation first; replies under what they answer, without "Re:".
        assert lines(screen) == ["Plans", "└─Plans", "  └─Plans", "Lunch"]
        assert current_subject(screen) == "Lunch"
        state = json.loads((tmp_path / "data" / "ui-state.json").read_text())
        assert state["view"] == "threads"

        # A reply to "Lunch" arrives (IDLE): its conversation moves to the top.
        dovecot.deliver(mail_user, [message(4, "Re: Lunch", refs="<2@t>")])
        await wait_for(pilot, lambda: len(screen.messages.source) == 5)
        await settled(pilot, app)
        assert lines(screen) == ["Lunch", "└─Lunch", "Plans", "└─Plans", "  └─Plans"]
        assert current_subject(screen) == "Lunch"

        await pilot.press("T")
        assert lines(screen)[:2] == ["Re: Lunch", "Re: Plans"]
        assert current_subject(screen) == "Lunch"


async def test_the_threaded_view_is_remembered_by_the_next_start(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [message(0, "Plans"), message(1, "Re: Plans", refs="<0@t>")])
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ui-state.json").write_text(json.dumps({"view": "threads"}))
    app = make_app(mail_user)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled(pilot, app)
        assert lines(screen) == ["Plans", "└─Plans"]
