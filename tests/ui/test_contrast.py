"""Every text on every screen reads at WCAG AA (4.5:1), in every shipped theme and colour
system, measured on what the app draws (tests/ui/contrast.py says how)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from rich.color import ColorSystem

from tests.ui import contrast
from tests.ui.conftest import main_screen, settled, wait_for
from tests.ui.scenes import fixed_world
from tui_mail.core.demo import demo_config
from tui_mail.ui.app import MailApp
from tui_mail.ui.themes import SHIPPED_DIR

THEMES = sorted(p.stem for p in SHIPPED_DIR.glob("*.toml"))
MODES = {
    # mode: (environment, colour systems the terminal would downgrade to)
    "truecolor+256": (
        {"COLORTERM": "truecolor", "TERM": "xterm-256color"},
        ("truecolor", "256"),
    ),
    "16 (TERM=xterm)": ({"COLORTERM": None, "TERM": "xterm"}, ("16",)),
    "NO_COLOR": ({"NO_COLOR": "1", "COLORTERM": "truecolor"}, ("truecolor",)),
}


def cursor_stands_out(app: MailApp, system: ColorSystem) -> float:
    """Contrast between the highlighted row's background and the next row's."""
    messages = main_screen(app).messages
    y = messages.region.y + messages.cursor - int(messages.scroll_y)
    x = messages.region.x + messages.region.width // 2
    cursor = contrast.background_at(app, x, y, system)
    normal = contrast.background_at(app, x, y + 1, system)
    return contrast.contrast(cursor, normal)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("theme", THEMES)
async def test_every_screen_reads_at_aa(
    theme: str, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment, systems = MODES[mode]
    for key, value in environment.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    report: list[str] = []

    def check(screen: str) -> None:
        if mode == "NO_COLOR":
            # Only the terminal's own two colours: their contrast is the user's choice.
            for y, line in enumerate(contrast.screen_lines(app)):
                for segment in line:
                    style = segment.style
                    for colour in (style.color, style.bgcolor) if style else ():
                        if colour is not None and not colour.is_default:
                            report.append(f"{theme} NO_COLOR {screen}: {colour} in line {y}")
                            break
        for name in systems:
            _low, places = contrast.failures(app, contrast.SYSTEMS[name])
            report.extend(f"{theme} {name} {screen}: {place}" for place in places)

    def check_cursor(state: str) -> None:
        for name in systems:
            ratio = cursor_stands_out(app, contrast.SYSTEMS[name])
            if ratio < 3:
                report.append(f"{theme} {name} cursor ({state}) is {ratio:.2f}:1 from its row")

    with fixed_world(tmp_path):
        app = MailApp(replace(demo_config(tmp_path), theme=theme), data_dir=tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await settled(pilot, app)
            await pilot.press("space", "j")  # a marked row above the cursor
            check("main")
            check_cursor("focused")
            await pilot.press("enter")
            await settled(pilot, app)
            check("reader")
            await pilot.press("shift+tab")  # the folder tree: the list's cursor is blurred
            await pilot.pause()
            check("main, folders focused")
            check_cursor("blurred")
            screen.messages.focus()
            await pilot.press("question_mark")
            await pilot.pause(0.2)
            check("help")
            await pilot.press("escape", "r")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "ComposeScreen")
            await pilot.pause(0.2)
            check("compose")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
            await pilot.press("A")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "AccountSetup")
            await pilot.pause(0.2)
            check("setup")
    assert not report, "\n".join(report)
