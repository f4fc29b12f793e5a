"""What the configuration file may hold: the frozen dataclasses and their constants.

Each field's docstring is the user-facing documentation of the key of the same name.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from tui_mail.config.wording import quote
from tui_mail.core.errors import UsageError

Security = Literal["tls", "starttls", "plain"]
AuthMethod = Literal["password", "oauth2"]
AccountType = Literal["imap", "maildir", "pop3"]
OAuth2Provider = Literal["google", "microsoft"]
SignaturePosition = Literal["below", "above"]

SECURITY_CHOICES: tuple[Security, ...] = ("tls", "starttls", "plain")
AUTH_CHOICES: tuple[AuthMethod, ...] = ("password", "oauth2")
TYPE_CHOICES: tuple[AccountType, ...] = ("imap", "maildir", "pop3")
OAUTH2_PROVIDER_CHOICES: tuple[OAuth2Provider, ...] = ("google", "microsoft")
SIGNATURE_POSITIONS: tuple[SignaturePosition, ...] = ("below", "above")

DEFAULT_PORTS: Mapping[str, Mapping[Security, int]] = MappingProxyType(
    {
        "imap": {"tls": 993, "starttls": 143, "plain": 143},
        "smtp": {"tls": 465, "starttls": 587, "plain": 25},
        "pop3": {"tls": 995, "starttls": 110, "plain": 110},
    }
)
DEFAULT_BODY_CACHE_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_OFFLINE_MAX_MB = 1024
MAX_OFFLINE_DAYS = 3650
APP_NAME = "tui-mail"

MINIMAL_EXAMPLE = """\
[[accounts]]
name = "work"
email = "me@example.org"

[accounts.imap]
host = "imap.example.org"

[accounts.smtp]
host = "smtp.example.org"
"""

MAX_IDLE_FOLDERS = 5
"""At most this many idle_folders (each holds a connection of its own)."""
NOTIFY_CHOICES = ("bell", "desktop")
"""What notify may list."""


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Where and how to reach one server."""

    host: str
    """Host name or IP address, without a scheme or port."""
    port: int
    """TCP port; defaults from `DEFAULT_PORTS` for the protocol and security."""
    security: Security
    """tls (TLS from the first byte), starttls (upgrade before login), or plain (no TLS)."""


@dataclass(frozen=True, slots=True)
class Pop3Config(ServerConfig):
    """The `[accounts.pop3]` table: the server, and what happens to mail left on it."""

    leave_on_server: bool = True
    """Keep downloaded messages on the server; false deletes each one once it is saved."""
    delete_after_days: int | None = None
    """With leave_on_server: delete from the server this many days after the download."""


@dataclass(frozen=True, slots=True)
class OAuth2Config:
    """Where OAuth2 access tokens come from for an `auth = "oauth2"` account."""

    token_command: str | None = None
    """Shell command printing a fresh access token (e.g. oama); else the keyring entry."""
    provider: OAuth2Provider | None = None
    """A known provider ("google", "microsoft") whose endpoints and scopes are the defaults."""
    client_id: str | None = None
    """The user's own registered OAuth2 client (public client); needed to authorize/refresh."""
    device_authorization_endpoint: str | None = None
    """RFC 8628 device authorization URL (https); overrides the provider's."""
    token_endpoint: str | None = None
    """Token URL (https) for the device-code and refresh-token grants; overrides the provider's."""
    scopes: tuple[str, ...] = ()
    """Scopes to ask for; empty for the provider's defaults."""
    authorization_endpoint: str | None = None
    """Browser sign-in URL (https) of the loopback-redirect flow (RFC 8252, Google's);
    overrides the provider's. With it and no device_authorization_endpoint, that flow is used."""
    redirect_port: int | None = None
    """Port on 127.0.0.1 the loopback flow listens on (forward it over SSH); else a free one."""


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    """One `[[accounts.identities]]` table: another address of the account to send from."""

    email: str
    """The address; replies to mail sent to it are sent from it."""
    display_name: str | None = None
    """Name shown in From with this address; unset: the account's display_name."""
    signature: str | None = None
    """Signature sent with this address; unset: the account's signature; "" for none."""


