"""Sorting on screen against the real Dovecot: the O picker and `:sort`'s entry point, the
rows in order, the cursor kept, the choice remembered per folder by the next start, the
threaded view and the unified inbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, visible_rows
from tui_mail.core.errors import UsageError
from tui_mail.ui.main.folder_tree import UNIFIED, FolderKey
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.screens.sort_picker import SortPicker


def letter(i: int, sender: str, subject: str, day: int, **headers: str) -> bytes:
    """A message of its own (no reply chain unless `headers` give one)."""
    return make_message(
        i,
        subject=subject,
        from_=f"{sender} <{sender.lower()}@example.org>",
        date=f"{day:02d} Jan 2024 10:00:00 +0000",
        **({"references": "", "in_reply_to": ""} | headers),
    )


MAIL = [
    letter(1, "Carol", "Re: budget", 1),
    letter(2, "Alice", "Zebra crossing", 2),
    letter(3, "Bob", "Fwd: apples", 3),
]


def current_subject(screen: MainScreen) -> str:
    row = screen.messages.row_at(screen.messages.cursor)
    return row.summary.subject if row else ""


def sort_shown(screen: MainScreen) -> str:
    shown = screen.status.query_one("#status-sort")
    return str(shown.render()) if shown.display else ""


async def test_o_sorts_by_the_key_picked_keeps_the_cursor_and_is_remembered(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, MAIL)
    app = make_app(mail_user)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled(pilot, app)
        assert visible_rows(screen) == ["Fwd: apples", "Zebra crossing", "Re: budget"]
        assert sort_shown(screen) == ""
        await pilot.press("j")  # on "Zebra crossing"

        await pilot.press("O")
        assert isinstance(app.screen, SortPicker)
        await pilot.press("3")  # from
        assert visible_rows(screen) == ["Zebra crossing", "Fwd: apples", "Re: budget"]
        assert current_subject(screen) == "Zebra crossing"
        assert screen.status.message == "Sorted by from."
        assert sort_shown(screen) == "by from"

        await pilot.press("O", "r", "5")  # subject, reversed: Re:/Fwd: do not count
        assert visible_rows(screen) == ["Zebra crossing", "Re: budget", "Fwd: apples"]
        assert screen.status.message == "Sorted by subject, reversed."
        assert sort_shown(screen) == "by subject, reversed"

        await pilot.press("O", "escape")  # cancelled: nothing changes
        assert visible_rows(screen) == ["Zebra crossing", "Re: budget", "Fwd: apples"]

    state = json.loads((tmp_path / "data" / "ui-state.json").read_text())
    assert state["sorts"] == [["work", "INBOX", "-r subject"]]

    again = make_app(mail_user)
    async with again.run_test(size=(80, 24)) as pilot:
        screen = await settled(pilot, again)
        assert visible_rows(screen) == ["Zebra crossing", "Re: budget", "Fwd: apples"]
        assert sort_shown(screen) == "by subject, reversed"
        screen.sorting.apply(["-r"])  # `:sort -r`: the current order turned over
        assert visible_rows(screen) == ["Fwd: apples", "Re: budget", "Zebra crossing"]
        assert sort_shown(screen) == "by subject"
        screen.sorting.apply([])  # `:sort` alone: the picker
        await pilot.pause()
        assert isinstance(again.screen, SortPicker)
        await pilot.press("escape")
        # `:sort date` goes back to the usual order, which is then forgotten.
        screen.sorting.apply(["date"])
        assert visible_rows(screen) == ["Fwd: apples", "Zebra crossing", "Re: budget"]
        assert sort_shown(screen) == ""
        with pytest.raises(UsageError, match="sort by one of date, arrival, from"):
            screen.sorting.apply(["sideways"])
    state = json.loads((tmp_path / "data" / "ui-state.json").read_text())
    assert state["sorts"] == []


async def test_sorting_threads_orders_conversations_and_keeps_replies_under_them(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    dovecot.deliver(
        mail_user,
        [
            letter(1, "Zoe", "Plans", 1, message_id="<1@t>"),
            letter(2, "Adam", "Re: Plans", 5, message_id="<2@t>", references="<1@t>",
                   in_reply_to="<1@t>"),
            letter(3, "Mary", "Lunch", 3, message_id="<3@t>"),
            letter(4, "Yann", "Alone", 4, message_id="<4@t>"),
        ],
    )  # fmt: skip
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ui-state.json").write_text(json.dumps({"view": "threads"}))
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        assert visible_rows(screen) == ["Plans", "Re: Plans", "Alone", "Lunch"]
        screen.sorting.apply(["subject"])
        assert visible_rows(screen) == ["Alone", "Lunch", "Plans", "Re: Plans"]
        # Adam answered Zoe: by sender their thread comes first, the reply still under.
        screen.sorting.apply(["from"])
        assert visible_rows(screen) == ["Plans", "Re: Plans", "Lunch", "Alone"]
        screen.sorting.apply(["-r", "from"])
        assert visible_rows(screen) == ["Alone", "Lunch", "Plans", "Re: Plans"]
        rendered = screen.messages.render_line(3).text
        assert "└─Plans" in rendered


async def test_the_unified_inbox_has_its_own_sort(
    dovecot: DovecotServer, make_app: AppFactory, tmp_path: Path
) -> None:
    work, home = dovecot.add_user(), dovecot.add_user()
    dovecot.deliver(work, [letter(1, "Dora", "work late", 1), letter(2, "Bea", "work early", 2)])
    dovecot.deliver(home, [letter(3, "Cyd", "home late", 3), letter(4, "Ann", "home early", 4)])
    app = make_app(work, home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        screen.folder_tree.post_message(screen.folder_tree.FolderChosen(FolderKey("", UNIFIED)))
        await settled(pilot, app)
        assert visible_rows(screen) == ["home early", "home late", "work early", "work late"]
        await pilot.press("O", "3")
        assert visible_rows(screen) == ["home early", "work early", "home late", "work late"]
        screen.folder_tree.post_message(screen.folder_tree.FolderChosen(FolderKey("work", "INBOX")))
        await settled(pilot, app)
        assert visible_rows(screen) == ["work early", "work late"]  # still by date here
        assert sort_shown(screen) == ""
    state = json.loads((tmp_path / "data" / "ui-state.json").read_text())
    assert state["sorts"] == [["", UNIFIED, "from"]]
