"""The discovery chain: presets -> autoconfig -> MX provider -> SRV -> guesses.

Each step fills what the earlier ones left open, so IMAP may come from autoconfig and SMTP
from SRV; every server says which step found it. Nothing here sends a credential.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_mail.config import AuthMethod, Security
from tui_mail.core.discovery import autoconfig, dns_records, guess
from tui_mail.core.discovery.model import (
    Discovery,
    Protocol,
    ProviderPreset,
    ServerSuggestion,
    Source,
    StepOutcome,
    email_domain,
    is_outside,
)
from tui_mail.core.discovery.net import FetchFailed, Network
from tui_mail.core.discovery.presets import preset_for_domain, preset_for_mx

if TYPE_CHECKING:
    import dns.resolver

StepListener = Callable[[Source, str], None]
"""Told (source, what) as each step starts, for a progress line or a spinner."""


@dataclass(frozen=True)
class DiscoveryOptions:
    """What the chain may do and how it reaches the network (tests point it at loopback)."""

    network: Network = field(default_factory=Network)
    resolver: dns.resolver.Resolver | None = None
    """For MX and SRV; None for the system's resolver."""
    allow_plain: bool = False
    """Accept plaintext servers from autoconfig (only when the user insists)."""
    use_dns: bool = True
    use_autoconfig: bool = True
    use_guesses: bool = True
    on_step: StepListener | None = None


