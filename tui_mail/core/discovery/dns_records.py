"""MX and SRV lookups (RFC 6186, RFC 8314) through dnspython.

dnspython costs ~120 ms to import, so it is imported only when discovery runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_mail.config import Security
from tui_mail.core.discovery.model import Protocol

if TYPE_CHECKING:
    import dns.resolver

DNS_LIFETIME = 4.0
"""Seconds for one whole lookup, retries included."""

# RFC 8314 prefers implicit TLS, so each protocol lists its TLS service first.
SRV_SERVICES: dict[Protocol, tuple[tuple[str, Security], ...]] = {
    "imap": (("_imaps._tcp", "tls"), ("_imap._tcp", "starttls")),
    "smtp": (("_submissions._tcp", "tls"), ("_submission._tcp", "starttls")),
    "pop3": (("_pop3s._tcp", "tls"), ("_pop3._tcp", "starttls")),
}


class LookupFailed(Exception):
    """The DNS lookup failed (not the same as "no such record"); the message says why."""


@dataclass(frozen=True, slots=True)
class SrvTarget:
    protocol: Protocol
    service: str
    host: str
    port: int
    security: Security


def default_resolver() -> dns.resolver.Resolver:
    """The system's resolver, with discovery's patience."""
    import dns.resolver  # noqa: PLC0415 -- see the module docstring

    try:
        resolver = dns.resolver.Resolver()
    except dns.resolver.NoResolverConfiguration:
        raise LookupFailed("no DNS server is configured on this machine") from None
    resolver.lifetime = DNS_LIFETIME
    return resolver


def mx_hosts(resolver: dns.resolver.Resolver, domain: str) -> list[str]:
    """The domain's MX hosts, most preferred first; [] when it has none."""
    import dns.rdtypes.ANY.MX  # noqa: PLC0415

    records = _query(resolver, domain, "MX")
    hosts = [
        (record.preference, record.exchange.to_text(omit_final_dot=True).lower())
        for record in records
        if isinstance(record, dns.rdtypes.ANY.MX.MX)
    ]
    return [host for _, host in sorted(hosts) if host]


def srv_target(
    resolver: dns.resolver.Resolver, domain: str, protocol: Protocol
) -> SrvTarget | None:
    """The best SRV target for `protocol` (implicit TLS service first), or None."""
    import dns.rdtypes.IN.SRV  # noqa: PLC0415

    for service, security in SRV_SERVICES[protocol]:
        records = [
            r for r in _query(resolver, f"{service}.{domain}", "SRV")
            if isinstance(r, dns.rdtypes.IN.SRV.SRV)
        ]  # fmt: skip
        # Lowest priority first, then highest weight (RFC 2782, without the random draw:
        # one client picking one server needs no load spreading).
        records.sort(key=lambda r: (r.priority, -r.weight))
        for record in records:
            host = record.target.to_text(omit_final_dot=True).lower()
            if host in ("", "."):
                break  # RFC 6186: a target of "." means the service is not offered
            return SrvTarget(protocol, service, host, int(record.port), security)
    return None


def _query(resolver: dns.resolver.Resolver, name: str, rdtype: str) -> list[object]:
    import dns.exception  # noqa: PLC0415
    import dns.resolver  # noqa: PLC0415

    try:
        answer = resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.resolver.NoNameservers:
        raise LookupFailed(f"no DNS server answered for {name} ({rdtype})") from None
    except dns.exception.Timeout:
        raise LookupFailed(f"DNS lookup of {name} ({rdtype}) timed out") from None
    except dns.exception.DNSException as error:
        raise LookupFailed(f"DNS lookup of {name} ({rdtype}) failed: {error}") from None
    return list(answer.rrset or [])
