"""The TUI against the real Dovecot: what the user sees, and what the server holds after."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.accounts import server_flags, server_subjects
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tui_mail.ui.main.folder_tree import UNIFIED, FolderKey
from tui_mail.ui.screens.folder_picker import FolderPicker
from tui_mail.ui.screens.help import HelpScreen


def fill(server: DovecotServer, user: MailUser, subjects: list[str], folder: str = "INBOX") -> None:
    server.deliver(user, [make_message(i, subject=s) for i, s in enumerate(subjects)], folder)


async def test_open_a_folder_and_read_a_message(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    fill(dovecot, mail_user, ["First", "Second", "Third"])
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        assert visible_rows(screen) == ["Third", "Second", "First"]
        await pilot.press("j", "enter")
        await wait_for(pilot, lambda: screen.open_ref is not None)
        body = str(screen.reader.body.render())
        assert "Subject: Second" in body
        uid = screen.open_ref.uid if screen.open_ref else 0
    assert b"\\Seen" in server_flags(dovecot, mail_user, "INBOX")[uid]


async def test_flag_delete_archive_move_and_bulk_move(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    fill(dovecot, mail_user, ["m0", "m1", "m2", "m3", "m4", "m5"])
    dovecot.create_folder(mail_user, "Projects")
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("exclamation_mark")  # flag m5 (the newest, on top)
        await settled(pilot, app)
        flags = server_flags(dovecot, mail_user, "INBOX")
        assert sum(b"\\Flagged" in f for f in flags.values()) == 1

        await pilot.press("d")  # m5 to Trash
        await settled(pilot, app)
        assert visible_rows(screen)[0] == "m4"
        await pilot.press("a")  # m4 to Archive
        await settled(pilot, app)
        await pilot.press("m")  # m3 to Projects through the picker
        await wait_for(pilot, lambda: isinstance(app.screen, FolderPicker))
        await pilot.press(*"proj", "enter")
        await settled(pilot, app)
        await pilot.press("space", "space", "m")  # m2 and m1 marked, moved together
        await wait_for(pilot, lambda: isinstance(app.screen, FolderPicker))
        await pilot.press(*"proj", "enter")
        await settled(pilot, app)
        assert visible_rows(screen) == ["m0"]
        assert "moved to Projects" in str(screen.status.query_one("#status-message").render())

    assert server_subjects(dovecot, mail_user, "Trash") == ["Subject: m5"]
    assert server_subjects(dovecot, mail_user, "Archive") == ["Subject: m4"]
    assert sorted(server_subjects(dovecot, mail_user, "Projects")) == [
        "Subject: m1", "Subject: m2", "Subject: m3"
    ]  # fmt: skip
    assert server_subjects(dovecot, mail_user, "INBOX") == ["Subject: m0"]


async def test_undo_brings_a_deleted_message_back(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    fill(dovecot, mail_user, ["keep me", "oops"])
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("d")
        await settled(pilot, app)
        assert visible_rows(screen) == ["keep me"]
        await pilot.press("z")
        await wait_for(pilot, lambda: len(screen.messages.source) == 2)
        await settled(pilot, app)
    assert sorted(server_subjects(dovecot, mail_user, "INBOX")) == [
        "Subject: keep me", "Subject: oops"
    ]  # fmt: skip
    assert server_subjects(dovecot, mail_user, "Trash") == []


async def test_search_shows_the_servers_answer(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [
        make_message(1, subject="Invoice March", body="amount due"),
        make_message(2, subject="Lunch", body="pizza"),
        make_message(3, subject="Invoice April", body="paid"),
    ])  # fmt: skip
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("slash", *"pizza", "enter")
        await wait_for(pilot, lambda: "found" in str(
            screen.status.query_one("#status-message").render()))  # fmt: skip
        assert visible_rows(screen) == ["Lunch"]
        await pilot.press("slash", *"invoice", "enter")
        await wait_for(pilot, lambda: visible_rows(screen) == ["Invoice April", "Invoice March"])
        await pilot.press("escape")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 3)


async def test_account_switch_and_unified_inbox(
    dovecot: DovecotServer, make_app: AppFactory
) -> None:
    work, home = dovecot.add_user(), dovecot.add_user()
    dovecot.deliver(work, [make_message(1, subject="work mail",
                                        date="Mon, 01 Jan 2024 10:00:00 +0000")])  # fmt: skip
    dovecot.deliver(home, [make_message(2, subject="home mail",
                                        date="Tue, 02 Jan 2024 10:00:00 +0000")])  # fmt: skip
    app = make_app(work, home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        assert visible_rows(screen) == ["work mail"]
        screen.folder_tree.post_message(screen.folder_tree.FolderChosen(FolderKey("home", "INBOX")))
        await settled(pilot, app)
        assert visible_rows(screen) == ["home mail"]
        screen.folder_tree.post_message(screen.folder_tree.FolderChosen(FolderKey("", UNIFIED)))
        await settled(pilot, app)
        assert visible_rows(screen) == ["home mail", "work mail"]
        rendered = screen.messages.render_line(0).text
        assert "home" in rendered  # the account is shown in the unified inbox


async def test_keymap_from_config_and_live_help(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    fill(dovecot, mail_user, ["only"])
    app = make_app(mail_user, keymap={"toggle_flag": "F"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        await pilot.press("F")
        await settled(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert isinstance(app.screen, HelpScreen)
        keys = {row.action: row.keys for row in app.screen.rows}
        assert keys["Flag"] == "F"
    (flags,) = server_flags(dovecot, mail_user, "INBOX").values()
    assert b"\\Flagged" in flags


async def test_theme_switch_is_remembered(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(mail_user, data_dir=tmp_path / "d")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        assert app.theme == "tui-mail-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "tui-mail-high-contrast"
    assert json.loads((tmp_path / "d" / "ui-state.json").read_text())["theme"] == app.theme
    again = make_app(mail_user, data_dir=tmp_path / "d")
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert again.theme == "tui-mail-high-contrast"


async def test_keys_work_while_a_big_sync_runs(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, (make_message(i) for i in range(20_000)))
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "syncing" in app.screen.query_one("#status").state("work"))
        screen = app.screen
        store = app.services["work"].store
        # Not pilot.press: Pilot waits for the whole process to go idle, and the sync
        # thread keeps it busy. A key posted as the terminal would post it shows the truth.
        app.simulate_key("question_mark")
        cached_when_help_opened: list[int] = []

        def help_is_up() -> bool:
            if isinstance(app.screen, HelpScreen):
                cached_when_help_opened.append(store.counts(store.folder_id("INBOX"))[0])
                return True
            return False

        await wait_for(pilot, help_is_up, timeout=5)
        # The key was answered while headers were still arriving, not after the sync.
        assert cached_when_help_opened[0] < 20_000
        await pilot.press("escape")
        await settled(pilot, app)
        assert len(screen.messages.source) == 20_000  # type: ignore[attr-defined]
