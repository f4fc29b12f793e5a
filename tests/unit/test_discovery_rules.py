"""Discovery's pure parts: presets, autoconfig parsing, guesses' order, drafts and saving."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tui_mail.config import ServerConfig, load_config
from tui_mail.core.discovery import (
    Discovery,
    ServerSuggestion,
    email_domain,
    is_outside,
    preset_for_domain,
    preset_for_host,
)
from tui_mail.core.discovery.account import (
    AccountDraft,
    default_account_name,
    save_new_account,
    unused_name,
)
from tui_mail.core.discovery.autoconfig import NotAutoconfig, autoconfig_urls, parse_autoconfig
from tui_mail.core.discovery.guess import candidates
from tui_mail.core.discovery.presets import preset_for_mx
from tui_mail.core.errors import UsageError

CLIENT_CONFIG = b"""<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <incomingServer type="pop3">
      <hostname>pop.example.org</hostname><port>995</port><socketType>SSL</socketType>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap-plain.example.org</hostname><port>143</port><socketType>plain</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>starttls.%EMAILDOMAIN%</hostname><port>143</port>
      <socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>IMAP.example.org</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
      <authentication>OAuth2</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname><port>587</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"""


def test_presets_by_domain_mx_and_host() -> None:
    assert preset_for_domain("GMAIL.com").key == "gmail"  # type: ignore[union-attr]
    assert preset_for_domain("hotmail.co.uk").key == "outlook"  # type: ignore[union-attr]
    assert preset_for_domain("aol.com").imap == ("imap.aol.com", 993, "tls")  # type: ignore[union-attr]
    assert preset_for_domain("example.org") is None
    assert preset_for_mx(["mx.example.org", "ASPMX.L.GOOGLE.COM."]).key == "gmail"  # type: ignore[union-attr]
    assert preset_for_mx(["example-org.mail.protection.outlook.com"]).key == "microsoft365"  # type: ignore[union-attr]
    assert preset_for_mx(["mta5.am0.yahoodns.net"]).key == "yahoo"  # type: ignore[union-attr]
    assert preset_for_mx(["notgoogle.com"]) is None
    assert preset_for_host("smtp.office365.com").key == "microsoft365"  # type: ignore[union-attr]


def test_gmail_and_outlook_presets_do_not_save_sent_copies() -> None:
    assert preset_for_domain("gmail.com").save_sent is False  # type: ignore[union-attr]
    assert preset_for_domain("outlook.com").save_sent is False  # type: ignore[union-attr]
    assert preset_for_domain("yahoo.com").save_sent is True  # type: ignore[union-attr]


def test_outside_domain_and_consent() -> None:
    assert email_domain(" Me@Example.ORG. ") == "example.org"
    assert not is_outside("imap.example.org", "example.org")
    assert not is_outside("example.org.", "example.org")
    assert is_outside("evilexample.org", "example.org")
    from_dns = ServerSuggestion("imap", "mail.hoster.net", 993, "tls", "srv", True)
    assert from_dns.needs_consent
    preset = ServerSuggestion("imap", "imap.gmail.com", 993, "tls", "preset", True)
    assert not preset.needs_consent


@pytest.mark.parametrize("bad", ["nobody", "@example.org", "me@", "me @example.org"])
def test_not_an_address(bad: str) -> None:
    with pytest.raises(UsageError, match="is not an email address"):
        email_domain(bad)


def test_autoconfig_prefers_implicit_tls_and_fills_placeholders() -> None:
    imap, smtp = parse_autoconfig(CLIENT_CONFIG, "ada@example.org")

    assert imap is not None and smtp is not None
    assert (imap.host, imap.port, imap.security, imap.username) == (
        "imap.example.org", 993, "tls", "ada",
    )  # fmt: skip
    assert imap.oauth2
    assert (smtp.host, smtp.port, smtp.security, smtp.username) == (
        "smtp.example.org", 587, "starttls", "ada@example.org",
    )  # fmt: skip


def test_autoconfig_plaintext_only_when_insisted_on() -> None:
    plain_only = CLIENT_CONFIG.replace(b"SSL", b"plain").replace(b"STARTTLS", b"plain")

    imap, smtp = parse_autoconfig(plain_only, "ada@example.org")
    assert (imap, smtp) == (None, None)

    imap, _ = parse_autoconfig(plain_only, "ada@example.org", allow_plain=True)
    assert imap is not None and imap.security == "plain"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"<html><body>Not found</body></html>", "root element is <html>"),
        (b"{not xml", "not valid XML"),
        (b"<clientConfig/>", "no <emailProvider>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><clientConfig>&lol2;</clientConfig>',
            "not valid XML (EntitiesForbidden)",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<clientConfig>&e;</clientConfig>",
            "not valid XML",
        ),
    ],
)
def test_bad_autoconfig_documents_are_refused(document: bytes, reason: str) -> None:
    with pytest.raises(NotAutoconfig, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_autoconfig(document, "ada@example.org")


def test_autoconfig_urls_are_https_and_quote_the_address() -> None:
    assert autoconfig_urls("a+b@example.org", "example.org") == (
        "https://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=a%2Bb@example.org",
        "https://example.org/.well-known/autoconfig/mail/config-v1.1.xml",
    )


def test_guesses_try_implicit_tls_first_and_never_plaintext() -> None:
    order = [(c.protocol, c.host, c.port, c.security) for c in candidates("example.org")]

    assert order[:4] == [
        ("imap", "imap.example.org", 993, "tls"),
        ("imap", "mail.example.org", 993, "tls"),
        ("imap", "example.org", 993, "tls"),
        ("imap", "imap.example.org", 143, "starttls"),
    ]
    assert ("smtp", "smtp.example.org", 465, "tls") in order
    assert order.index(("smtp", "smtp.example.org", 465, "tls")) < order.index(
        ("smtp", "smtp.example.org", 587, "starttls")
    )
    assert all(security != "plain" for *_, security in order)
    pop3 = [
        (host, port, security) for protocol, host, port, security in order if protocol == "pop3"
    ]
    assert pop3 == [(f"{name}.example.org", 995, "tls") for name in ("pop3", "pop", "mail")]
    assert len(order) == 13


def gmail_discovery() -> Discovery:
    preset = preset_for_domain("gmail.com")
    assert preset is not None
    return Discovery(
        email="ada@gmail.com", domain="gmail.com",
        imap=ServerSuggestion("imap", "imap.gmail.com", 993, "tls", "preset", False,
                              "ada@gmail.com"),
        smtp=ServerSuggestion("smtp", "smtp.gmail.com", 587, "starttls", "preset", False),
        provider=preset, auth_methods=preset.auth_methods, steps=(),
    )  # fmt: skip


def test_draft_from_a_preset_becomes_an_account_without_sent_copies(tmp_path: Path) -> None:
    draft = AccountDraft.from_discovery(gmail_discovery(), display_name="Ada")

    account = draft.to_account()

    assert account.name == "gmail"
    assert account.auth == "oauth2"
    assert account.oauth2 is not None and account.oauth2.provider == "google"
    assert account.imap == ServerConfig("imap.gmail.com", 993, "tls")
    assert account.smtp == ServerConfig("smtp.gmail.com", 587, "starttls")
    assert account.save_sent is False


def test_saving_appends_to_the_file_and_refuses_a_taken_name(tmp_path: Path) -> None:
    config_file = tmp_path / "sub" / "config.toml"
    draft = AccountDraft.from_discovery(gmail_discovery())
    draft.auth = "password"
    draft.password_command = "pass show mail/gmail"

    save_new_account(config_file, draft.to_account())

    saved = tomllib.loads(config_file.read_text())
    assert saved["accounts"][0]["password_command"] == "pass show mail/gmail"
    assert saved["accounts"][0]["save_sent"] is False
    assert load_config(config_file).accounts[0].imap == ServerConfig("imap.gmail.com", 993, "tls")
    assert config_file.stat().st_mode & 0o777 == 0o600
    assert unused_name("gmail", config_file) == "gmail-2"
    with pytest.raises(UsageError, match=r"already has an account named 'gmail'.*--name gmail-2"):
        save_new_account(config_file, draft.to_account())


def test_default_account_names() -> None:
    assert default_account_name("ada@mail.Example.org") == "mail"
    assert default_account_name("ada@gmail.com") == "gmail"


def test_a_draft_without_imap_says_what_to_give() -> None:
    with pytest.raises(UsageError, match="--imap-host"):
        AccountDraft(email="ada@example.org", name="x").to_account()
