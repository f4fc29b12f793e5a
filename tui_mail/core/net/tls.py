"""TLS contexts and the words for TLS failures."""

from __future__ import annotations

import ssl
import threading
from concurrent.futures import Future
from pathlib import Path

from tui_mail.core.errors import InsecureConnectionRefused, TlsError

_shared: dict[Path | None, Future[ssl.SSLContext]] = {}
_shared_lock = threading.Lock()


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verifying context: system CAs, plus `ca_file` when the account trusts a private CA."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as error:
            raise TlsError(
                f"Cannot load ca_file {ca_file}: {error}. It must be a PEM file of CA certificates."
            ) from None
    return context


def prepare_shared_context(ca_file: Path | None) -> None:
    """Begin making `shared_context(ca_file)` on a thread of its own. Loading the system
    CAs takes about 20 ms, which OpenSSL spends without the GIL: begun early (the CLI does
    it as soon as it knows the account), it overlaps the imports before a connection."""
    future, mine = _claim(ca_file)
    if mine:
        threading.Thread(
            target=_make_shared, args=(ca_file, future), name="tls-context", daemon=True
        ).start()


def shared_context(ca_file: Path | None) -> ssl.SSLContext:
    """The verifying context (client_context) that mail sessions share: made once per CA
    file in a process rather than at every connection, a reconnect's and the watchers'."""
    future, mine = _claim(ca_file)
    if mine:
        _make_shared(ca_file, future)
    return future.result()


def _claim(ca_file: Path | None) -> tuple[Future[ssl.SSLContext], bool]:
    """The future of `ca_file`'s context, and whether the caller is the one to make it
    (none was made or being made)."""
    with _shared_lock:
        future = _shared.get(ca_file)
        if future is not None:
            return future, False
        future = _shared[ca_file] = Future()
        return future, True


def _make_shared(ca_file: Path | None, future: Future[ssl.SSLContext]) -> None:
    try:
        future.set_result(client_context(ca_file))
    except Exception as error:  # TlsError; anything else must not leave waiters waiting
        with _shared_lock:  # not kept: a ca_file put right is read at the next connection
            if _shared.get(ca_file) is future:
                del _shared[ca_file]
        future.set_exception(error)


def explain_tls_failure(error: ssl.SSLError, host: str, port: int, security: str) -> TlsError:
    """A user-facing TlsError for a failed handshake or verification."""
    where = f"{host}:{port}"
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = error.verify_message or str(error)
        if "hostname mismatch" in reason.lower() or "match" in reason.lower():
            return TlsError(
                f"The certificate of {where} is not valid for the name {host!r} ({reason}). "
                "Check the host name in your config; a certificate for another name may mean "
                "the connection is being intercepted."
            )
        return TlsError(
            f"The certificate of {where} is not trusted ({reason}). If the server uses a "
            "private or self-signed CA, set ca_file to that CA's PEM file in the account."
        )
    text = str(error)
    if "WRONG_VERSION_NUMBER" in text or "UNEXPECTED_EOF" in text or "record layer" in text:
        hint = (
            'this port may not speak implicit TLS; for port 143 use security = "starttls"'
            if security == "tls"
            else "the server broke off the handshake"
        )
        return TlsError(f"TLS handshake with {where} failed: {hint} ({text}).")
    return TlsError(f"TLS with {where} failed: {text}.")


def refuse_plaintext(
    account_name: str, where: str, tls_port: int, starttls_port: int
) -> InsecureConnectionRefused:
    """The error for `security = "plain"` without `allow_insecure` (IMAP, POP3 alike)."""
    return InsecureConnectionRefused(
        f"Account {account_name!r} asks for a plaintext connection to {where}. That would "
        f'send your password unencrypted; use security = "tls" (port {tls_port}) or '
        f'"starttls" (port {starttls_port}), or set allow_insecure = true if you really '
        "mean it."
    )
