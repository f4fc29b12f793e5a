"""The wizard, driven by Pilot, to a working POP3 account: autoconfig that offers only POP3,
the suite's Dovecot (pop3d) and an in-process submission server."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, Select

from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.setup_servers import LocalCA, WebServer, read_file_keyring
from tests.ui.conftest import wait_for
from tests.ui.test_account_setup import find_settings, first_run_app, press_test, shown
from tui_mail.core.discovery import DiscoveryOptions, Network
from tui_mail.ui.main.screen import MainScreen

POP3_ONLY = """<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="example.test">
  <incomingServer type="pop3"><hostname>localhost</hostname><port>{pop3}</port>
    <socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>localhost</hostname><port>{smtp}</port>
    <socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username></outgoingServer>
</emailProvider></clientConfig>
"""


@pytest.fixture
def pop3_autoconfig(
    ca: LocalCA,
    dovecot: DovecotServer,
    smtp_port: int,
) -> Iterator[DiscoveryOptions]:
    web = WebServer(ca.server_context("autoconfig.example.test", "example.test"))
    document = POP3_ONLY.format(pop3=dovecot.pop3s_port, smtp=smtp_port).encode()
    web.routes["/mail/config-v1.1.xml"] = lambda request: (200, {}, document)
    loopback = dict.fromkeys(("autoconfig.example.test", "example.test"), "127.0.0.1")
    network = Network(loopback, {443: web.port}, ca.pem, timeout=3)
    yield DiscoveryOptions(network=network, use_dns=False, use_guesses=False)
    web.close()


async def test_only_pop3_found_then_a_downloading_account_is_saved(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser,
    ca: LocalCA,
    pop3_autoconfig: DiscoveryOptions,
    keyring_file: Path,
) -> None:  # fmt: skip
    dovecot.deliver(mail_user, [make_message(0, subject="Fetched by POP3")])
    app = first_run_app(tmp_path, pop3_autoconfig)
    async with app.run_test(size=(120, 70)) as pilot:
        setup = await find_settings(pilot, app, mail_user, ca.bundle_with(dovecot.ca_pem))
        assert shown(setup, "#message").startswith("Only POP3 was found")
        assert setup.query_one("#account-type", Select).value == "pop3"
        assert not setup.query_one("#pop3-row").has_class("hidden")
        assert setup.query_one("#imap-row").has_class("hidden")
        assert setup.query_one("#pop3-port", Input).value == str(dovecot.pop3s_port)
        assert setup.query_one("#leave-on-server", Checkbox).value
        placeholder = setup.query_one("#pop3-path", Input).placeholder
        assert placeholder == str(tmp_path / "data" / "pop3" / "example")
        await pilot.press(*mail_user.password)

        await press_test(pilot, app, setup)

        results = shown(setup, "#test-results")
        assert "POP3 login        ok" in results, results
        assert "POP3 messages     ok    1 on the server" in results
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        main = app.screen
        assert main.sub_title == "example: INBOX"
        assert list(app.services) == ["example"]
        await wait_for(pilot, lambda: len(main.messages.source) == 1)  # downloaded and shown

    saved = tomllib.loads((tmp_path / "cfg" / "config.toml").read_text())["accounts"][0]
    assert saved["type"] == "pop3"
    assert saved["pop3"] == {"host": "localhost", "port": dovecot.pop3s_port, "security": "tls"}
    assert Path(saved["path"]).expanduser() == tmp_path / "data" / "pop3" / "example"
    assert read_file_keyring(keyring_file) == {
        ("tui-mail", f"example:{mail_user.name}"): mail_user.password
    }
