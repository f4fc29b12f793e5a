"""The account set-up wizard, driven by Pilot, against real parts: autoconfig from a local
HTTPS server, the suite's Dovecot, an in-process submission server, and keyring backends
chosen for the test (a file one, and the "no keyring" one of a machine reached over SSH)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Static

from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.setup_servers import LocalCA, WebServer, read_file_keyring
from tests.ui.conftest import settled, visible_rows, wait_for
from tui_mail.config import AppConfig
from tui_mail.core.discovery import DiscoveryOptions, Network
from tui_mail.ui.app import MailApp
from tui_mail.ui.screens.account_setup import AccountSetup
from tui_mail.ui.widgets.setup_parts import ConsentDialog

AUTOCONFIG = """<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="example.test">
  <incomingServer type="imap"><hostname>localhost</hostname><port>{imap}</port>
    <socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>localhost</hostname><port>{smtp}</port>
    <socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username></outgoingServer>
</emailProvider></clientConfig>
"""


@pytest.fixture
def autoconfig(ca: LocalCA, dovecot: DovecotServer, smtp_port: int) -> Iterator[DiscoveryOptions]:
    """Discovery pointed at a local autoconfig server naming the suite's servers."""
    web = WebServer(ca.server_context("autoconfig.example.test", "example.test"))
    document = AUTOCONFIG.format(imap=dovecot.imaps_port, smtp=smtp_port).encode()
    web.routes["/mail/config-v1.1.xml"] = lambda request: (200, {}, document)
    loopback = dict.fromkeys(("autoconfig.example.test", "example.test"), "127.0.0.1")
    network = Network(loopback, {443: web.port}, ca.pem, timeout=3)
    yield DiscoveryOptions(network=network, use_dns=False, use_guesses=False)
    web.close()


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def first_run_app(tmp_path: Path, discovery: DiscoveryOptions) -> MailApp:
    """The app as `tui-mail` starts it when there is no config file yet."""
    config = AppConfig(tmp_path / "cfg" / "config.toml", ())
    return MailApp(config, data_dir=tmp_path / "data", discovery=discovery)


def shown(screen: Any, selector: str) -> str:
    rendered = screen.query_one(selector, Static).render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


async def find_settings(pilot: Pilot[Any], app: MailApp, user: MailUser, ca_file: Path) -> Any:
    """Address and name typed, settings found, the private CA given; the wizard screen."""
    await wait_for(pilot, lambda: isinstance(app.screen, AccountSetup))
    setup = app.screen
    assert isinstance(setup, AccountSetup)
    await pilot.press(*f"{user.name}@example.test", "tab", *"Ada L", "enter")
    await wait_for(pilot, lambda: setup.found is not None)
    setup.query_one("#ca-file", Input).value = str(ca_file)
    return setup


async def press_test(pilot: Pilot[Any], app: MailApp, setup: Any) -> None:
    """Press ctrl+t, accept sending the password to localhost, wait for the verdict."""
    await pilot.press("ctrl+t")
    await wait_for(pilot, lambda: isinstance(app.screen, ConsentDialog))
    await pilot.press("y")
    await wait_for(pilot, lambda: "test failed" in shown(setup, "#message") or setup.tested)


