"""Built-in settings for the providers most people use (see FIELD-NOTES, "Providers").

Matched by the address's domain, or by the domain's MX hosts, so that a custom domain
hosted at Google or Microsoft is recognised too.
"""

from __future__ import annotations

from collections.abc import Iterable

from tui_mail.core.discovery.model import ProviderPreset

_GOOGLE_NOTE = (
    "Google refuses your normal password here. Either use OAuth2 (auth = oauth2, with your "
    "own client ID), or turn on 2-Step Verification and create an app password at "
    "https://myaccount.google.com/apppasswords, then use that 16-letter password."
)
_YAHOO_NOTE = (
    "{name} refuses your normal password in mail programs. Create an app password in your "
    "account's security settings (Account security -> Generate app password) and use it here."
)

GMAIL = ProviderPreset(
    key="gmail",
    name="Gmail / Google Workspace",
    domains=("gmail.com", "googlemail.com"),
    mx_suffixes=("google.com", "googlemail.com"),
    imap=("imap.gmail.com", 993, "tls"),
    smtp=("smtp.gmail.com", 587, "starttls"),
    auth_methods=("oauth2", "password"),
    oauth2_provider="google",
    save_sent=False,  # Gmail files submitted mail in Sent itself; an APPEND would double it
    password_note=_GOOGLE_NOTE,
)
OUTLOOK = ProviderPreset(
    key="outlook",
    name="Outlook.com / Hotmail / Live",
    domains=(
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "passport.com",
        "outlook.de",
        "outlook.fr",
        "outlook.es",
        "outlook.it",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "hotmail.it",
        "hotmail.es",
        "live.co.uk",
        "live.fr",
        "live.de",
        "live.nl",
        "live.it",
    ),
    mx_suffixes=("olc.protection.outlook.com",),
    imap=("outlook.office365.com", 993, "tls"),
    smtp=("smtp-mail.outlook.com", 587, "starttls"),
    auth_methods=("oauth2",),
    oauth2_provider="microsoft",
    save_sent=False,  # Outlook.com keeps a copy of what it relays in Sent Items
)
MICROSOFT_365 = ProviderPreset(
    key="microsoft365",
    name="Microsoft 365",
    domains=(),
    mx_suffixes=("mail.protection.outlook.com",),
    imap=("outlook.office365.com", 993, "tls"),
    smtp=("smtp.office365.com", 587, "starttls"),
    auth_methods=("oauth2",),
    oauth2_provider="microsoft",
    save_sent=False,
)
YAHOO = ProviderPreset(
    key="yahoo",
    name="Yahoo Mail",
    domains=(
        "yahoo.com",
        "ymail.com",
        "rocketmail.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "yahoo.es",
        "yahoo.it",
        "yahoo.ca",
        "yahoo.com.au",
        "yahoo.co.jp",
        "yahoo.co.in",
    ),
    mx_suffixes=("yahoodns.net",),
    imap=("imap.mail.yahoo.com", 993, "tls"),
    smtp=("smtp.mail.yahoo.com", 587, "starttls"),
    auth_methods=("password",),
    password_note=_YAHOO_NOTE.format(name="Yahoo"),
)
AOL = ProviderPreset(
    key="aol",
    name="AOL Mail",
    domains=("aol.com", "aim.com", "aol.co.uk", "aol.de", "aol.fr"),
    mx_suffixes=(),  # AOL's MX hosts are Yahoo's: a custom domain there is a Yahoo one
    imap=("imap.aol.com", 993, "tls"),
    smtp=("smtp.aol.com", 587, "starttls"),
    auth_methods=("password",),
    password_note=_YAHOO_NOTE.format(name="AOL"),
)

PRESETS: tuple[ProviderPreset, ...] = (GMAIL, OUTLOOK, MICROSOFT_365, YAHOO, AOL)


def preset_for_domain(domain: str) -> ProviderPreset | None:
    """The preset owning this mail domain, if any."""
    domain = domain.rstrip(".").lower()
    for preset in PRESETS:
        if domain in preset.domains:
            return preset
    return None


def preset_for_mx(mx_hosts: Iterable[str]) -> ProviderPreset | None:
    """The preset whose MX suffix matches the best (first) MX host that matches any."""
    for host in mx_hosts:
        name = host.rstrip(".").lower()
        # Longest suffix first: Outlook.com's MX is also under protection.outlook.com.
        matches = [
            (len(suffix), preset)
            for preset in PRESETS
            for suffix in preset.mx_suffixes
            if name == suffix or name.endswith("." + suffix)
        ]
        if matches:
            return max(matches, key=lambda match: match[0])[1]
    return None


def preset_for_host(host: str) -> ProviderPreset | None:
    """The preset whose IMAP or SMTP server this is (the doctor uses it for its advice)."""
    name = host.rstrip(".").lower()
    for preset in PRESETS:
        if name in (preset.imap[0], preset.smtp[0]):
            return preset
    return None
