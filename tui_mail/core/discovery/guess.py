"""The last resort: try the usual host names and ports, all at once, with short timeouts.

A guess counts only if the server greets like the protocol and TLS verifies for that name
(STARTTLS included), so a guess is never a plaintext server nor someone else's.
"""

from __future__ import annotations

import imaplib
import smtplib
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tui_mail.config import Security
from tui_mail.core.discovery.model import SECURITY_RANK, Protocol
from tui_mail.core.discovery.net import Network
from tui_mail.core.net.connect import NoStartTls, close_quietly, start_tls

PROBE_TIMEOUT = 3.0
"""Seconds for each probe's connect and each of its reads."""


@dataclass(frozen=True, slots=True)
class Candidate:
    protocol: Protocol
    host: str
    port: int
    security: Security


@dataclass(frozen=True, slots=True)
class ProbeResult:
    candidate: Candidate
    problem: str | None
    """None when the server answered as it should."""


def candidates(domain: str) -> list[Candidate]:
    """In order of preference: implicit TLS before STARTTLS, then the usual names."""
    imap_hosts = (f"imap.{domain}", f"mail.{domain}", domain)
    smtp_hosts = (f"smtp.{domain}", f"mail.{domain}")
    pop3_hosts = (f"pop3.{domain}", f"pop.{domain}", f"mail.{domain}")
    found = [
        *(Candidate("pop3", h, 995, "tls") for h in pop3_hosts),
        *(Candidate("imap", h, 993, "tls") for h in imap_hosts),
        *(Candidate("imap", h, 143, "starttls") for h in imap_hosts),
        *(Candidate("smtp", h, 465, "tls") for h in smtp_hosts),
        *(Candidate("smtp", h, 587, "starttls") for h in smtp_hosts),
    ]
    return sorted(found, key=lambda c: (c.protocol, SECURITY_RANK[c.security]))


def probe_all(network: Network, domain: str) -> list[ProbeResult]:
    """Probe every candidate in parallel; results in order of preference."""
    todo = candidates(domain)
    with ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="probe") as pool:
        return list(pool.map(lambda c: ProbeResult(c, probe(network, c)), todo))


def best(results: list[ProbeResult], protocol: Protocol) -> Candidate | None:
    for result in results:
        if result.candidate.protocol == protocol and result.problem is None:
            return result.candidate
    return None


def probe(network: Network, candidate: Candidate) -> str | None:
    """None if `candidate` is a working, verified server; else what went wrong."""
    quick = Network(network.address_map, network.port_map, network.ca_file, PROBE_TIMEOUT)
    try:
        if candidate.protocol == "imap":
            return _probe_imap(quick, candidate)
        if candidate.protocol == "pop3":
            return _probe_pop3(quick, candidate)
        return _probe_smtp(quick, candidate)
    except ssl.SSLCertVerificationError as error:
        return f"certificate not valid for {candidate.host} ({error.verify_message})"
    except ssl.SSLError as error:
        return f"TLS failed ({error.reason or error})"
    except TimeoutError:
        return "timed out"
    except ConnectionRefusedError:
        return "connection refused"
    except OSError as error:
        return f"cannot connect ({error.strerror or type(error).__name__})"
    except (imaplib.IMAP4.error, smtplib.SMTPException) as error:
        return f"not a usable {candidate.protocol.upper()} server ({type(error).__name__})"


def _probe_imap(network: Network, candidate: Candidate) -> str | None:
    client = network.imap_client(
        candidate.host, candidate.port, implicit_tls=candidate.security == "tls"
    )
    try:
        if candidate.security == "starttls":
            start_tls(client, network.tls_context())
        return None
    except NoStartTls:
        return "does not offer STARTTLS"
    finally:
        close_quietly(client)


def _probe_pop3(network: Network, candidate: Candidate) -> str | None:
    """POP3S only (port 995): a verified TLS handshake, then a +OK greeting."""
    raw = network.connect(candidate.host, candidate.port)
    with network.tls_context().wrap_socket(raw, server_hostname=candidate.host) as tls:
        greeting = tls.recv(512)
    return None if greeting.startswith(b"+OK") else "no POP3 greeting"


def _probe_smtp(network: Network, candidate: Candidate) -> str | None:
    client = network.smtp_client(
        candidate.host, candidate.port, implicit_tls=candidate.security == "tls"
    )
    try:
        client.ehlo()
        if candidate.security == "starttls":
            start_tls(client, network.tls_context())
        return None
    except NoStartTls:
        return "does not offer STARTTLS"
    finally:
        close_quietly(client)
