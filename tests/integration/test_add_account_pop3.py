"""POP3 accounts from the wizard's chain: discovery that finds only POP3, and
`tui-mail add-account` making a working `type = "pop3"` account on the suite's Dovecot."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_add_account import Run, cli, smtp  # noqa: F401 -- fixtures
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.setup_servers import LocalCA, WebServer
from tui_mail.core.discovery import DiscoveryOptions, Network, discover
from tui_mail.core.discovery.account import AccountDraft

POP3_ONLY = b"""<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="example.test">
  <incomingServer type="pop3"><hostname>pop.example.test</hostname><port>995</port>
    <socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>smtp.example.test</hostname><port>587</port>
    <socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username></outgoingServer>
</emailProvider></clientConfig>
"""


@pytest.fixture
def pop3_autoconfig(tmp_path: Path) -> Iterator[DiscoveryOptions]:
    ca = LocalCA(tmp_path / "ca")
    web = WebServer(ca.server_context("autoconfig.example.test", "example.test"))
    web.routes["/mail/config-v1.1.xml"] = lambda request: (200, {}, POP3_ONLY)
    loopback = dict.fromkeys(("autoconfig.example.test", "example.test"), "127.0.0.1")
    yield DiscoveryOptions(network=Network(loopback, {443: web.port}, ca.pem, timeout=3),
                           use_dns=False, use_guesses=False)  # fmt: skip
    web.close()


def test_autoconfig_with_only_pop3_gives_a_pop3_draft(
    pop3_autoconfig: DiscoveryOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUI_MAIL_DATA_DIR", str(tmp_path / "data"))
    found = discover("ada@example.test", pop3_autoconfig)

    assert found.imap is None and found.pop3_only
    assert (found.pop3.host, found.pop3.port, found.pop3.security) == (  # type: ignore[union-attr]
        "pop.example.test", 995, "tls",
    )  # fmt: skip
    assert "found smtp, pop3" in [s.outcome for s in found.steps]
    account = AccountDraft.from_discovery(found).to_account()
    assert account.type == "pop3" and account.imap is None
    assert account.pop3 is not None and account.pop3.leave_on_server
    assert account.path == tmp_path / "data" / "pop3" / "example"
    assert account.username == "ada"


def test_add_account_by_flags_makes_a_working_pop3_account(
    cli: Run, tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser,  # noqa: F811
    smtp: tuple[int, LocalCA],  # noqa: F811
) -> None:  # fmt: skip
    port, ca = smtp
    dovecot.deliver(mail_user, [make_message(0, subject="Downloaded by POP3")])

    added = cli(
        "add-account", "--email", f"{mail_user.name}@example.test", "--name", "pop",
        "--username", mail_user.name, "--pop3-host", "localhost", "--pop3-port",
        str(dovecot.pop3s_port), "--smtp-host", "localhost", "--smtp-port", str(port),
        "--smtp-security", "starttls", "--ca-file", str(ca.bundle_with(dovecot.ca_pem)),
        "--yes", "--password-stdin", stdin=mail_user.password + "\n",
    )  # fmt: skip

    assert added.returncode == 0, added.stderr
    assert f"POP3  login         ok    as {mail_user.name} (password)" in added.stderr
    assert "POP3  messages      ok    1 on the server" in added.stderr
    saved = tomllib.loads((tmp_path / "cfg" / "config.toml").read_text())["accounts"][0]
    assert saved["type"] == "pop3"
    assert saved["pop3"] == {"host": "localhost", "port": dovecot.pop3s_port, "security": "tls"}
    assert Path(saved["path"]).expanduser() == tmp_path / "data" / "pop3" / "pop"
    assert "imap" not in saved

    listed = cli("list", "-a", "pop")
    assert listed.returncode == 0, listed.stderr
    assert "Downloaded by POP3" in listed.stdout
