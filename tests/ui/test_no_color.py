"""NO_COLOR and the high-contrast theme: the list must not depend on colour alone."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from rich.terminal_theme import SVG_EXPORT_THEME

from tests.ui.conftest import settled
from tests.ui.scenes import Scene, fixed_world, scene_app
from tui_mail.core.demo import demo_config
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.screen import MainScreen


def row_styles(screen: MainScreen, index: int) -> tuple[bool, bool]:
    """(bold, reverse) of the text of row `index` as drawn."""
    segments = [s for s in screen.messages.render_line(index) if s.text.strip()]
    styles = [s.style for s in segments if s.style is not None]
    return any(s.bold for s in styles), all(s.reverse for s in styles)


def unread_and_read(screen: MainScreen) -> tuple[int, int]:
    rows = [screen.messages.row_at(i) for i in range(10)]
    unread = next(i for i, r in enumerate(rows) if r and not r.summary.seen and i > 0)
    read = next(i for i, r in enumerate(rows) if r and r.summary.seen and i > 0)
    return unread, read


async def test_no_color_draws_in_greys_and_the_cursor_is_reversed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    with fixed_world(tmp_path):
        app = scene_app(Scene("no-color", (120, 40)), tmp_path)
        assert app.no_color
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await settled(pilot, app)
            svg = app.export_screenshot()
            # Colours of text and cell backgrounds (not the window frame's three dots).
            colours = set(re.findall(r"fill: #([0-9a-f]{6})", svg)) | set(
                re.findall(r'<rect fill="#([0-9a-f]{6})"', svg)
            )
            # The terminal's own default foreground (as the SVG exporter draws it) is fine.
            colours.discard(SVG_EXPORT_THEME.foreground_color.hex[1:])
            assert colours
            assert all(c[0:2] == c[2:4] == c[4:6] for c in colours), colours
            cursor = screen.messages.cursor
            assert row_styles(screen, cursor)[1], "the cursor row is drawn reversed"
            unread, read = unread_and_read(screen)
            assert row_styles(screen, unread)[0] and not row_styles(screen, read)[0]


async def test_high_contrast_marks_rows_by_weight_and_glyphs_not_colour_alone(
    tmp_path: Path,
) -> None:
    with fixed_world(tmp_path):
        config = replace(demo_config(tmp_path), theme="tui-mail-high-contrast")
        app = MailApp(config, data_dir=tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await settled(pilot, app)
            unread, read = unread_and_read(screen)
            assert row_styles(screen, unread)[0] and not row_styles(screen, read)[0]
            await pilot.press("space", "exclamation_mark")  # mark the top row, flag it
            await settled(pilot, app)
            top = screen.messages.render_line(0).text
            assert top[1] == "!" and top[4] == "*"
