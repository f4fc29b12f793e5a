"""What a failure most likely means, and what to change."""

from __future__ import annotations

import ssl

from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.core.message.sanitize import sanitize_line


def login_fix(account: AccountConfig, server: ServerConfig | None) -> str:
    from tui_mail.core.discovery.presets import preset_for_host  # noqa: PLC0415

    preset = preset_for_host(server.host) if server is not None else None
    if preset is not None and account.auth == "password":
        if "password" not in preset.auth_methods:
            return (
                f"{preset.name} accepts only OAuth2 from mail programs: set auth = "
                f'"oauth2" and sign in with "tui-mail authorize -a {account.name}"'
            )
        if preset.password_note:
            return preset.password_note
    if account.auth == "oauth2":
        return (
            f'the token was refused or expired: sign in again with "tui-mail authorize -a '
            f'{account.name}", and check the scopes and username'
        )
    return (
        "check the username (often the full address) and the password; providers with "
        "two-factor sign-in want an app password"
    )


def connect_fix(protocol: str, server: ServerConfig, error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return (
            f"nothing listens on port {server.port}: check the port ({protocol} uses "
            f"{tls_port(protocol)} for tls, {starttls_port(protocol)} for starttls) and "
            "that the server is up"
        )
    if isinstance(error, TimeoutError):
        return (
            f"port {server.port} may be blocked by a firewall or this network; try the "
            f"other port ({tls_port(protocol)} or {starttls_port(protocol)})"
        )
    return "check the host, the port and your network"


def tls_fix(protocol: str, server: ServerConfig, error: BaseException) -> str:
    text = str(error)
    if server.security == "tls" and any(
        s in text for s in ("WRONG_VERSION_NUMBER", "record layer", "UNEXPECTED_EOF")
    ):
        return (
            f'port {server.port} speaks plaintext first: use security = "starttls" '
            f"(port {starttls_port(protocol)}), or port {tls_port(protocol)} for tls"
        )
    return "check the port and the security setting; the server may be misconfigured"


def tls_port(protocol: str) -> int:
    return 993 if protocol == "IMAP" else 465


def starttls_port(protocol: str) -> int:
    return 143 if protocol == "IMAP" else 587


def describe_error(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return sanitize_line(error.reason or str(error))
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return sanitize_line(str(error))[:200] or type(error).__name__