@dataclass(frozen=True, slots=True)
class Identity:
    """An address the account sends from, with the name and signature that go with it
    (the account's own, an alias, or an `[[accounts.identities]]` table, resolved)."""

    email: str
    display_name: str
    signature: str


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """One `[[accounts]]` table."""

    name: str
    """What -a/--account takes; unique; letters, digits and . _ - @ +."""
    email: str
    """The address mail is sent from."""
    display_name: str = ""
    """Name shown in From headers; empty for none."""
    username: str = ""
    """Login name on the servers; defaults to `email`."""
    auth: AuthMethod = "password"
    """How to log in: password (LOGIN/PLAIN) or oauth2 (XOAUTH2)."""
    password_command: str | None = None
    """Shell command printing the password on its first line; else the keyring is used."""
    ca_file: Path | None = None
    """PEM file of a private CA to trust in addition to the system store."""
    allow_insecure: bool = False
    """Permit security = "plain" (password and mail sent unencrypted)."""
    type: AccountType = "imap"
    """Where mail is read from: imap, maildir or pop3."""
    path: Path | None = None
    """The maildir (type = "maildir") or where downloaded mail goes (type = "pop3")."""
    imap: ServerConfig | None = None
    """The IMAP server; required for type = "imap"."""
    smtp: ServerConfig | None = None
    """The submission server; without it the account cannot send."""
    oauth2: OAuth2Config | None = None
    """OAuth2 settings, only for auth = "oauth2"."""
    body_cache_max_bytes: int = DEFAULT_BODY_CACHE_MAX_BYTES
    """Message bodies larger than this are fetched each time instead of cached."""
    offline_days: int = 0
    """IMAP: keep the bodies of the last N days' messages in the cache for reading and
    searching offline, downloaded in the background (0, the default: only bodies opened are
    kept); every synced folder but Trash, Junk and All Mail. Maildir and POP3 mail is on
    disk already: nothing to do there. From 0 to 3650."""
    offline_max_mb: int = DEFAULT_OFFLINE_MAX_MB
    """Downloading ahead (offline_days) stops once the account's cached bodies take this
    many MiB (bodies opened are still kept). From 1 to 1048576."""
    pop3: Pop3Config | None = None
    """The POP3 server; required for type = "pop3"."""
    save_sent: bool = True
    """File a copy of sent mail in the Sent folder; false where the provider files it itself."""
    aliases: tuple[str, ...] = ()
    """Your other addresses: left out of reply-all, and replies to them are sent from them."""
    sendmail_command: str | None = None
    """Command that delivers a message given on stdin to the recipients given as arguments
    (e.g. "msmtp -oi"); used instead of [accounts.smtp]."""
    signature: str = ""
    """Text put under a "-- " line in new messages, replies and forwards."""
    signature_position: SignaturePosition = "below"
    """Where the signature goes in a reply or forward: "below" the quoted original (at the
    very end) or "above" it, right after your text (neomutt's sig_on_top)."""
    identities: tuple[IdentityConfig, ...] = ()
    """Other addresses with their own display name and signature ([[accounts.identities]])."""
    pgp_sign: bool = False
    """Sign new messages, replies and forwards with your PGP key (compose can turn it off)."""
    pgp_encrypt: bool = False
    """Encrypt new messages (to every recipient and you; refused when a key is missing).
    Replies to encrypted mail, and inline forwards of it, are encrypted whatever this says."""
    autocrypt: bool = False
    """Autocrypt Level 1: put your public key in a header of every message you send
    (peers' keys are learnt from their mail whatever this says, into a keyring apart)."""
    autocrypt_mutual: bool = False
    """Tell peers you prefer encrypted mail (Autocrypt prefer-encrypt=mutual): between
    two such users, encryption is then on by default."""
    wkd: bool = False
    """When encrypting to someone whose key you do not have, ask their domain's Web Key
    Directory (HTTPS only). Off by default: the question tells that domain whom you write to."""
    smime_key: Path | None = None
    """PEM file of your S/MIME private key (unencrypted: keep it 0600), for reading S/MIME
    mail encrypted to you; with smime_cert."""
    smime_cert: Path | None = None
    """PEM file of your S/MIME certificate (the one mail to you is encrypted to)."""
    address_book_command: str | None = None
    """Command that looks up addresses for completion, khard/abook style (e.g. "khard email
    --parsable %s"): %s becomes what was typed; it prints one address<TAB>name per line."""
    idle_folders: tuple[str, ...] = ()
    """Folders besides INBOX watched for new mail, subscribed or not: through NOTIFY where
    the server offers it, else with IDLE on a connection each (at most 5)."""
    idle_interval_minutes: int = 9
    """How long one IDLE lasts before it is renewed (RFC 2177: under 29 minutes)."""
    poll_interval_seconds: int = 60
    """How often a server without IDLE is checked for new mail."""
    status_interval_seconds: int = 60
    """How often the subscribed folders' counts are asked for (one LIST-STATUS, or a
    STATUS each) on a server without NOTIFY; with NOTIFY the server tells at once."""
    idle_recheck_seconds: int = 60
    """How often IDLE is ended and NOOP asked, until the server has shown that it announces
    new mail during IDLE (GNU Mailutils never does, Courier only every 60 s); 0: never."""
    compress: bool = True
    """Ask the IMAP server to compress the command connection (COMPRESS=DEFLATE, RFC 4978)
    where it offers it: a folder's headers arrive several times smaller. False: never."""
    server_timeout_seconds: int = 60
    """How long the IMAP, POP3 or SMTP server may take over one command (a big FETCH: over
    each message; a RETR: over each MiB; DATA: one more second per 32 KiB) before the
    connection is given up as stalled."""
    new_mail_command: str | None = None
    """Shell command run on new mail, given TUI_MAIL_FROM, TUI_MAIL_SUBJECT ... in its
    environment."""
    notify: tuple[str, ...] = ("bell", "desktop")
    """How new mail is announced: "bell" (the terminal's), "desktop" (notify-send)."""
    local_only: bool = False
    """Sending only files the message in Sent: nothing leaves the machine. Set by the demo;
    not a config-file field."""

    def __post_init__(self) -> None:
        if not self.username:
            object.__setattr__(self, "username", self.email)

    @property
    def every_identity(self) -> tuple[Identity, ...]:
        """Every address the account sends from, its own first, then the aliases (with the
        account's name and signature), then the identities; one per address."""
        found = [Identity(self.email, self.display_name, self.signature)]
        found += [Identity(alias, self.display_name, self.signature) for alias in self.aliases]
        for extra in self.identities:
            name = self.display_name if extra.display_name is None else extra.display_name
            signature = self.signature if extra.signature is None else extra.signature
            found.append(Identity(extra.email, name, signature))
        unique: dict[str, Identity] = {}
        for identity in found:
            unique.setdefault(identity.email.casefold(), identity)
        return tuple(unique.values())

    @property
    def mail_is_remote(self) -> bool:
        """Whether the mailbox itself lives on a server (IMAP), not in local files (Maildir;
        POP3 downloads into a local Maildir): only a remote one can be out of reach (triage
        is queued), is worth caching bodies of, and has UIDs to check with the server."""
        return self.type == "imap"