async def test_found_tested_saved_then_the_inbox_is_shown(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, ca: LocalCA,
    autoconfig: DiscoveryOptions, keyring_file: Path,
) -> None:  # fmt: skip
    dovecot.deliver(mail_user, [make_message(0, subject="Welcome aboard")])
    app = first_run_app(tmp_path, autoconfig)
    async with app.run_test(size=(120, 60)) as pilot:
        setup = await find_settings(pilot, app, mail_user, ca.bundle_with(dovecot.ca_pem))
        log = shown(setup, "#discovery-log")
        assert "preset     built-in providers for example.test: nothing" in log
        assert "autoconfig https://autoconfig.example.test/mail/config-v1.1.xml" in log
        assert "found imap, smtp" in log
        assert setup.query_one("#imap-host", Input).value == "localhost"
        assert setup.query_one("#imap-port", Input).value == str(dovecot.imaps_port)
        assert setup.query_one("#username", Input).value == mail_user.name
        assert "keyring" in shown(setup, "#keyring-note")
        await pilot.press(*mail_user.password)  # the password field has the focus

        await press_test(pilot, app, setup)

        results = shown(setup, "#test-results")
        assert "IMAP login        ok" in results
        assert "SMTP login        ok" in results
        assert "All checks passed" in shown(setup, "#message")
        await pilot.press("ctrl+s")
        screen = await settled(pilot, app)
        assert visible_rows(screen) == ["Welcome aboard"]
        assert screen.sub_title == "example: INBOX"

    config_text = (tmp_path / "cfg" / "config.toml").read_text()
    saved = tomllib.loads(config_text)["accounts"]
    assert [(a["name"], a["email"], a["display_name"]) for a in saved] == [
        ("example", f"{mail_user.name}@example.test", "Ada L")
    ]
    assert saved[0]["imap"] == {"host": "localhost", "port": dovecot.imaps_port,
                                "security": "tls"}  # fmt: skip
    assert saved[0]["smtp"]["security"] == "starttls"
    assert mail_user.password not in config_text
    assert read_file_keyring(keyring_file) == {
        ("tui-mail", f"example:{mail_user.name}"): mail_user.password
    }


async def test_a_wrong_password_shows_the_doctor_and_saves_nothing(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, ca: LocalCA,
    autoconfig: DiscoveryOptions, keyring_file: Path,
) -> None:  # fmt: skip
    app = first_run_app(tmp_path, autoconfig)
    async with app.run_test(size=(120, 60)) as pilot:
        setup = await find_settings(pilot, app, mail_user, ca.bundle_with(dovecot.ca_pem))
        await pilot.press(*"wrong-password-123")

        await press_test(pilot, app, setup)

        results = shown(setup, "#test-results")
        assert "IMAP login        FAIL" in results
        assert "→ " in results  # the doctor's fix under the failure
        assert shown(setup, "#message").startswith("The IMAP login test failed")
        assert setup.query_one("#save", Button).disabled
        await pilot.press("ctrl+s")
        assert "Test the settings first" in shown(setup, "#message")
        assert "wrong-password-123" not in results + shown(setup, "#message")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.is_running)

    assert not (tmp_path / "cfg" / "config.toml").exists()
    assert read_file_keyring(keyring_file) == {}


async def test_without_a_keyring_it_says_so_and_a_password_command_works(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, ca: LocalCA,
    autoconfig: DiscoveryOptions, no_keyring: None,
) -> None:  # fmt: skip
    vault = tmp_path / "vault"
    vault.write_text(mail_user.password + "\n")
    app = first_run_app(tmp_path, autoconfig)
    async with app.run_test(size=(120, 60)) as pilot:
        setup = await find_settings(pilot, app, mail_user, ca.bundle_with(dovecot.ca_pem))
        note = shown(setup, "#keyring-note")
        assert note.startswith(
            "Cannot use the system keyring: no system keyring is available (normal over SSH"
        )
        assert "Give a command that prints the password" in note
        assert setup.query_one("#password-file", Checkbox).display
        await pilot.press(*mail_user.password)
        await press_test(pilot, app, setup)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Nothing was saved" in shown(setup, "#message"))
        assert not (tmp_path / "cfg" / "config.toml").exists()

        setup.query_one("#password", Input).value = ""
        setup.query_one("#password-command", Input).value = f"cat {vault}"
        await pilot.press("ctrl+t")  # the host was approved already: no second question
        await wait_for(pilot, lambda: setup.tested is not None)
        await pilot.press("ctrl+s")
        screen = await settled(pilot, app)
        assert screen.sub_title == "example: INBOX"

    saved = tomllib.loads((tmp_path / "cfg" / "config.toml").read_text())["accounts"][0]
    assert saved["password_command"] == f"cat {vault}"
