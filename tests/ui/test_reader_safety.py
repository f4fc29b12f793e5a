"""Hostile mail in the real app over the suite's Dovecot: what the screen shows, what runs.

Messages from tests/data/hostile are delivered to Dovecot and opened with Pilot. The
assertions are on what a user sees (the widgets' text and the exported screenshot) and on
what happened outside (files in the download directory, what xdg-open was started with).
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tests.integration.test_cli import config_text
from tests.support.dovecot import DovecotServer, MailUser
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tests.unit.test_hostile_corpus import CORPUS, ten_megabytes
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.screens.open_item import ConfirmOpen, ItemPicker
from tui_mail.ui.screens.path_prompt import PathPrompt

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MARKUP_SUBJECT = "[bold red]x[/] [link=file:///etc/passwd]click[/link]"
MARKUP_FOLDER = "[b]x [@click=quit]q"


def corpus(*names: str) -> list[bytes]:
    return [(CORPUS / f"{name}.eml").read_bytes() for name in names]


def screen_text(app: MailApp) -> str:
    """The exported screenshot (SVG), with its non-breaking spaces made plain again."""
    return app.export_screenshot().replace("&#160;", " ")


@pytest.fixture
def fake_opener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real `xdg-open` first on PATH that writes down what it was asked to open."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "opened.txt"
    script = bin_dir / "xdg-open"
    script.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}.tmp && mv {record}.tmp {record}\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return record


async def open_subject(pilot: Pilot[Any], screen: MainScreen, subject: str) -> None:
    """Move the list cursor to `subject` and open it; wait until the reader shows it."""
    screen.messages.focus()
    index = visible_rows(screen).index(subject)
    screen.messages.cursor = index
    screen.reader.ref = None  # the reader keeps the open message
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.open_ref is not None)
    await pilot.pause()


async def pick(pilot: Pilot[Any], app: MailApp, position: int) -> list[str]:
    """Choose the item at `position` in the picker; returns every item as it was shown."""
    await wait_for(pilot, lambda: isinstance(app.screen, ItemPicker))
    options = app.screen.query_one(OptionList)
    shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    options.highlighted = position
    await pilot.press("enter")
    return shown


async def test_markup_and_escapes_show_literally_in_list_reader_and_folder_tree(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, corpus("markup_subject", "osc52_subject", "escapes_in_body",
                                      "bidi_filename", "nested_rfc822"))  # fmt: skip
    dovecot.create_folder(mail_user, MARKUP_FOLDER)
    app = make_app(mail_user)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await settled(pilot, app)
        rows = visible_rows(screen)
        assert MARKUP_SUBJECT in rows
        assert "clipboard please" in rows
        tree_labels = [str(node.label) for node in screen.folder_tree._by_key.values()]
        assert any(label.startswith(MARKUP_FOLDER) for label in tree_labels), tree_labels

        await open_subject(pilot, screen, MARKUP_SUBJECT)
        shown = screen.reader.shown_text()
        assert f"Subject: {MARKUP_SUBJECT}" in shown
        assert "[reverse]body[/reverse] [@click=app.quit]quit[/]" in shown
        svg = screen_text(app)
        assert MARKUP_SUBJECT in svg  # in the list and in the reader
        assert svg.count("[bold red]x[/]") >= 2  # list and reader
        assert MARKUP_FOLDER in svg  # the folder tree (a "/" would nest it)
        assert "\x1b" not in svg

        for subject in ("clipboard please", "terminal games", "invoice", "forwarded"):
            await open_subject(pilot, screen, subject)
            shown = screen.reader.shown_text()
            assert CONTROL.search(shown) is None, (subject, CONTROL.findall(shown))
            svg = screen_text(app)
            assert "\x1b" not in svg
            assert "\x07" not in svg
        assert "invoice⟨RLO⟩fdp.exe" not in shown  # the last one opened is "forwarded"
        await open_subject(pilot, screen, "invoice")
        assert "invoice⟨RLO⟩fdp.exe (application/pdf" in screen.reader.shown_text()
        assert "invoice⟨RLO⟩fdp.exe" in screen_text(app)


async def test_a_link_is_opened_only_after_showing_its_real_target(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, fake_opener: Path
) -> None:
    dovecot.deliver(mail_user, corpus("html_phishing"))
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await open_subject(pilot, screen, "your bank")
        await pilot.press("o")
        assert await pick(pilot, app, 0) == [
            "link 1: https://evil.example/login  (suspicious)",
            "link 2: javascript:alert(1)",
            "link 3: file:///etc/passwd",
        ]
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmOpen))
        details = str(app.screen.query_one("#confirm-details", Static).render())
        assert "https://evil.example/login" in details
        assert 'the link text says "https://bank.example"' in details
        assert not fake_opener.exists()  # nothing runs before the answer
        await pilot.press("y")
        await wait_for(pilot, fake_opener.exists)
        assert fake_opener.read_text() == "https://evil.example/login\n"
        fake_opener.unlink()

        for position, scheme in ((1, "javascript"), (2, "file")):
            await pilot.press("o")
            await pick(pilot, app, position)
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
            said = str(screen.status.query_one("#status-message").render())
            assert f"{scheme}: links are never opened" in said
        await pilot.pause(0.2)
        assert not fake_opener.exists()


async def test_attachments_are_saved_safely_and_opened_after_a_confirmation(
    dovecot: DovecotServer,
    mail_user: MailUser,
    make_app: AppFactory,
    fake_opener: Path,
    tmp_path: Path,
) -> None:
    dovecot.deliver(mail_user, corpus("rfc2231_traversal"))
    app = make_app(mail_user)
    downloads = tmp_path / "dl"
    app.config = dataclasses.replace(app.config, download_dir=downloads)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await open_subject(pilot, screen, "report")
        for _ in range(2):
            await pilot.press("S")
            await pick(pilot, app, 0)
            await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
            assert app.screen.query_one(Input).value == f"{downloads}/"  # Enter: keep the name
            await pilot.press("enter")
            await wait_for(pilot, lambda: "Saved" in str(
                screen.status.query_one("#status-message").render()))  # fmt: skip
            said = str(screen.status.query_one("#status-message").render())
            screen.status.say("")
        assert said == f"Saved {downloads / 'bashrc (1)'}"
        assert sorted(p.name for p in tmp_path.rglob("*bashrc*")) == ["bashrc", "bashrc (1)"]

        await pilot.press("o")
        shown = await pick(pilot, app, 3)
        assert shown[3] == "attachment 4: _CON.txt (text/plain, 1 byte)"
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmOpen))
        details = str(app.screen.query_one("#confirm-details", Static).render())
        assert "Name: _CON.txt" in details
        assert "Type: text/plain" in details
        assert f"Saved as: {downloads / '_CON.txt'}" in details
        assert not fake_opener.exists()
        await pilot.press("y")
        await wait_for(pilot, fake_opener.exists)
        assert fake_opener.read_text() == f"{downloads / '_CON.txt'}\n"
    assert (downloads / "bashrc").read_bytes() == b"echo pwned\n"
    assert not any(p.name.startswith(".") for p in downloads.iterdir())


async def test_a_ten_megabyte_message_opens_truncated_and_load_all_keeps_keys_working(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [ten_megabytes(), *corpus("escapes_in_body", "osc52_subject")])
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        started = time.perf_counter()
        await open_subject(pilot, screen, "ten megabytes")
        opened_in = time.perf_counter() - started
        assert screen.reader.truncated
        first = str(screen.reader.body.render())
        assert re.search(r"\[Truncated: 10(\.\d)? MB, showing first 200 kB\]", first)
        assert "[L loads all of it]" in first
        assert opened_in < 20, opened_in  # fetch + render + layout; generous for a shared CI

        app.simulate_key("L")
        await wait_for(pilot, lambda: not screen.reader.truncated, timeout=60)
        # The pieces are still being mounted: the UI answers a key meanwhile.
        content = screen.query_one("#content")
        beside = content.has_class("-beside")
        app.simulate_key("w")
        await wait_for(pilot, lambda: content.has_class("-beside") != beside, timeout=10)
        assert screen.reader.message is not None
        assert screen.reader.message.body.endswith("LAST LINE")
        assert "[Truncated" not in screen.reader.shown_text()
        # Filling in all 10 MB takes Textual 15-20 s of layout here; opening another
        # message stops it (below), which is what a user who has seen enough does.

        await open_subject(pilot, screen, "terminal games")
        await pilot.pause()
        assert len(screen.reader.query(Static)) == 1  # the pieces of the big one are gone
        assert "\x1b" not in screen.reader.shown_text()
        assert "\x1b" not in screen_text(app)


async def test_load_all_shows_the_rest_of_a_long_message(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    body = "".join(f"line {n}: some words to read\n" for n in range(20_000)) + "THE END\n"
    long_message = f"From: a@example.org\nSubject: long\n\n{body}".encode()
    dovecot.deliver(mail_user, [long_message])
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await open_subject(pilot, screen, "long")
        assert "THE END" not in screen.reader.shown_text()
        await pilot.press("L")
        await wait_for(pilot, lambda: "THE END" in screen.reader.shown_text(), timeout=60)
        shown = screen.reader.shown_text()
        assert "[L loads all of it]" not in shown
        assert shown.count("some words to read") == 20_000  # nothing lost or doubled at cuts
        await pilot.press("L")
        said = str(screen.status.query_one("#status-message").render())
        assert said == "The whole message is already shown."


def test_save_attachment_from_the_cli_uses_the_same_safe_names(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, corpus("rfc2231_traversal"))
    secret = tmp_path / "secret"
    secret.write_text(mail_user.password)
    config = tmp_path / "config.toml"
    config.write_text(config_text(dovecot, mail_user, secret))
    env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(tmp_path / "d"))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui_mail", *args],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip

    target = tmp_path / "out"
    saved = [cli("save-attachment", "1", "1", "--to", str(target)) for _ in range(2)]
    assert [r.stdout for r in saved] == [f"{target / 'bashrc'}\n", f"{target / 'bashrc (1)'}\n"]
    assert (target / "bashrc").read_bytes() == b"echo pwned\n"
    missing = cli("save-attachment", "-f", "INBOX", "1", "9", "--to", str(target))
    assert missing.returncode == 2
    assert "has no attachment 9; its attachments: 1 (bashrc), 2 (evil)" in missing.stderr
    assert "Traceback" not in missing.stderr


async def test_control_and_bidi_characters_in_folder_names_are_not_shown_raw(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.create_folder(mail_user, "c1\x9b6n")  # U+009B is an 8-bit CSI
    dovecot.create_folder(mail_user, "bidi\u202eevil")
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        labels = [str(node.label) for node in screen.folder_tree._by_key.values()]
        assert "c1" in labels  # the whole 8-bit CSI sequence (\x9b 6 n) is gone
        assert "bidi⟨RLO⟩evil" in labels
        svg = screen_text(app)
        assert "\x9b" not in svg
        assert "\u202e" not in svg
