"""Search as you type on a big folder: the newest matches are on screen at once, then the
list grows into all of them and the status line gives their count; a newer key stops the
search still counting (core/store/fts_newest.py, ui/main/search.py). The demo's folder
stands in for a big one: the first answer is cut at three rows, and the whole answer
waits until the test lets it through."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.conftest import settled, visible_rows, wait_for
from tui_mail.core.account.local_search import Hit, search_local, search_newest
from tui_mail.core.demo import demo_config
from tui_mail.core.query import Query, parse_query
from tui_mail.core.store import fts_newest
from tui_mail.ui.app import MailApp
from tui_mail.ui.main import search
from tui_mail.ui.main.screen import MainScreen


class HeldSearches:
    """search_local held until `release` (or until a newer key stops it)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.stopped: list[Query] = []

    def __call__(self, *args: Any, **kwargs: Any) -> list[Hit]:
        stop: threading.Event = kwargs["stop"]
        deadline = time.monotonic() + 30  # a failed test must not hang at its end
        while not (self.release.is_set() or stop.is_set()) and time.monotonic() < deadline:
            stop.wait(0.01)
        if stop.is_set():
            self.stopped.append(args[1])
        return search_local(*args, **kwargs)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> HeldSearches:
    monkeypatch.setattr(fts_newest, "BROAD", 0)  # every word is broad in a small folder
    monkeypatch.setattr(fts_newest, "ENOUGH", 1)

    def first_three(*args: Any, **kwargs: Any) -> tuple[list[Hit], bool] | None:
        return search_newest(*args, **kwargs, count=3)

    monkeypatch.setattr(search, "search_newest", first_three)
    holding = HeldSearches()
    monkeypatch.setattr(search, "search_local", holding)
    return holding


def _status(screen: MainScreen) -> str:
    return screen.status.message


async def _indexed(pilot: Pilot[Any], app: MailApp) -> MainScreen:
    """Settled, and the search index caught up (until then the whole search answers)."""
    screen = await settled(pilot, app)
    await wait_for(pilot, lambda: all(s.cache.indexing() == 0 for s in screen.services.values()))
    return screen


async def test_the_newest_show_first_then_all_of_them_and_their_count(
    tmp_path: Path, held: HeldSearches
) -> None:
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _indexed(pilot, app)
        everything = len(visible_rows(screen))
        await pilot.press("slash", "e")
        await wait_for(pilot, lambda: "'e': the newest 3 in the cache" in _status(screen))
        first = visible_rows(screen)
        assert len(first) == 3
        assert "counting the rest" in _status(screen)
        held.release.set()
        await wait_for(pilot, lambda: len(visible_rows(screen)) > 3)
        rows = visible_rows(screen)
        assert rows[:3] == first  # the first screen stays where it was
        assert 3 < len(rows) <= everything
        assert f"'e': {len(rows):,} in the cache in INBOX" in _status(screen)
        assert held.stopped == []


async def test_a_newer_key_stops_the_search_still_counting(
    tmp_path: Path, held: HeldSearches
) -> None:
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _indexed(pilot, app)
        await pilot.press("slash", "e")
        await wait_for(pilot, lambda: "'e': the newest 3" in _status(screen))
        await pilot.press("r")
        await wait_for(pilot, lambda: "'er': the newest 3" in _status(screen))
        assert held.stopped == [parse_query("e")]
        held.release.set()
        await wait_for(pilot, lambda: "'er': " in _status(screen) and "newest" not in
                       _status(screen))  # fmt: skip
        assert "'e': " not in _status(screen)  # the stopped search's answer never shows
