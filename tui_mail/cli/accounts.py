"""Setting accounts up: discover, add-account, authorize (OAuth2 sign-in) and doctor.

`add-account` is the wizard in text form (tui_mail.cli.account_wizard), interactive on a
terminal or driven entirely by flags; what it shares with the other commands (messages on
stderr, the discovery summary, the OAuth2 sign-in) is here.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tui_mail.cli import account_flags
from tui_mail.cli.common import Parents, add_command
from tui_mail.core.errors import UsageError

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig, AppConfig
    from tui_mail.core.auth.oauth2 import TokenSet
    from tui_mail.core.discovery import Discovery, ServerSuggestion


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- discover ---------------------------------------------------------------------------


def _discover(args: argparse.Namespace) -> int:
    from tui_mail.core.discovery import DiscoveryOptions, discover  # noqa: PLC0415

    options = DiscoveryOptions(
        allow_plain=args.allow_insecure,
        use_guesses=not args.no_guess,
        on_step=None if args.json else lambda source, what: say(f"[{source}] {what}"),
    )
    found = discover(args.address, options)
    if args.json:
        print(json.dumps(_discovery_json(found), indent=2))
    else:
        print(describe_discovery(found, with_steps=True))
    return 0 if found.imap is not None else 1


def _suggestion_json(server: ServerSuggestion | None) -> dict[str, Any] | None:
    if server is None:
        return None
    return {
        "host": server.host,
        "port": server.port,
        "security": server.security,
        "source": server.source,
        "username": server.username,
        "outside_domain": server.outside_domain,
        "needs_consent": server.needs_consent,
    }


def _discovery_json(found: Discovery) -> dict[str, Any]:
    provider = found.provider
    return {
        "email": found.email,
        "domain": found.domain,
        "provider": {"key": provider.key, "name": provider.name} if provider else None,
        "auth_methods": list(found.auth_methods),
        "save_sent": provider.save_sent if provider else True,
        "imap": _suggestion_json(found.imap),
        "smtp": _suggestion_json(found.smtp),
        "pop3": _suggestion_json(found.pop3),
        "steps": [{"source": s.source, "what": s.what, "outcome": s.outcome} for s in found.steps],
    }


def describe_discovery(found: Discovery, *, with_steps: bool) -> str:
    lines = [f"Settings for {found.email}:"]
    servers = [("IMAP", found.imap), ("SMTP", found.smtp)]
    if found.pop3 is not None:
        servers.insert(1, ("POP3", found.pop3))
    for label, server in servers:
        if server is None:
            lines.append(f"  {label}  not found")
            continue
        note = f"  found by {server.source}"
        if server.needs_consent:
            note += f"; outside {found.domain}: confirm before sending a password there"
        lines.append(f"  {label}  {server.describe():<36}{note}")
    if found.provider is not None:
        lines.append(f"  Provider  {found.provider.name}")
    lines.append(f"  Login     {' or '.join(found.auth_methods)}")
    if with_steps:
        lines.append("Steps tried:")
        lines.extend(f"  {s.source:<10}  {s.what}: {s.outcome}" for s in found.steps)
    return "\n".join(lines)


# -- sign-in (authorize and add-account) and add-account -------------------------------


def sign_in(account: AccountConfig, *, client_secret: str | None = None) -> TokenSet:
    """The device-code or loopback-redirect flow, with what to do shown on stderr."""
    from tui_mail.core.auth import sign_in as flows  # noqa: PLC0415

    tokens = flows.sign_in(
        account,
        lambda instructions: say(f"To sign in: {instructions} Waiting for the approval..."),
        client_secret=client_secret,
    )
    say("Signed in.")
    return tokens


def _add_account(args: argparse.Namespace) -> int:
    # Imported when run: the wizard imports this module's helpers (and only it needs them).
    from tui_mail.cli.account_wizard import add_account  # noqa: PLC0415

    return add_account(args)


# -- authorize and doctor ---------------------------------------------------------------


def _authorize(config: AppConfig, args: argparse.Namespace) -> int:
    from tui_mail.core.auth import credentials  # noqa: PLC0415

    account = config.account(args.account)
    if account.auth != "oauth2":
        raise UsageError(f'account {account.name!r} logs in with a password (auth = "password")')
    if account.oauth2 is not None and account.oauth2.token_command:
        raise UsageError(f"account {account.name!r} gets its tokens from oauth2.token_command")
    secret = sys.stdin.readline().strip() or None if args.client_secret_stdin else None
    if args.redirect_port is not None and account.oauth2 is not None:
        account = replace(account, oauth2=replace(account.oauth2, redirect_port=args.redirect_port))
    credentials.store_oauth2_tokens(account, sign_in(account, client_secret=secret))
    say(f"Stored new OAuth2 tokens for {account.name!r} in the system keyring.")
    return 0


def _doctor(config: AppConfig, args: argparse.Namespace) -> int:
    from tui_mail.core.auth.secrets import secret_source  # noqa: PLC0415
    from tui_mail.core.doctor import diagnose_account  # noqa: PLC0415

    account = config.account(args.account)
    report = diagnose_account(
        account,
        None if args.no_login else secret_source(account),
        timeout=args.timeout,
        idle_wait=args.idle_wait or None,
    )
    print(report.format())
    return report.exit_code


def register(commands: Any, parents: Parents) -> None:
    """Add this module's subcommands."""
    sub = add_command(
        commands,
        "discover",
        "find the mail servers of an address (no login)",
        _discover,
        needs="nothing",
    )
    sub.add_argument("address", metavar="ADDRESS")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_argument("--no-guess", action="store_true", help="do not probe guessed host names")
    sub.add_argument("--allow-insecure", action="store_true", help="also accept plaintext servers")

    sub = add_command(
        commands,
        "add-account",
        "set up an account: discover, test and save it",
        _add_account,
        needs="nothing",
    )
    account_flags.add_account_arguments(sub)

    sub = add_command(
        commands,
        "authorize",
        "sign in again to an OAuth2 account (device code or browser)",
        _authorize,
        parents.account,
        needs="config",
    )
    sub.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="read the client secret (Google) from standard input",
    )
    sub.add_argument(
        "--redirect-port",
        type=int,
        metavar="PORT",
        help="browser sign-in: listen on 127.0.0.1:PORT (forward it over SSH first)",
    )

    sub = add_command(
        commands,
        "doctor",
        "check every step of connecting and logging in",
        _doctor,
        parents.account,
        needs="config",
    )
    sub.add_argument("--no-login", action="store_true", help="check the connection only")
    sub.add_argument("--timeout", type=float, default=10.0, help="seconds per step (10)")
    sub.add_argument(
        "--idle-wait",
        type=float,
        default=70.0,
        metavar="SECONDS",
        help="how long to wait for the server to announce a test message during IDLE "
        "(70; 0 skips this step, which uses a scratch folder for a moment)",
    )
