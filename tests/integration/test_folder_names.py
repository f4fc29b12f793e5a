"""Folder names as users type them, on a server whose folders live under "INBOX." (Courier).

The suite's Dovecot is configured with the personal namespace prefix "INBOX." and "." as
separator, so its folders are INBOX.Archive, INBOX.Junk ...: `move --to Archive` in the
CLI and the TUI's move picker must find them, and a name that is nowhere says so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_cli import config_text
from tests.support.accounts import imap_account, server_subjects
from tests.support.dovecot import DovecotFactory, DovecotServer, MailUser, make_message
from tests.ui.conftest import main_screen, settled, wait_for
from tui_mail.config import AppConfig
from tui_mail.core.account.service import AccountService
from tui_mail.core.errors import ServerError
from tui_mail.core.imap.backend import ImapBackend
from tui_mail.ui.app import MailApp
from tui_mail.ui.screens.folder_picker import FolderPicker


@pytest.fixture(scope="module")
def courier_like(dovecot_factory: DovecotFactory) -> DovecotServer:
    return dovecot_factory(name="prefixed", separator=".", prefix="INBOX.")


@pytest.fixture
def user(courier_like: DovecotServer) -> MailUser:
    user = courier_like.add_user()
    courier_like.create_folder(user, "INBOX.Projects")
    courier_like.deliver(user, [make_message(i, subject=f"Message {i}") for i in range(4)])
    return user


def run_cli(
    server: DovecotServer, user: MailUser, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    secret = tmp_path / "secret"
    secret.write_text(user.password + "\n")
    config = tmp_path / "config.toml"
    config.write_text(config_text(server, user, secret))
    env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(tmp_path / "d"))
    return subprocess.run(
        [sys.executable, "-m", "tui_mail", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_cli_move_resolves_short_names_roles_and_the_namespace(
    courier_like: DovecotServer, user: MailUser, tmp_path: Path
) -> None:
    assert run_cli(courier_like, user, tmp_path, "sync").returncode == 0
    for uid, typed, folder in (
        ("1", "Archive", "INBOX.Archive"),  # the \\Archive folder (also the name "Archive")
        ("2", "Projects", "INBOX.Projects"),  # no role: under the namespace prefix
        ("3", "spam", "INBOX.Junk"),  # a name of the junk role
    ):
        moved = run_cli(courier_like, user, tmp_path, "move", uid, "--to", typed)
        assert moved.returncode == 0, moved.stderr
        assert moved.stderr.strip() == f"Moved 1 message(s) to {folder}."
        assert f"Subject: Message {int(uid) - 1}" in server_subjects(courier_like, user, folder)


def test_cli_move_to_a_folder_that_is_nowhere_is_a_usage_error(
    courier_like: DovecotServer, user: MailUser, tmp_path: Path
) -> None:
    assert run_cli(courier_like, user, tmp_path, "sync").returncode == 0
    moved = run_cli(courier_like, user, tmp_path, "move", "1", "--to", "Nowhere")
    assert moved.returncode == 2, moved.stderr
    assert moved.stderr.strip() == (
        "tui-mail: There is no folder named 'Nowhere' (folders: INBOX, INBOX.Drafts, INBOX.Sent, "
        "INBOX.Archive, INBOX.Junk, INBOX.Trash, INBOX.Projects)."
    )
    assert len(server_subjects(courier_like, user, "INBOX")) == 4  # nothing moved


def test_a_server_refusal_is_one_sentence(courier_like: DovecotServer, user: MailUser) -> None:
    backend = ImapBackend(imap_account(courier_like, user), lambda: user.password)
    try:
        backend.connect()
        with pytest.raises(ServerError) as refused:
            backend.move("INBOX", [1], "Archive")  # no such name here: it is INBOX.Archive
    finally:
        backend.close()
    text = str(refused.value)
    assert text.startswith("The server refused ")
    assert text.endswith(".") and ".." not in text, text


async def test_tui_move_picker_finds_folders_by_short_name_and_role(
    courier_like: DovecotServer, user: MailUser, tmp_path: Path
) -> None:
    account = imap_account(courier_like, user, name="work")
    app = MailApp(
        AppConfig(path=tmp_path / "config.toml", accounts=(account,)),
        data_dir=tmp_path / "data",
        service_factory=lambda a, data: AccountService(a, data, secret=lambda: user.password),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        for typed, folder in (("Archive", "INBOX.Archive"), ("spam", "INBOX.Junk"),
                              ("bin", "INBOX.Trash")):  # fmt: skip
            screen.messages.focus()
            await pilot.press("m")
            await wait_for(pilot, lambda: isinstance(app.screen, FolderPicker))
            for key in typed:
                await pilot.press(key)
            await pilot.press("enter")
            await wait_for(pilot, lambda: not isinstance(app.screen, FolderPicker))
            await settled(pilot, app)
            assert len(server_subjects(courier_like, user, folder)) == 1, typed
        assert main_screen(app) is screen
    assert len(server_subjects(courier_like, user, "INBOX")) == 1
