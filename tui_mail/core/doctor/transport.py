"""The steps up to an encrypted connection: DNS, TCP, TLS or STARTTLS, the certificate."""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.core.doctor.advice import (
    connect_fix,
    describe_error,
    tls_fix,
    tls_port,
)
from tui_mail.core.doctor.report import Check, CheckListener
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.net.connect import (
    NoStartTls,
    close_quietly,
    imap_client,
    smtp_client,
    start_tls,
    tcp_connect,
)
from tui_mail.core.net.tls import client_context

_EXPIRY_WARNING_DAYS = 14


def check_transport(
    emit: CheckListener,
    protocol: str,
    server: ServerConfig,
    account: AccountConfig,
    timeout: float,
) -> bool:
    """The steps up to an encrypted connection; True when login may be tried."""
    host, port = server.host, server.port
    started = time.perf_counter()
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        emit(
            Check(
                protocol,
                "DNS",
                "fail",
                f"cannot resolve {host} ({error.strerror})",
                "check the host name for typos, and that this machine can resolve names",
            )
        )
        return False
    shown = sorted({str(a[4][0]) for a in addresses})
    emit(
        Check(
            protocol,
            "DNS",
            "ok",
            f"{host} -> {', '.join(shown[:3])}",
            None,
            time.perf_counter() - started,
        )
    )

    started = time.perf_counter()
    try:
        with tcp_connect(host, port, timeout) as sock:
            peer = sock.getpeername()[0]
    except OSError as error:
        emit(
            Check(
                protocol,
                "connect",
                "fail",
                f"{host}:{port}: {describe_error(error)}",
                connect_fix(protocol, server, error),
            )
        )
        return False
    emit(Check(protocol, "connect", "ok", f"{peer}:{port}", None, time.perf_counter() - started))

    if server.security == "plain":
        emit(
            Check(
                protocol,
                "TLS",
                "warn",
                "none: password and mail travel unencrypted",
                f'use security = "tls" (port {tls_port(protocol)}) or "starttls"',
            )
        )
        return True
    context = client_context(account.ca_file)
    started = time.perf_counter()
    try:
        client = open_client(protocol, server, context, timeout)
    except StepFailed as failure:
        emit(Check(protocol, failure.step, "fail", failure.detail, failure.fix))
        return False
    except ssl.SSLCertVerificationError as error:
        _certificate_failure(emit, protocol, server, error, timeout)
        return False
    except (ssl.SSLError, OSError, imaplib.IMAP4.error, smtplib.SMTPException) as error:
        emit(
            Check(
                protocol,
                "TLS",
                "fail",
                f"handshake with {host}:{port} failed: {describe_error(error)}",
                tls_fix(protocol, server, error),
            )
        )
        return False
    try:
        if server.security == "starttls":
            emit(Check(protocol, "STARTTLS", "ok", "offered and used"))
        tls: ssl.SSLSocket = client.sock
        emit(
            Check(
                protocol,
                "TLS",
                "ok",
                f"{tls.version()}, {_cipher(tls)}",
                None,
                time.perf_counter() - started,
            )
        )
        _certificate_ok(emit, protocol, server, tls.getpeercert(binary_form=True))
        emit(Check(protocol, "capabilities", "ok", _capabilities(protocol, client)))
    finally:
        close_quietly(client)
    return True


class StepFailed(Exception):
    def __init__(self, step: str, detail: str, fix: str | None) -> None:
        super().__init__(detail)
        self.step, self.detail, self.fix = step, detail, fix


def open_client(
    protocol: str, server: ServerConfig, context: ssl.SSLContext, timeout: float
) -> Any:
    """An imaplib/smtplib client over TLS, by the server's security; raises on any failure."""
    host, port = server.host, server.port
    implicit = server.security == "tls"
    try:
        if protocol == "IMAP":
            client: Any = imap_client(host, port, context, implicit_tls=implicit, timeout=timeout)
        else:
            client = smtp_client(host, port, context, implicit_tls=implicit, timeout=timeout)
            client.ehlo()
    except TimeoutError:
        if implicit:
            raise
        raise StepFailed(
            "greeting",
            f"no greeting from {host}:{port} within {timeout:g} s",
            f"this port probably expects TLS from the first byte: use "
            f'security = "tls" (port {tls_port(protocol)})',
        ) from None
    if implicit:
        return client
    try:
        start_tls(client, context)
        if protocol != "IMAP":
            client.ehlo()
    except NoStartTls:
        close_quietly(client)
        raise StepFailed(
            "STARTTLS",
            f"{host}:{port} does not offer STARTTLS",
            f'use security = "tls" on port {tls_port(protocol)}, or ask the '
            "provider; tui-mail never logs in unencrypted by accident",
        ) from None
    except BaseException:
        close_quietly(client)
        raise
    return client


