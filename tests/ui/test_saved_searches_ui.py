"""Saved searches as folders, against the real Dovecot: the tree's section and its unread
count follow mail another client stores and what the user reads; choosing one lists its
messages from every folder, and the rows act on their own folder on the server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.accounts import imap_account, other_client, server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import settled, visible_rows, wait_for
from tests.ui.test_counts_ui import _nodes
from tui_mail.config import AccountConfig, AppConfig, SavedSearchConfig, load_config, save_config
from tui_mail.core.account.service import AccountService
from tui_mail.ui.app import MailApp
from tui_mail.ui.main import saved_searches
from tui_mail.ui.main.command_line import CommandBar
from tui_mail.ui.main.folder_tree import FolderKey
from tui_mail.ui.main.screen import MainScreen

FLAGGED = FolderKey.saved("Flagged everywhere")


def _app(
    dovecot: DovecotServer,
    user: MailUser,
    tmp_path: Path,
    saved: tuple[SavedSearchConfig, ...],
) -> MailApp:
    account = imap_account(dovecot, user, name="work")
    config = AppConfig(
        path=tmp_path / "config" / "config.toml", accounts=(account,), saved_searches=saved
    )
    save_config(config)  # :save-search edits the file

    def service(account: AccountConfig, data: Path) -> AccountService:
        return AccountService(account, data, secret=lambda: user.password)

    return MailApp(config, data_dir=tmp_path / "data", service_factory=service)


def tree_labels(screen: MainScreen) -> list[str]:
    return [str(node.label) for node in _nodes(screen.folder_tree.root)][1:]


def saved_label(screen: MainScreen, key: FolderKey = FLAGGED) -> str | None:
    node = next((n for n in _nodes(screen.folder_tree.root) if n.data == key), None)
    return None if node is None else str(node.label)


def status_text(screen: MainScreen) -> str:
    return str(screen.status.query_one("#status-message").render())


async def test_a_saved_search_counts_lists_and_acts_across_folders(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.deliver(
        mail_user,
        [make_message(0, subject="Flagged unread"), make_message(1, subject="Flagged read"),
         make_message(2, subject="Plain unread")],
        flags=lambda i: ["F", "FS", ""][i],
    )  # fmt: skip
    dovecot.deliver(mail_user, [make_message(3, subject="Flagged in Archive")], "Archive", "F")
    saved = (
        SavedSearchConfig("Flagged everywhere", "is:flagged"),
        SavedSearchConfig("Broken", "since:someday"),
    )
    app = _app(dovecot, mail_user, tmp_path, saved)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        # The bad query is said once; the good search works on.
        told = [n.message for n in app._notifications if "Broken" in n.message]
        assert told == [
            "Saved search 'Broken' is left out: since: takes a date as YYYY-MM-DD, not 'someday'."
        ]
        labels = tree_labels(screen)
        assert labels[:3] == ["Saved searches", "Flagged everywhere (1)", "work"], labels
        # The Archive message is counted once its folder is in the cache: open it once.
        screen.open_folder("work", "Archive")
        await settled(pilot, app)
        await wait_for(pilot, lambda: saved_label(screen) == "Flagged everywhere (2)", 5)

        # Mail another client stores, flagged and unread, raises the count by itself.
        await wait_for(pilot, lambda: app.services["work"].connection_state == "idling")
        client = other_client(dovecot, mail_user)
        try:
            client.append("INBOX", make_message(4, subject="Pushed flagged"), [b"\\Flagged"])
        finally:
            client.logout()
        await wait_for(pilot, lambda: saved_label(screen) == "Flagged everywhere (3)", 5)

        # Chosen in the tree, it lists every flagged message, from both folders.
        screen.folder_tree.focus()
        screen.folder_tree.select_key(FLAGGED)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 4, 5)
        assert set(visible_rows(screen)) == {
            "Flagged unread", "Flagged read", "Flagged in Archive", "Pushed flagged",
        }  # fmt: skip
        assert screen.sub_title == "Saved search: Flagged everywhere"

        # Reading one (from Archive) marks it read on the server, in its own folder, and
        # the count goes down.
        screen.messages.focus()
        index = visible_rows(screen).index("Flagged in Archive")
        screen.messages.move_to(index)
        await pilot.press("enter")
        await wait_for(pilot, lambda: saved_label(screen) == "Flagged everywhere (2)", 5)
        assert all(b"\\Seen" in f for f in server_flags(dovecot, mail_user, "Archive").values())

        # Unflagging one takes it out of the list at the next count.
        screen.messages.focus()
        screen.messages.move_to(visible_rows(screen).index("Flagged read"))
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: "Flagged read" not in visible_rows(screen), 5)
        assert len(visible_rows(screen)) == 3
        assert saved_label(screen) == "Flagged everywhere (2)"  # it was read already

        # A search, a limit or a sort in it is said to need a folder.
        await pilot.press("slash")
        await wait_for(pilot, lambda: "works in a folder" in status_text(screen))


async def test_save_search_and_forget_search_edit_the_tree_and_the_file(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dovecot.deliver(
        mail_user,
        [make_message(0, subject="Lunch?"), make_message(1, subject="Budget")],
        flags=lambda i: ["", "S"][i],
    )
    app = _app(dovecot, mail_user, tmp_path, ())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled(pilot, app)
        before = tree_labels(screen)
        assert "Saved searches" not in before  # none configured: the tree as it always was

        screen.commands.execute("save-search Lunch")  # nothing searched yet
        await wait_for(pilot, lambda: "No search on screen to save" in status_text(screen))
        screen.commands.execute('save-search --query "subject:lunch" Lunch plans')
        await wait_for(
            pilot, lambda: saved_label(screen, FolderKey.saved("Lunch plans")) is not None
        )
        await wait_for(
            pilot,
            lambda: saved_label(screen, FolderKey.saved("Lunch plans")) == "Lunch plans (1)",
            5,
        )
        config = load_config(app.config.path)
        assert config.saved_searches == (SavedSearchConfig("Lunch plans", "subject:lunch"),)
        assert config.accounts == app.config.accounts

        # A burst of changes (a mark-all, 100 new messages) is counted once or twice.
        counted: list[int] = []
        real = saved_searches.unread_counts
        monkeypatch.setattr(
            saved_searches, "unread_counts", lambda *a: counted.append(1) or real(*a)
        )
        for _ in range(100):
            screen.account_news.update_counts("work")
        await pilot.pause(1.5)
        assert 1 <= len(counted) <= 2

        # Tab gives the saved search's whole name, quoted: Enter forgets it.
        await pilot.press("colon", *"forget-search Lu", "tab")
        assert screen.query_one(CommandBar).input.value == "forget-search 'Lunch plans' "
        await pilot.press("enter")
        await wait_for(pilot, lambda: tree_labels(screen) == before, 5)
        assert load_config(app.config.path).saved_searches == ()
        assert re.search(r"forgotten", status_text(screen))
