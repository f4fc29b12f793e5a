"""`tui-mail add-account`: the set-up wizard in text form.

Interactive on a terminal or driven entirely by flags: discovery -> settings (shown,
editable) -> authentication -> test -> save, with the secret in the keyring or behind a
password_command, never in the config file. The other account commands (discover,
authorize, doctor) and the helpers shared with them are in tui_mail.cli.accounts.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.cli import account_flags
from tui_mail.cli.accounts import describe_discovery, say, sign_in
from tui_mail.core.auth.secrets import Secret, resolve_secret
from tui_mail.core.errors import AuthenticationFailed, CredentialsUnavailable, UsageError

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig, ServerConfig
    from tui_mail.core.auth.oauth2 import TokenSet
    from tui_mail.core.discovery import Discovery
    from tui_mail.core.discovery.account import AccountDraft
    from tui_mail.core.doctor import Check


class AddAccountWizard:
    """The add-account steps, each asked on a terminal or taken from the flags."""

    def __init__(self, args: argparse.Namespace) -> None:
        from tui_mail.config import config_path  # noqa: PLC0415

        self.args = args
        self.config_file = config_path(args.config)
        self.interactive = sys.stdin.isatty() and not args.yes and not args.password_stdin

    def ask(self, question: str, default: str = "") -> str:
        if not self.interactive:
            return default
        shown = f" [{default}]" if default else ""
        answer = input(f"{question}{shown}: ").strip()
        return answer or default

    def confirm(self, question: str, *, default: bool) -> bool:
        if not self.interactive:
            return default
        answer = input(f"{question} [{'Y/n' if default else 'y/N'}]: ").strip().lower()
        return default if not answer else answer.startswith("y")

    def run(self) -> int:
        from tui_mail.core.discovery.account import (  # noqa: PLC0415
            default_account_name,
            unused_name,
        )

        args = self.args
        email = args.email or self.ask("Email address")
        if not email:
            raise UsageError("no address given: pass --email me@example.org")
        name = args.name or self.ask(
            "Account name (for -a)", unused_name(default_account_name(email), self.config_file)
        )
        draft = self.settings(email, name)
        draft.display_name = args.display_name or self.ask("Your name (for From)", "")
        account = self.edit(draft)
        secret, tokens = self.credentials(draft, account)
        account = replace(account, password_command=draft.password_command)
        if not args.no_test:
            self.test(account, secret)
        return self.save(account, secret, tokens)

    def settings(self, email: str, name: str) -> AccountDraft:
        from tui_mail.core.discovery import DiscoveryOptions, discover  # noqa: PLC0415
        from tui_mail.core.discovery.account import AccountDraft  # noqa: PLC0415

        args = self.args
        if (args.imap_host or args.pop3_host) and (args.smtp_host or args.no_smtp):
            draft = AccountDraft(email=email, name=name)
        else:
            options = DiscoveryOptions(
                allow_plain=args.allow_insecure,
                on_step=lambda source, what: say(f"[{source}] {what}"),
            )
            found = discover(email, options)
            say(describe_discovery(found, with_steps=found.imap is None))
            draft = AccountDraft.from_discovery(found, name=name)
            if found.pop3_only:
                say("Only POP3 was found: mail will be downloaded and kept on this machine.")
            self.consent(found)
        draft.username = args.username or draft.username or email
        draft.type = args.type or ("pop3" if args.pop3_host and not args.imap_host else draft.type)
        draft.imap = account_flags.server_from_flags(args, "imap", draft.imap)
        draft.pop3 = account_flags.server_from_flags(args, "pop3", draft.pop3)
        draft.leave_on_server = not args.delete_from_server
        draft.path = args.path
        draft.smtp = (
            None if args.no_smtp else account_flags.server_from_flags(args, "smtp", draft.smtp)
        )
        draft.ca_file = args.ca_file.expanduser().resolve() if args.ca_file else None
        draft.allow_insecure = args.allow_insecure
        if args.auth:
            draft.auth = args.auth
        return draft

    def consent(self, found: Discovery) -> None:
        """Ask before a password goes to a host outside the user's domain (DNS/HTTP said so)."""
        args = self.args
        for server in found.needs_consent:
            if getattr(args, f"{server.protocol}_host"):
                continue  # the user named the host, so it is theirs to trust
            question = (
                f"{server.protocol.upper()} server {server.host} (from {server.source}) "
                f"is outside {found.domain}. Send your password there?"
            )
            if args.yes:
                say(f"{question} Yes (--yes).")
            elif not self.interactive:
                raise UsageError(
                    f"{server.protocol.upper()} server {server.host}, found by {server.source}, "
                    f"is outside {found.domain}; pass --yes to accept it, or name the server "
                    f"with --{server.protocol}-host"
                )
            elif not self.confirm(question, default=False):
                raise UsageError(
                    f"not using {server.host}; name the server with --{server.protocol}-host"
                )

    def edit(self, draft: AccountDraft) -> AccountConfig:
        from tui_mail.config import AUTH_CHOICES  # noqa: PLC0415

        if self.interactive and not self.args.type and (draft.pop3 or draft.type == "pop3"):
            choice = self.ask("Read mail with (imap/pop3)", draft.type)
            if choice not in ("imap", "pop3"):
                raise UsageError(f"{choice!r} is not one of imap, pop3")
            draft.type = "pop3" if choice == "pop3" else "imap"
        if self.interactive and not self.confirm("Use these servers?", default=True):
            if not self.args.username:
                draft.username = self.ask("Login name", draft.username)
            for protocol in (draft.type, "smtp"):
                current: ServerConfig | None = getattr(draft, protocol)
                host = self.ask(f"{protocol.upper()} host", current.host if current else "")
                security = self.ask(
                    f"{protocol.upper()} security (tls/starttls)",
                    current.security if current else "tls",
                )
                port = self.ask(f"{protocol.upper()} port", str(current.port) if current else "")
                if host:
                    setattr(draft, protocol, account_flags.server(protocol, host, port, security))
            if not self.args.ca_file:
                ca_file = self.ask("PEM file of a private CA to trust (empty for none)")
                draft.ca_file = Path(ca_file).expanduser().resolve() if ca_file else None
        if draft.type == "pop3" and self.interactive:
            self.ask_pop3(draft)
        if self.interactive and not self.args.auth:
            choice = self.ask(f"Login with ({'/'.join(AUTH_CHOICES)})", draft.auth)
            if choice not in AUTH_CHOICES:
                raise UsageError(f"{choice!r} is not one of {', '.join(AUTH_CHOICES)}")
            draft.auth = choice
        if draft.auth == "password" and draft.provider and draft.provider.password_note:
            say(draft.provider.password_note)
        if draft.auth == "oauth2":
            draft.oauth2 = account_flags.oauth2_from_flags(self.args, draft)
            if not (draft.oauth2.client_id or draft.oauth2.token_command):
                client_id = self.ask("Your OAuth2 application's client ID")
                if not client_id:
                    raise UsageError(
                        "OAuth2 needs your own registered application: pass --client-id ID "
                        "(see the README for registering one), or --token-command CMD for a "
                        "tool that prints access tokens (e.g. oama), or --auth password"
                    )
                draft.oauth2 = replace(draft.oauth2, client_id=client_id)
            self.ask_redirect_port(draft)
        return draft.to_account()

    def ask_redirect_port(self, draft: AccountDraft) -> None:
        """For the browser sign-in: a fixed port, so an SSH user can forward it first."""
        from tui_mail.core.auth.oauth2 import endpoints_for  # noqa: PLC0415

        oauth2 = draft.oauth2
        if not self.interactive or oauth2 is None or oauth2.token_command or oauth2.redirect_port:
            return
        if not endpoints_for(oauth2, draft.name).uses_loopback:
            return
        port = self.ask(
            "Sign-in opens a browser that returns to 127.0.0.1:PORT. Over SSH, choose a port "
            "and forward it (ssh -L PORT:127.0.0.1:PORT host); empty for any free port"
        )
        if port and not (port.isdigit() and 1024 <= int(port) <= 65535):
            raise UsageError(f"{port!r} is not a port number from 1024 to 65535")
        draft.oauth2 = replace(oauth2, redirect_port=int(port) if port else None)

    def ask_pop3(self, draft: AccountDraft) -> None:
        from tui_mail.core.discovery.account import default_pop3_path  # noqa: PLC0415

        if not self.args.delete_from_server:
            draft.leave_on_server = self.confirm(
                "Keep downloaded mail on the server too?", default=True
            )
        if draft.path is None:
            where = self.ask("Download mail to", str(default_pop3_path(draft.name)))
            draft.path = Path(where).expanduser()

    def credentials(
        self, draft: AccountDraft, account: AccountConfig
    ) -> tuple[Secret, TokenSet | None]:
        args = self.args
        if account.auth == "oauth2":
            if account.oauth2 is not None and account.oauth2.token_command:
                return resolve_secret(account), None
            tokens = sign_in(account, client_secret=self.client_secret(account))
            return Secret(tokens.access_token), tokens
        if args.password_command:
            draft.password_command = args.password_command
            return resolve_secret(replace(account, password_command=args.password_command)), None
        if args.password_stdin:
            line = sys.stdin.readline().rstrip("\r\n")
            if not line:
                raise UsageError("--password-stdin read nothing; give the password on stdin")
            return Secret(line), None
        if not self.interactive:
            raise UsageError(
                "no password source: pass --password-command CMD (e.g. 'pass show mail/x'), or "
                "--password-stdin to read it from standard input, or run on a terminal"
            )
        import getpass  # noqa: PLC0415

        entered = getpass.getpass(f"Password for {account.username}: ")
        if not entered:
            raise UsageError("no password entered; nothing was saved")
        return Secret(entered), None

    def client_secret(self, account: AccountConfig) -> str | None:
        if self.args.client_secret_stdin:
            return sys.stdin.readline().strip() or None
        provider = account.oauth2.provider if account.oauth2 is not None else None
        if not self.interactive or provider != "google":
            return None
        import getpass  # noqa: PLC0415

        # Google gives Desktop app clients a secret too, and wants it with the code.
        return getpass.getpass("Your Google OAuth client's secret (empty for none): ") or None

    def test(self, account: AccountConfig, secret: Secret) -> None:
        from tui_mail.core.doctor import diagnose_account  # noqa: PLC0415

        say("Testing the settings...")
        report = diagnose_account(account, lambda: secret.value, on_check=_print_check)
        if report.ok:
            return
        if self.confirm("The test failed. Save the account anyway?", default=False):
            return
        error = AuthenticationFailed if report.exit_code == 4 else _connection_error()
        first = report.failures[0]
        raise error(
            f"the {first.protocol} {first.step} test failed ({first.detail}); nothing was "
            "saved. Fix the settings, or pass --no-test to save them untested"
        )

    def save(self, account: AccountConfig, secret: Secret, tokens: TokenSet | None) -> int:
        from tui_mail.core.auth import credentials  # noqa: PLC0415
        from tui_mail.core.discovery.account import save_new_account  # noqa: PLC0415

        stored = "a password_command"
        if tokens is not None:
            credentials.store_oauth2_tokens(account, tokens)
            stored = "the system keyring (OAuth2 tokens, refreshed as needed)"
        elif account.auth == "password" and account.password_command is None:
            account, stored = self.store_password(account, secret)
        elif account.auth == "oauth2":
            stored = "oauth2.token_command"
        save_new_account(self.config_file, account)
        say(f"Saved account {account.name!r} to {self.config_file}; the secret is in {stored}.")
        return 0

    def store_password(self, account: AccountConfig, secret: Secret) -> tuple[AccountConfig, str]:
        from tui_mail.core.auth import credentials  # noqa: PLC0415
        from tui_mail.core.discovery.account import keep_password  # noqa: PLC0415

        problem = credentials.keyring_problem()
        path: Path | None = self.args.password_file
        if problem is not None and path is None and self.interactive:
            say(f"Cannot use the system keyring: {problem}.")
            command = self.ask(
                "A command that prints the password (e.g. pass show mail/x); "
                "empty for other choices"
            )
            if command:
                return replace(account, password_command=command), "a password_command"
            fallback = self.config_file.parent / "secrets" / account.name
            if self.confirm(
                f"Store the password unencrypted in {fallback} (mode 0600)?", default=False
            ):
                path = fallback
        if problem is not None and path is None:
            raise CredentialsUnavailable(
                f"cannot store the password: {problem}. Nothing was saved. Use "
                "--password-command CMD (e.g. 'pass show mail/x'), or, knowing it is stored "
                "unencrypted, --password-file PATH"
            )
        return keep_password(account, secret.value, password_file=path)


def _connection_error() -> type[Exception]:
    from tui_mail.core.errors import ConnectionFailed  # noqa: PLC0415

    return ConnectionFailed


def _print_check(check: Check) -> None:
    mark = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}[check.status]
    say(f"  {check.protocol:<4}  {check.step:<12}  {mark}  {check.detail}")
    if check.fix:
        say(f"{'':<26}-> {check.fix}")


def add_account(args: argparse.Namespace) -> int:
    try:
        return AddAccountWizard(args).run()
    except EOFError:
        raise UsageError(
            "the input ended before every question was answered; nothing was "
            "saved (in a script, pass --yes and the settings as flags)"
        ) from None
