"""The folder tree with saved searches, at 80x24: the section above the accounts, names
cut to fit with their counts kept (an SVG snapshot of the demo mailbox)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.ui.scenes import Scene, fixed_world, play
from tui_mail.config import SavedSearchConfig
from tui_mail.core.demo import demo_config
from tui_mail.ui.app import MailApp

SAVED = (
    SavedSearchConfig("Flagged everywhere", "is:flagged"),
    SavedSearchConfig("Unread from Priya and her team", "is:unread from:priya"),
)


def test_tree_with_saved_searches_80x24(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    with fixed_world(tmp_path):
        config = replace(demo_config(tmp_path), saved_searches=SAVED)
        app = MailApp(config, data_dir=tmp_path)

        async def run_before(pilot: Any) -> None:
            await play(Scene("saved", (80, 24)), pilot)

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
