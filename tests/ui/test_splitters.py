"""The lines between the panes are dragged with the mouse to resize them (in both split
arrangements); the keys < and > do the same for the folder pane."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import settled
from tui_mail.core.demo import demo_config
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.message_list import MIN_WIDTH
from tui_mail.ui.main.splitter import Splitter


async def test_dragging_the_lines_resizes_the_panes(tmp_path: Path) -> None:
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    # Wide enough for the reader beside the list with a 45-cell folder pane.
    async with app.run_test(size=(160, 40)) as pilot:
        main = await settled(pilot, app)
        tree, messages, reader = main.folder_tree, main.messages, main.reader
        folder_split = main.query_one("#folder-split", Splitter)
        list_split = main.query_one("#list-split", Splitter)
        assert tree.outer_size.width == 32  # 20% of 160

        await pilot.mouse_down(folder_split)
        await pilot.hover(offset=(45, 10))  # past the default cap of 32
        await pilot.mouse_up(offset=(45, 10))
        await pilot.pause()
        assert tree.outer_size.width == 45
        assert folder_split.region.x == 45

        list_top = messages.region.y
        await pilot.mouse_down(list_split)
        await pilot.hover(offset=(80, list_top + 8))
        await pilot.mouse_up(offset=(80, list_top + 8))
        await pilot.pause()
        assert messages.outer_size.height == 8
        assert reader.region.y == list_top + 9  # below the line

        await pilot.press("w")  # the reader beside the list: the same line now goes across
        await pilot.pause()
        assert not list_split.across and messages.region.height > 8  # the old size is gone
        await pilot.mouse_down(list_split)
        await pilot.hover(offset=(70, 20))
        await pilot.mouse_up(offset=(70, 20))
        await pilot.pause()
        assert messages.outer_size.width == 70 - messages.region.x
        assert reader.region.x == 71


async def test_a_pane_is_never_dragged_out_of_sight(tmp_path: Path) -> None:
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        main = await settled(pilot, app)
        await pilot.mouse_down("#folder-split")
        await pilot.hover(offset=(0, 5))
        await pilot.mouse_up(offset=(0, 5))
        await pilot.pause()
        assert main.folder_tree.outer_size.width >= 4
        await pilot.mouse_down("#folder-split")
        await pilot.hover(offset=(79, 5))
        await pilot.mouse_up(offset=(79, 5))
        await pilot.pause()
        # The list keeps room for its subjects, not just a sliver.
        assert main.messages.outer_size.width >= MIN_WIDTH