class _Chain:
    def __init__(self, email: str, options: DiscoveryOptions) -> None:
        self.email = email.strip()
        self.domain = email_domain(self.email)
        self.options = options
        self.imap: ServerSuggestion | None = None
        self.smtp: ServerSuggestion | None = None
        self.pop3: ServerSuggestion | None = None
        """Only looked for while there is no IMAP server (RFC 6186 ranks IMAP first)."""
        self.provider: ProviderPreset | None = None
        self.auth_methods: tuple[AuthMethod, ...] = ()
        self.steps: list[StepOutcome] = []
        self._resolver: dns.resolver.Resolver | None = options.resolver

    @property
    def done(self) -> bool:
        return self.imap is not None and self.smtp is not None

    def note(self, source: Source, what: str, outcome: str) -> None:
        self.steps.append(StepOutcome(source, what, outcome))

    def starting(self, source: Source, what: str) -> None:
        if self.options.on_step is not None:
            self.options.on_step(source, what)

    def offer(
        self, source: Source, protocol: Protocol, host: str, port: int, security: Security,
        username: str | None = None,
    ) -> bool:  # fmt: skip
        """Take a server for a protocol still open; True if it was taken."""
        if security == "plain" and not self.options.allow_plain:
            return False
        if getattr(self, protocol) is not None:
            return False
        outside = is_outside(host, self.domain)
        suggestion = ServerSuggestion(protocol, host, port, security, source, outside, username)
        setattr(self, protocol, suggestion)
        return True

    def use_preset(self, preset: ProviderPreset) -> None:
        self.provider = preset
        self.auth_methods = self.auth_methods or preset.auth_methods
        self.offer("preset", "imap", *preset.imap, username=self.email)
        self.offer("preset", "smtp", *preset.smtp, username=self.email)

    def resolver(self) -> dns.resolver.Resolver:
        if self._resolver is None:
            self._resolver = dns_records.default_resolver()
        return self._resolver

    # -- steps ---------------------------------------------------------------------------

    def by_domain(self) -> None:
        preset = preset_for_domain(self.domain)
        self.note("preset", f"built-in providers for {self.domain}",
                  f"found {preset.name}" if preset else "nothing")  # fmt: skip
        if preset is not None:
            self.use_preset(preset)

    def by_autoconfig(self) -> None:
        for url in autoconfig.autoconfig_urls(self.email, self.domain):
            self.starting("autoconfig", url)
            try:
                document = self.options.network.fetch_https(url)
                imap, smtp = autoconfig.parse_autoconfig(
                    document, self.email, allow_plain=self.options.allow_plain
                )
                pop3 = (
                    None
                    if imap is not None
                    else autoconfig.parse_pop3(
                        document, self.email, allow_plain=self.options.allow_plain
                    )
                )
            except (FetchFailed, autoconfig.NotAutoconfig) as error:
                self.note("autoconfig", url, str(error))
                continue
            taken = [
                s.protocol for s in (imap, smtp, pop3)
                if s is not None and self.offer("autoconfig", s.protocol, s.host, s.port,
                                                s.security, s.username)
            ]  # fmt: skip
            self.note("autoconfig", url, f"found {', '.join(taken)}" if taken else "nothing new")
            if taken:
                self.auth_methods = self.auth_methods or autoconfig.auth_methods(imap, smtp)
                return

    def by_mx(self) -> None:
        what = f"MX records of {self.domain}"
        self.starting("preset", what)
        try:
            hosts = dns_records.mx_hosts(self.resolver(), self.domain)
        except dns_records.LookupFailed as error:
            self.note("preset", what, str(error))
            return
        preset = preset_for_mx(hosts)
        if preset is None:
            self.note("preset", what, f"{', '.join(hosts[:3])}: no known provider"
                      if hosts else "none")  # fmt: skip
            return
        self.note("preset", what, f"{hosts[0]}: hosted by {preset.name}")
        self.use_preset(preset)

    def by_srv(self) -> None:
        protocols: tuple[Protocol, ...] = ("imap", "smtp", "pop3")
        for protocol in protocols:
            if getattr(self, protocol) is not None or (protocol == "pop3" and self.imap):
                continue
            what = f"SRV records for {protocol.upper()} at {self.domain}"
            self.starting("srv", what)
            try:
                target = dns_records.srv_target(self.resolver(), self.domain, protocol)
            except dns_records.LookupFailed as error:
                self.note("srv", what, str(error))
                continue
            if target is None:
                self.note("srv", what, "none")
                continue
            self.offer("srv", protocol, target.host, target.port, target.security)
            self.note("srv", what, f"found {target.service} {target.host}:{target.port}")

    def by_guessing(self) -> None:
        what = f"usual server names at {self.domain}"
        self.starting("guess", what)
        results = guess.probe_all(self.options.network, self.domain)
        found = []
        protocols: tuple[Protocol, ...] = ("imap", "smtp", "pop3")
        for protocol in protocols:
            candidate = guess.best(results, protocol)
            if protocol == "pop3" and self.imap is not None:
                continue
            if candidate is not None and self.offer(
                "guess", protocol, candidate.host, candidate.port, candidate.security
            ):
                found.append(f"{candidate.host}:{candidate.port}")
        self.note("guess", what, f"found {', '.join(found)}" if found else "nothing answered")


def discover(email: str, options: DiscoveryOptions | None = None) -> Discovery:
    """Run the chain for `email` and say what was found and where; blocks up to ~15 s.

    Raises UsageError for something that is not an address. Network failures are not
    errors: they are recorded in `steps`, and the servers not found are None.
    """
    chain = _Chain(email, options or DiscoveryOptions())
    opts = chain.options
    chain.by_domain()
    steps: list[tuple[bool, Callable[[], None]]] = [
        (opts.use_autoconfig, chain.by_autoconfig),
        (opts.use_dns, chain.by_mx),
        (opts.use_dns, chain.by_srv),
        (opts.use_guesses, chain.by_guessing),
    ]
    for enabled, step in steps:
        if enabled and not chain.done:
            step()
    return Discovery(
        email=chain.email,
        domain=chain.domain,
        imap=chain.imap,
        smtp=chain.smtp,
        provider=chain.provider,
        auth_methods=chain.auth_methods or ("password",),
        steps=tuple(chain.steps),
        pop3=chain.pop3,
    )
