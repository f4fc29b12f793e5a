"""The help screen says what since:/before: compare (the Date header the list shows), and
what Tab does in the search line."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from tests.ui.conftest import settled, wait_for
from tui_mail.core.demo import demo_config
from tui_mail.ui.app import MailApp
from tui_mail.ui.screens.help import HelpScreen


async def test_help_explains_the_search_language_and_its_dates(tmp_path: Path) -> None:
    app = MailApp(demo_config(tmp_path / "data"), data_dir=tmp_path / "data")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = " ".join(
            rendered.plain if isinstance(rendered := widget.render(), Text) else str(rendered)
            for widget in app.screen.query(Static)
        )
        assert "since:2026-01-31 and before:2026-02-28 compare the day in the Date header" in shown
        assert "not when the message arrived" in shown
        # Tab's binding is live only in the search line: help says it all the same.
        assert "In the search line (/), Tab looks further: this folder, then every" in shown
