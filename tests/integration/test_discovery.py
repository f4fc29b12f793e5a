"""The discovery chain against real local servers: HTTPS autoconfig, DNS, and probes of the
suite's Dovecot and an SMTP server; and `tui-mail discover` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import DovecotServer
from tests.support.setup_servers import DnsServer, LocalCA, WebServer, free_port, smtp_server
from tui_mail.core.discovery import DiscoveryOptions, Network, discover

AUTOCONFIG = """<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="example.test">
  <incomingServer type="imap"><hostname>{imap}</hostname><port>993</port>
    <socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
  {smtp}
</emailProvider></clientConfig>
"""
SMTP_ELEMENT = (
    "<outgoingServer type='smtp'><hostname>smtp.example.test</hostname><port>587</port>"
    "<socketType>STARTTLS</socketType></outgoingServer>"
)
LOOPBACK = dict.fromkeys(
    ("autoconfig.example.test", "example.test", "imap.example.test", "mail.example.test",
     "smtp.example.test", "imap.localhost", "mail.localhost", "smtp.localhost"),
    "127.0.0.1",
)  # fmt: skip


@pytest.fixture
def ca(tmp_path: Path) -> LocalCA:
    return LocalCA(tmp_path / "ca")


@pytest.fixture
def web(ca: LocalCA) -> Iterator[WebServer]:
    server = WebServer(ca.server_context("autoconfig.example.test", "example.test"))
    yield server
    server.close()


def xml_route(text: str) -> object:
    return lambda request: (200, {"Content-Type": "application/xml"}, text.encode())


def network(web: WebServer, ca: LocalCA, **ports: int) -> Network:
    port_map = {443: web.port} | {int(k.removeprefix("p")): v for k, v in ports.items()}
    return Network(LOOPBACK, port_map, ca.pem, timeout=3)


def offline(net: Network, **changes: object) -> DiscoveryOptions:
    settings: dict[str, object] = {"network": net, "use_dns": False, "use_guesses": False}
    settings.update(changes)
    return DiscoveryOptions(**settings)  # type: ignore[arg-type]


def test_autoconfig_from_the_autoconfig_host(web: WebServer, ca: LocalCA) -> None:
    web.routes["/mail/config-v1.1.xml"] = xml_route(
        AUTOCONFIG.format(imap="imap.example.test", smtp=SMTP_ELEMENT)
    )  # type: ignore[assignment]

    found = discover("ada@example.test", offline(network(web, ca)))

    assert found.imap is not None and found.smtp is not None
    assert (found.imap.host, found.imap.port, found.imap.security, found.imap.source) == (
        "imap.example.test", 993, "tls", "autoconfig",
    )  # fmt: skip
    assert (found.smtp.host, found.smtp.security) == ("smtp.example.test", "starttls")
    assert found.username == "ada@example.test"
    assert found.needs_consent == ()
    request = web.requests[0]
    assert request.host == "autoconfig.example.test"
    assert request.query == {"emailaddress": ["ada@example.test"]}


def test_well_known_autoconfig_when_the_first_url_has_none(web: WebServer, ca: LocalCA) -> None:
    web.routes["/.well-known/autoconfig/mail/config-v1.1.xml"] = xml_route(
        AUTOCONFIG.format(imap="imap.hoster.example", smtp="")
    )  # type: ignore[assignment]

    found = discover("ada@example.test", offline(network(web, ca)))

    assert [(r.host, r.path) for r in web.requests] == [
        ("autoconfig.example.test", "/mail/config-v1.1.xml"),
        ("example.test", "/.well-known/autoconfig/mail/config-v1.1.xml"),
    ]
    assert found.imap is not None and found.imap.host == "imap.hoster.example"
    assert found.imap.needs_consent  # outside example.test, and from HTTP
    assert found.needs_consent == (found.imap,)
    assert found.smtp is None
    outcomes = [s.outcome for s in found.steps if s.source == "autoconfig"]
    assert outcomes == ["HTTP 404", "found imap"]


def test_autoconfig_redirect_to_plain_http_is_not_followed(web: WebServer, ca: LocalCA) -> None:
    web.routes["/mail/config-v1.1.xml"] = lambda request: (
        302,
        {"Location": "http://example.test/evil.xml"},
        b"",
    )  # type: ignore[assignment]

    found = discover("ada@example.test", offline(network(web, ca)))

    assert found.imap is None
    assert "refused to follow a redirect to a non-https URL" in found.steps[1].outcome


def test_autoconfig_from_an_untrusted_server_is_ignored(web: WebServer, tmp_path: Path) -> None:
    web.routes["/mail/config-v1.1.xml"] = xml_route(
        AUTOCONFIG.format(imap="imap.example.test", smtp=SMTP_ELEMENT)
    )  # type: ignore[assignment]
    other_ca = LocalCA(tmp_path / "other")

    found = discover("ada@example.test", offline(network(web, other_ca)))

    assert found.imap is None
    assert found.steps[1].outcome.startswith("certificate not trusted")


def test_mx_at_google_means_the_gmail_preset(tmp_path: Path) -> None:
    dns = DnsServer(
        {("custom.test", "MX"): ["10 aspmx.l.google.com.", "20 alt1.aspmx.l.google.com."]}
    )
    try:
        options = DiscoveryOptions(resolver=dns.resolver(), use_autoconfig=False, use_guesses=False)
        found = discover("ada@custom.test", options)
    finally:
        dns.close()

    assert found.provider is not None and found.provider.key == "gmail"
    assert found.imap is not None and found.imap.host == "imap.gmail.com"
    assert found.imap.source == "preset" and found.imap.outside_domain
    assert not found.imap.needs_consent
    assert found.auth_methods == ("oauth2", "password")


def test_srv_records_implicit_tls_first_and_dot_means_not_offered() -> None:
    dns = DnsServer({
        ("srv.test", "MX"): ["10 mx.srv.test."],
        ("_imaps._tcp.srv.test", "SRV"): ["10 1 993 imap-b.srv.test.", "0 1 9993 imap-a.srv.test."],
        ("_imap._tcp.srv.test", "SRV"): ["0 1 143 plain.srv.test."],
        ("_submissions._tcp.srv.test", "SRV"): ["0 0 0 ."],
        ("_submission._tcp.srv.test", "SRV"): ["0 1 587 smtp.mailhost.example."],
    })  # fmt: skip
    try:
        options = DiscoveryOptions(resolver=dns.resolver(), use_autoconfig=False, use_guesses=False)
        found = discover("ada@srv.test", options)
    finally:
        dns.close()

    assert found.imap is not None and found.smtp is not None
    assert (found.imap.host, found.imap.port, found.imap.security, found.imap.source) == (
        "imap-a.srv.test", 9993, "tls", "srv",
    )  # fmt: skip
    assert (found.smtp.host, found.smtp.port, found.smtp.security) == (
        "smtp.mailhost.example", 587, "starttls",
    )  # fmt: skip
    assert found.smtp.needs_consent and not found.imap.needs_consent
    assert ("_submission._tcp.srv.test", "SRV") in dns.queries


def test_guesses_find_verified_servers(dovecot: DovecotServer, ca: LocalCA) -> None:
    with smtp_server(ca, {}, "smtp.localhost") as (smtp_port, _auth):
        net = Network(
            LOOPBACK,
            {993: dovecot.imaps_port, 143: dovecot.imap_port, 587: smtp_port, 465: free_port()},
            ca.bundle_with(dovecot.ca_pem), timeout=3,
        )  # fmt: skip
        found = discover(
            "ada@localhost", DiscoveryOptions(network=net, use_autoconfig=False, use_dns=False)
        )

    # imap.localhost and mail.localhost reach the same Dovecot, but its certificate is only
    # for "localhost": those guesses fail verification, the bare domain wins.
    assert found.imap is not None and found.smtp is not None
    assert (found.imap.host, found.imap.port, found.imap.security, found.imap.source) == (
        "localhost", 993, "tls", "guess",
    )  # fmt: skip
    assert (found.smtp.host, found.smtp.port, found.smtp.security) == (
        "smtp.localhost", 587, "starttls",
    )  # fmt: skip


def test_the_chain_fills_gaps_from_later_steps(web: WebServer, ca: LocalCA) -> None:
    web.routes["/mail/config-v1.1.xml"] = xml_route(
        AUTOCONFIG.format(imap="imap.example.test", smtp="")
    )  # type: ignore[assignment]
    dns = DnsServer({("_submission._tcp.example.test", "SRV"): ["0 1 587 smtp.example.test."]})
    seen: list[str] = []
    try:
        options = DiscoveryOptions(
            network=network(web, ca), resolver=dns.resolver(), use_guesses=False,
            on_step=lambda source, what: seen.append(source),
        )  # fmt: skip
        found = discover("ada@example.test", options)
    finally:
        dns.close()

    assert found.imap is not None and found.imap.source == "autoconfig"
    assert found.smtp is not None and found.smtp.source == "srv"
    assert seen == ["autoconfig", "preset", "srv"]  # SRV for SMTP only: IMAP was known


def test_discover_command_prints_a_preset_without_network(tmp_path: Path) -> None:
    env = dict(os.environ, TUI_MAIL_CONFIG=str(tmp_path / "none.toml"))
    shown = subprocess.run(
        [sys.executable, "-m", "tui_mail", "discover", "ada@outlook.com", "--json"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip

    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["provider"] == {"key": "outlook", "name": "Outlook.com / Hotmail / Live"}
    assert data["imap"] == {
        "host": "outlook.office365.com", "port": 993, "security": "tls", "source": "preset",
        "username": "ada@outlook.com", "outside_domain": True, "needs_consent": False,
    }  # fmt: skip
    assert data["smtp"]["host"] == "smtp-mail.outlook.com"
    assert data["auth_methods"] == ["oauth2"]
    assert data["save_sent"] is False

    text = subprocess.run(
        [sys.executable, "-m", "tui_mail", "discover", "ada@gmail.com"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert "IMAP  imap.gmail.com:993 (tls)" in text.stdout
    assert "found by preset" in text.stdout


def test_discover_command_rejects_a_non_address() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "tui_mail", "discover", "not-an-address"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert shown.returncode == 2
    assert shown.stderr.strip() == (
        "tui-mail: 'not-an-address' is not an email address; expected one like me@example.org"
    )
