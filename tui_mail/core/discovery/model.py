"""What discovery finds: server suggestions, provider presets, and the trail of steps tried."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tui_mail.config import AuthMethod, OAuth2Provider, Security, ServerConfig
from tui_mail.core.errors import UsageError

Source = Literal["preset", "autoconfig", "srv", "guess"]
"""Which step of the chain found a server."""
Protocol = Literal["imap", "smtp", "pop3"]

SECURITY_RANK: dict[Security, int] = {"tls": 0, "starttls": 1, "plain": 2}
"""Implicit TLS first (RFC 8314), then STARTTLS; plaintext last and only when asked for."""


@dataclass(frozen=True, slots=True)
class ServerSuggestion:
    """One server found for one protocol, and how far to trust it."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    source: Source
    """The step that found it."""
    outside_domain: bool
    """The host is not the user's domain nor under it."""
    username: str | None = None
    """The login name the source suggests (autoconfig's %EMAILADDRESS%...), if it says."""

    @property
    def needs_consent(self) -> bool:
        """True when the user must agree before a password is sent there.

        A host outside the user's domain that came from DNS or HTTP could have been planted
        by whoever controls that answer; the built-in presets are ours and need no question.
        """
        return self.outside_domain and self.source != "preset"

    def to_server_config(self) -> ServerConfig:
        return ServerConfig(self.host, self.port, self.security)

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"


@dataclass(frozen=True, slots=True)
class ProviderPreset:
    """Settings of a big provider that never change, so discovery need not ask the network."""

    key: str
    """Short id, e.g. "gmail"."""
    name: str
    """What the user sees, e.g. "Gmail / Google Workspace"."""
    domains: tuple[str, ...]
    """Mail domains the provider owns."""
    mx_suffixes: tuple[str, ...]
    """MX host suffixes that mean a custom domain hosted by this provider."""
    imap: tuple[str, int, Security]
    smtp: tuple[str, int, Security]
    auth_methods: tuple[AuthMethod, ...]
    """Login methods the provider accepts, the recommended first."""
    oauth2_provider: OAuth2Provider | None = None
    """Which OAuth2 endpoints (tui_mail.core.auth.oauth2.PROVIDERS) the provider uses."""
    save_sent: bool = True
    """False when the provider files a copy of submitted mail in Sent by itself."""
    password_note: str | None = None
    """What to tell someone choosing password login (app passwords)."""


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What one step of the chain did, for the user who wonders why a result is what it is."""

    source: Source
    what: str
    """What was tried, e.g. "https://autoconfig.example.org/mail/config-v1.1.xml"."""
    outcome: str
    """"found ...", "nothing", or why it failed."""


@dataclass(frozen=True, slots=True)
class Discovery:
    """The result of running the chain for one address."""

    email: str
    domain: str
    imap: ServerSuggestion | None
    smtp: ServerSuggestion | None
    provider: ProviderPreset | None
    """The preset matched by domain or MX, if any."""
    auth_methods: tuple[AuthMethod, ...]
    """Login methods the source said the servers accept, the recommended first."""
    steps: tuple[StepOutcome, ...]
    pop3: ServerSuggestion | None = None
    """A POP3 server; looked for only while no IMAP server is known."""

    @property
    def pop3_only(self) -> bool:
        """Mail can only be downloaded (POP3): no IMAP server was found."""
        return self.imap is None and self.pop3 is not None

    @property
    def complete(self) -> bool:
        return self.imap is not None and self.smtp is not None

    @property
    def needs_consent(self) -> tuple[ServerSuggestion, ...]:
        """Servers the user must approve before credentials go there."""
        servers = (self.imap, self.smtp, self.pop3)
        return tuple(s for s in servers if s is not None and s.needs_consent)

    @property
    def username(self) -> str:
        """The login name to use: what a source suggested, else the whole address."""
        for server in (self.imap, self.pop3, self.smtp):
            if server is not None and server.username:
                return server.username
        return self.email


def email_domain(email: str) -> str:
    """The domain of an address, lowercased, without a trailing dot."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in email.strip()):
        raise UsageError(f"{email!r} is not an email address; expected one like me@example.org")
    return domain.rstrip(".").lower()


def is_outside(host: str, domain: str) -> bool:
    """True unless `host` is `domain` or a name under it."""
    host = host.rstrip(".").lower()
    return not (host == domain or host.endswith("." + domain))