def _certificate_ok(
    emit: CheckListener, protocol: str, server: ServerConfig, der: bytes | None
) -> None:
    info = _describe_certificate(der)
    left = (info.expires - datetime.now(UTC)).days if info.expires else None
    detail = f"{info.subject}, issued by {info.issuer}, valid for {server.host}"
    if left is not None and left < _EXPIRY_WARNING_DAYS:
        emit(
            Check(
                protocol,
                "certificate",
                "warn",
                f"{detail}; expires in {left} day(s)",
                "tell the server's administrator: the certificate is about to expire",
            )
        )
        return
    until = f" until {info.expires:%Y-%m-%d}" if info.expires else ""
    emit(Check(protocol, "certificate", "ok", detail + until))


def _certificate_failure(
    emit: CheckListener,
    protocol: str,
    server: ServerConfig,
    error: ssl.SSLCertVerificationError,
    timeout: float,
) -> None:
    """Say why the certificate was refused, showing the certificate itself when we can."""
    reason = error.verify_message or str(error)
    shown = ""
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE  # only to show the refused certificate, no login
    try:
        client = open_client(protocol, server, unverified, timeout)
    except (StepFailed, ssl.SSLError, OSError, imaplib.IMAP4.error, smtplib.SMTPException):
        client = None  # the details are a bonus; the reason is what matters
    if client is not None:
        try:
            info = _describe_certificate(client.sock.getpeercert(binary_form=True))
            until = f", expires {info.expires:%Y-%m-%d}" if info.expires else ""
            shown = f" (certificate: {info.subject}, issued by {info.issuer}{until})"
        finally:
            close_quietly(client)
    lowered = reason.lower()
    if "hostname" in lowered or "ip address mismatch" in lowered:
        fix = (
            f"the certificate is for another name: use the host name it was issued for, "
            f"or suspect interception if {server.host} is right"
        )
    elif "expired" in lowered:
        fix = "the server's certificate has expired: tell its administrator (or check your clock)"
    else:
        fix = (
            "the certificate is not signed by a CA this machine trusts: for a private or "
            "self-signed CA, set ca_file to that CA's PEM file"
        )
    emit(Check(protocol, "certificate", "fail", f"not trusted: {reason}{shown}", fix))


@dataclass(frozen=True, slots=True)
class _CertificateInfo:
    subject: str
    issuer: str
    expires: datetime | None


def _describe_certificate(der: bytes | None) -> _CertificateInfo:
    from cryptography import x509  # noqa: PLC0415 -- only the doctor needs it
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    if not der:
        return _CertificateInfo("(none)", "(none)", None)
    certificate = x509.load_der_x509_certificate(der)

    def name(value: x509.Name) -> str:
        for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
            attributes = value.get_attributes_for_oid(oid)
            if attributes:
                return sanitize_line(str(attributes[0].value))
        return sanitize_line(value.rfc4514_string()) or "(empty)"

    return _CertificateInfo(
        f"CN={name(certificate.subject)}",
        name(certificate.issuer),
        certificate.not_valid_after_utc,
    )


def _capabilities(protocol: str, client: Any) -> str:
    if protocol == "IMAP":
        words = [str(c) for c in client.capabilities]
    else:
        words = [f"{k.upper()} {v.strip()}".strip() for k, v in client.esmtp_features.items()]
    text = sanitize_line(" ".join(words))
    return text if len(text) <= 160 else text[:157] + "..."


def _cipher(sock: ssl.SSLSocket) -> str:
    cipher = sock.cipher()
    return cipher[0] if cipher else "unknown cipher"
