"""The flags of `tui-mail add-account`, and the server and OAuth2 settings they make."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.core.errors import UsageError

if TYPE_CHECKING:
    from tui_mail.config import OAuth2Config, ServerConfig
    from tui_mail.core.discovery.account import AccountDraft


def server_from_flags(
    args: argparse.Namespace, protocol: str, found: ServerConfig | None
) -> ServerConfig | None:
    host = getattr(args, f"{protocol}_host") or (found.host if found else None)
    if host is None:
        return None
    same_host = found is not None and found.host == host
    security = getattr(args, f"{protocol}_security") or (
        found.security if same_host and found else "tls"
    )
    port = getattr(args, f"{protocol}_port")
    if port is None and same_host and found is not None and found.security == security:
        port = found.port
    return server(protocol, host, str(port or ""), security)


def server(protocol: str, host: str, port: str, security: str) -> ServerConfig:
    from tui_mail.config import DEFAULT_PORTS, SECURITY_CHOICES, ServerConfig  # noqa: PLC0415

    if security not in SECURITY_CHOICES:
        raise UsageError(f"{protocol} security {security!r} is not one of tls, starttls, plain")
    if port and not port.isdigit():
        raise UsageError(f"{protocol} port {port!r} is not a number")
    chosen = int(port) if port else DEFAULT_PORTS[protocol][security]
    return ServerConfig(host, chosen, security)


def oauth2_from_flags(args: argparse.Namespace, draft: AccountDraft) -> OAuth2Config:
    from tui_mail.config import OAuth2Config  # noqa: PLC0415

    base = draft.oauth2 or OAuth2Config()
    return replace(
        base,
        token_command=args.token_command or base.token_command,
        provider=args.oauth2_provider or base.provider,
        client_id=args.client_id or base.client_id,
        device_authorization_endpoint=args.device_endpoint or base.device_authorization_endpoint,
        token_endpoint=args.token_endpoint or base.token_endpoint,
        scopes=tuple(args.scope) if args.scope else base.scopes,
        authorization_endpoint=args.authorization_endpoint or base.authorization_endpoint,
        redirect_port=args.redirect_port or base.redirect_port,
    )


def add_account_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--email", help="the address, e.g. me@example.org")
    sub.add_argument("--name", help="short account name for -a (default: from the domain)")
    sub.add_argument("--display-name", help="your name, shown in From")
    sub.add_argument("--username", help="login name (default: the address or what was found)")
    secret = sub.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-command",
        metavar="CMD",
        help="command printing the password (saved in the config)",
    )
    secret.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input; stored in the keyring",
    )
    secret.add_argument(
        "--keyring",
        action="store_true",
        help="ask for the password and store it in the keyring (the default)",
    )
    sub.add_argument(
        "--password-file",
        type=Path,
        metavar="PATH",
        help="without a keyring: store the password UNENCRYPTED in PATH (0600)",
    )
    sub.add_argument(
        "--type", choices=("imap", "pop3"), help="read mail over IMAP, or download it by POP3"
    )
    sub.add_argument("--path", type=Path, help="POP3: where downloaded mail goes (a Maildir)")
    sub.add_argument(
        "--delete-from-server",
        action="store_true",
        help="POP3: delete mail from the server once downloaded (default: keep it)",
    )
    for protocol in ("imap", "smtp", "pop3"):
        sub.add_argument(f"--{protocol}-host", help=f"{protocol.upper()} server (skips discovery)")
        sub.add_argument(f"--{protocol}-port", type=int, help=f"{protocol.upper()} port")
        sub.add_argument(f"--{protocol}-security", choices=("tls", "starttls", "plain"))
    sub.add_argument("--no-smtp", action="store_true", help="no SMTP server (cannot send)")
    sub.add_argument("--ca-file", type=Path, help="PEM file of a private CA to trust")
    sub.add_argument("--allow-insecure", action="store_true", help="permit plaintext servers")
    sub.add_argument("--auth", choices=("password", "oauth2"), help="how to log in")
    sub.add_argument("--token-command", help="OAuth2: command printing an access token")
    sub.add_argument("--oauth2-provider", choices=("google", "microsoft"))
    sub.add_argument("--client-id", help="OAuth2: your own registered application's ID")
    sub.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="OAuth2: read the client secret (Google) from standard input",
    )
    sub.add_argument("--device-endpoint", help="OAuth2 device authorization URL")
    sub.add_argument("--token-endpoint", help="OAuth2 token URL")
    sub.add_argument(
        "--authorization-endpoint", help="OAuth2 browser sign-in URL (loopback-redirect flow)"
    )
    sub.add_argument(
        "--redirect-port",
        type=int,
        metavar="PORT",
        help="OAuth2 loopback flow: listen on 127.0.0.1:PORT (to forward it over SSH)",
    )
    sub.add_argument("--scope", action="append", help="OAuth2 scope (repeatable)")
    sub.add_argument(
        "--yes", action="store_true", help="accept what was found without asking (no prompts)"
    )
    sub.add_argument("--no-test", action="store_true", help="save without testing the login")
