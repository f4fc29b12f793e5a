"""80x24 is a first-class size: what is on screen there (and at 120x40) is checked here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets._footer import FooterKey

from tests.ui import contrast
from tests.ui.conftest import settled, wait_for
from tests.ui.scenes import fixed_world
from tui_mail.core.demo import demo_config
from tui_mail.ui.app import MailApp
from tui_mail.ui.main import status
from tui_mail.ui.main.message_list import MIN_SUBJECT
from tui_mail.ui.main.screen import MainScreen

BLOCKS = re.compile("[\u2580-\u259f]")
"""Block elements: what a scrollbar is drawn with."""


def lines(app: MailApp) -> list[str]:
    return ["".join(s.text for s in line if not s.control) for line in contrast.screen_lines(app)]


def region_text(app: MailApp, region: object) -> list[str]:
    x, y, width, height = region  # type: ignore[misc]
    return [line[x : x + width] for line in lines(app)[y : y + height]]


def subjects_on_screen(screen: MainScreen) -> list[tuple[str, str]]:
    """(subject, the list's row as drawn) for every visible row."""
    messages = screen.messages
    rows = region_text(screen.app, messages.region)  # type: ignore[arg-type]
    top = int(messages.scroll_y)
    found = []
    for offset, drawn in enumerate(rows):
        row = messages.row_at(top + offset)
        if row is not None:
            found.append((row.summary.subject, drawn))
    return found


def assert_subjects_readable(screen: MainScreen) -> None:
    shown = subjects_on_screen(screen)
    assert shown
    for subject, drawn in shown:
        # The first MIN_SUBJECT - 1 cells of it (then maybe "…") are on the row.
        start = ""
        for char in subject:
            if cell_len(start + char) > MIN_SUBJECT - 1:
                break
            start += char
        start = start.rstrip()
        assert start in drawn, (subject, drawn)


async def test_80x24_keeps_subjects_counts_and_hints(tmp_path: Path) -> None:
    with fixed_world(tmp_path):
        app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await settled(pilot, app)
            assert_subjects_readable(screen)
            # Every folder's unread count is in view, in a pane with no scrollbar glyph.
            tree = region_text(app, screen.folder_tree.region)
            counts = {f.unseen for f in screen.services["demo"].cached_folders() if f.unseen}
            assert len(counts) > 1
            for count in counts:
                assert any(f"({count})" in line for line in tree), (count, tree)
            assert not any(BLOCKS.search(line) for line in tree), tree
            # The key hints end inside the window, whole, and the help key is among them.
            hints = list(screen.query(FooterKey))
            assert all(h.region.right <= 80 for h in hints)
            assert "? Help" in lines(app)[-1]
            # Nothing open: the list has the room; something open: both have a share.
            assert screen.messages.region.height >= 15
            await pilot.press("enter")
            await settled(pilot, app)
            assert screen.messages.region.height >= 8 and screen.reader.region.height >= 8

            # The reader beside an 80-column list would squeeze it: w says so instead.
            await pilot.press("w")
            await pilot.pause()
            assert not screen.query_one("#content").has_class("-beside")
            assert "The reader stays below the list" in lines(app)[-2]
            # Widening the folder pane stops where the subjects would suffer.
            for _ in range(30):
                await pilot.press("greater_than_sign")
            await pilot.pause()
            assert_subjects_readable(screen)
            assert "as wide as it gets" in lines(app)[-2]


async def test_reader_beside_the_list_at_120_keeps_subjects(tmp_path: Path) -> None:
    with fixed_world(tmp_path):
        app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await settled(pilot, app)
            await pilot.press("enter", "w")
            await pilot.pause()
            assert screen.query_one("#content").has_class("-beside")
            assert_subjects_readable(screen)
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            assert not screen.query_one("#content").has_class("-beside")
            assert_subjects_readable(screen)


async def test_status_messages_are_cut_with_an_ellipsis_and_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fixed_world(tmp_path):
        monkeypatch.setattr(status, "MESSAGE_SECONDS", 0.5)  # fixed_world holds them still
        app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await settled(pilot, app)
            screen.status.say("word " * 40)
            await pilot.pause()
            assert lines(app)[-2].rstrip().endswith("…")
            await wait_for(pilot, lambda: "word" not in lines(app)[-2], timeout=5)
            assert "demo: connected" in lines(app)[-2]  # the account's state stays


async def test_help_explains_the_marks_and_ctrl_t_names_the_theme(tmp_path: Path) -> None:
    with fixed_world(tmp_path):
        app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settled(pilot, app)
            await pilot.press("question_mark")
            await pilot.pause()
            shown = "\n".join(lines(app))
            for mark, meaning in (("N", "unread"), ("!", "flagged"), ("@", "has attachments")):
                assert re.search(rf"{re.escape(mark)}\s+{meaning}", shown), (mark, shown)
            await pilot.press("escape", "ctrl+t")
            await pilot.pause()
            assert app.theme != "tui-mail-dark"
            assert f"Theme: {app.theme}" in lines(app)[-2]


async def test_ctrl_t_changes_nothing_under_no_color(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    with fixed_world(tmp_path):
        app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settled(pilot, app)
            before = contrast.screen_lines(app)
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert app.theme == "tui-mail-dark"
            assert "NO_COLOR is set" in lines(app)[-2]
            after = contrast.screen_lines(app)
            styles = {s.style for line in after[:-2] for s in line}
            assert styles == {s.style for line in before[:-2] for s in line}


async def test_the_cursor_stays_in_view_when_a_message_opens_below(tmp_path: Path) -> None:
    with fixed_world(tmp_path):
        app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await settled(pilot, app)
            for _ in range(15):
                await pilot.press("j")
            await pilot.press("enter")
            await settled(pilot, app)
            await pilot.pause()
            messages = screen.messages
            subject = messages.row_at(15).summary.subject  # type: ignore[union-attr]
            assert messages.region.height < 15
            rows = region_text(app, messages.region)
            assert any(subject[:15] in row for row in rows), rows