@dataclass(frozen=True, slots=True)
class SavedSearchConfig:
    """One `[[saved_searches]]` table: a search shown as a folder in the tree."""

    name: str
    """What the tree shows; unique among the saved searches."""
    query: str
    """In the search language of `/` (e.g. "is:flagged", "from:team@example.org since:7d")."""
    accounts: tuple[str, ...] = ()
    """The accounts searched; empty: every account."""


@dataclass(frozen=True, slots=True)
class AppConfig:
    """The whole configuration file."""

    path: Path
    """The file this was read from and is saved to."""
    accounts: tuple[AccountConfig, ...]
    """Accounts in file order; the first is the default."""
    keymap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Binding id -> keys (e.g. "ctrl+q"), applied with Textual's App.set_keymap."""
    bind: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Key -> a `:` command line ([bind] F = ":move Archive/2026"); a line ending in a
    space opens the command line with it, for the rest to be typed."""
    theme: str | None = None
    """Name of the Textual theme to start with; None for the default."""
    download_dir: Path | None = None
    """Where attachments are saved ([ui] download_dir); None: ~/Downloads, else the data dir's."""
    saved_searches: tuple[SavedSearchConfig, ...] = ()
    """Searches shown as folders ([[saved_searches]]), in file order."""

    def account(self, name: str | None) -> AccountConfig:
        """The account called `name`, or the first one when `name` is None."""
        if not self.accounts:
            raise UsageError(f"{self.path}: no accounts configured")
        if name is None:
            return self.accounts[0]
        for account in self.accounts:
            if account.name == name:
                return account
        names = [account.name for account in self.accounts]
        known = ", ".join(quote(n) for n in names)
        message = f"no account named {quote(name)} in {self.path}; known accounts: {known}"
        close = difflib.get_close_matches(name, names, n=1)
        if close:
            message += f" (did you mean {quote(close[0])}?)"
        raise UsageError(message)
