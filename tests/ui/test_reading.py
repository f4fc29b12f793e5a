"""Reading in sequence, as in mutt: the reader shows the message under the list's cursor or
nothing, its keys open the next message, U and h toggle. Driven on the demo mailbox (a
local maildir: what is on disk afterwards is the truth)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.ui.conftest import settled, visible_rows, wait_for
from tui_mail.core.demo import demo_config
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.folder_tree import FolderKey
from tui_mail.ui.main.screen import MainScreen


def demo_app(tmp_path: Path) -> MailApp:
    return MailApp(demo_config(tmp_path), data_dir=tmp_path)


def subject_at(screen: MainScreen, index: int) -> str:
    row = screen.messages.row_at(index)
    assert row is not None
    return row.summary.subject


def status_text(screen: MainScreen) -> str:
    return str(screen.status.query_one("#status-message").render())


def reader_subject(screen: MainScreen) -> str | None:
    """The Subject the reader shows (None when it shows no message)."""
    for line in screen.reader.shown_text().splitlines():
        if line.startswith("Subject: "):
            return line.removeprefix("Subject: ")
    return None


async def read(pilot: Pilot[Any], screen: MainScreen, index: int) -> None:
    """Open the message at `index` and wait until the reader shows it."""
    await wait_for(
        pilot,
        lambda: (
            screen.open_ref is not None
            and screen.messages.cursor == index
            and screen.open_ref == screen.messages.current
            and reader_subject(screen) == subject_at(screen, index)
        ),
    )


async def test_reader_keys_open_the_next_and_previous_message(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("enter")
        await read(pilot, screen, 0)
        assert screen.focused is screen.reader  # the reader's keys apply now

        await pilot.press("j")
        await read(pilot, screen, 1)
        await pilot.press("j")
        await read(pilot, screen, 2)
        await pilot.press("k")
        await read(pilot, screen, 1)

        # n: the next UNREAD message (7 is read in the demo, 8 is not).
        screen.messages.move_to(6)
        await pilot.press("enter")  # Enter in the reader opens what the cursor is on
        await read(pilot, screen, 6)
        assert screen.messages.row_at(7).summary.seen  # type: ignore[union-attr]
        await pilot.press("n")
        await read(pilot, screen, 8)
        await pilot.press("N")  # 7 is read, and so is 6 since it was opened
        await read(pilot, screen, 5)


async def test_space_pages_then_goes_on_to_the_next_unread(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled(pilot, app)
        # A message longer than the reader (at 80x24), followed by a read one, then unread.
        long_one = next(
            i
            for i in range(len(screen.messages.source) - 2)
            if (row := screen.messages.row_at(i)) is not None and row.summary.size > 1400
        )
        screen.messages.move_to(long_one)
        await pilot.press("enter")
        await read(pilot, screen, long_one)
        assert screen.reader.max_scroll_y > 0
        assert not screen.reader.scroll_y
        next_unread = next(
            i
            for i in range(long_one + 1, len(screen.messages.source))
            if not screen.messages.row_at(i).summary.seen  # type: ignore[union-attr]
        )
        await pilot.press("space")
        await pilot.pause()
        assert screen.reader.scroll_y > 0  # paged, still the same message
        assert screen.open_ref == screen.messages.current
        assert screen.messages.cursor == long_one
        while screen.reader.scroll_y < screen.reader.max_scroll_y:
            await pilot.press("space")
            await pilot.pause()
        await pilot.press("space")
        await read(pilot, screen, next_unread)


async def test_the_reader_is_cleared_when_its_message_leaves_the_list(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        first, second, third = (subject_at(screen, i) for i in range(3))
        await pilot.press("enter")
        await read(pilot, screen, 0)

        await pilot.press("a")  # archived from the reader: it must not stay on screen
        await wait_for(pilot, lambda: visible_rows(screen)[0] == second)
        await wait_for(pilot, lambda: reader_subject(screen) is None)
        assert screen.open_ref is None
        assert screen.reader.shown_text().startswith("No message open.")
        await pilot.press("enter")  # the reader opens what is now under the cursor
        await read(pilot, screen, 0)
        assert reader_subject(screen) == second

        await pilot.press("d")
        await wait_for(pilot, lambda: visible_rows(screen)[0] == third)
        await wait_for(pilot, lambda: reader_subject(screen) is None)

        # Moving the list's cursor (from the list) leaves nothing stale in the reader.
        await pilot.press("enter")
        await read(pilot, screen, 0)
        await pilot.press("escape")  # back to the list
        assert screen.focused is screen.messages
        await pilot.press("j")
        await wait_for(pilot, lambda: reader_subject(screen) is None)

        # Another folder: the reader does not keep a message of the old one.
        await pilot.press("enter")
        await read(pilot, screen, 1)
        screen.folder_tree.post_message(
            screen.folder_tree.FolderChosen(FolderKey("demo", "Archive"))
        )
        await wait_for(pilot, lambda: screen.current.folder == "Archive")
        await settled(pilot, app)
        assert reader_subject(screen) is None and screen.open_ref is None
        assert first in visible_rows(screen)


async def test_raw_source_and_all_headers_toggle_on_and_off(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("enter")
        await read(pilot, screen, 0)
        shown = screen.reader.shown_text()
        assert "Message-ID:" not in shown  # the usual few headers

        await pilot.press("U")
        await wait_for(pilot, lambda: "MIME-Version: " in screen.reader.shown_text())
        assert "Message-ID: " in screen.reader.shown_text()
        assert "MIME-Version: " in screen.reader.shown_text()
        await pilot.press("U")  # and off again
        await wait_for(pilot, lambda: screen.reader.shown_text() == shown)

        await pilot.press("h")
        await wait_for(pilot, lambda: "Message-ID:" in screen.reader.shown_text())
        assert screen.reader.message is not None  # the message, not its raw source
        await pilot.press("h")
        await wait_for(pilot, lambda: screen.reader.shown_text() == shown)

        await pilot.press("U", "h")  # h from the raw source shows the message again
        await wait_for(pilot, lambda: screen.reader.message is not None)
        assert "Message-ID:" in screen.reader.shown_text()
