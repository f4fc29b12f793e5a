"""Small things a user trips over daily: refresh feedback, the help's content, the folder
highlight at start-up, the search box."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.support.dovecot import DovecotServer, make_message
from tests.ui.conftest import AppFactory, settled, wait_for
from tui_mail.core.demo import demo_config
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.folder_tree import FolderKey
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.screens.help import HelpScreen


def status_text(screen: MainScreen) -> str:
    return str(screen.status.query_one("#status-message").render())


async def test_refresh_says_it_syncs_and_when_it_is_done(tmp_path: Path) -> None:
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        shown: list[str] = []  # every message, in order (a local sync is over at once)
        say = screen.status.say
        screen.status.say = lambda text, **kw: (shown.append(text), say(text, **kw))[-1]  # type: ignore[method-assign]
        await pilot.press("ctrl+r")
        await settled(pilot, app)
        assert shown == ["Syncing demo: INBOX…", "demo: INBOX is up to date."]
        assert status_text(screen) == "demo: INBOX is up to date."


async def test_help_lists_only_our_own_keys(tmp_path: Path) -> None:
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        for pane in (screen.messages, screen.reader):
            pane.focus()
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            assert isinstance(app.screen, HelpScreen)
            actions = {row.action for row in app.screen.rows}
            assert not actions & {"Scroll Left", "Scroll Right", "Page Left", "Page Right",
                                  "Copy selected text"}  # fmt: skip
            assert {"Quit", "Help", "Archive", "Undo"} <= actions
            if pane is screen.reader:
                assert {"Next message", "Next unread", "Page", "Page down"} <= actions
            assert all(row.tooltip for row in app.screen.rows)  # ours have tips
            archive = next(row for row in app.screen.rows if row.action == "Archive")
            assert archive.command == "archive"  # the `:` command the key runs
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)


async def test_start_up_highlights_the_folder_the_list_shows(
    dovecot: DovecotServer, make_app: AppFactory
) -> None:
    work, home = dovecot.add_user(), dovecot.add_user()
    dovecot.deliver(work, [make_message(1, subject="work mail")])
    app = make_app(work, home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        tree = screen.folder_tree
        assert screen.current == FolderKey("work", "INBOX")
        assert tree.cursor_node is not None
        assert tree.cursor_node.data == FolderKey("work", "INBOX")  # not "All inboxes"
        # The tree is rebuilt (folder list from the server): the highlight stays.
        screen.refresh_tree()
        await pilot.pause()
        assert tree.cursor_node is not None
        assert tree.cursor_node.data == FolderKey("work", "INBOX")


async def test_the_search_box_does_not_append_to_the_last_query(tmp_path: Path) -> None:
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        search = screen.query_one("#search", Input)
        await pilot.press("slash", *"quarterly", "enter")
        await wait_for(pilot, lambda: "found" in status_text(screen))
        await pilot.press("slash")  # the query on screen, all of it selected ...
        await pilot.pause()
        assert search.value == "quarterly"
        assert search.selection == (0, len("quarterly"))
        await pilot.press(*"build")  # ... so typing replaces it
        assert search.value == "build"
        await pilot.press("enter")
        await wait_for(pilot, lambda: status_text(screen).startswith("Search 'build'"))
        await wait_for(pilot, lambda: "found" in status_text(screen))
        await pilot.press("escape")  # back to the folder: the next search starts empty
        await pilot.press("slash")
        await pilot.pause()
        assert search.value == ""
