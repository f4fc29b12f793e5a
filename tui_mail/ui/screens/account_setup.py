"""AccountSetup: the wizard of `tui-mail add-account`, as a screen.

The same steps and the same core functions as the CLI (tui_mail.cli.accounts): address ->
`discover` (a thread worker; each step shown as it runs) -> the settings, editable ->
password or OAuth2 device sign-in -> "Test settings" (`diagnose_account`, each check shown
with its fix) -> `keep_password` / `store_oauth2_tokens` and `save_new_account`. Nothing is
saved until a test passed with exactly the settings on screen. Blocking work runs in
threads; results come back as posted messages.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from tui_mail.config import (
    AccountConfig,
    AppConfig,
    OAuth2Config,
)
from tui_mail.core.auth.secrets import Secret, resolve_secret
from tui_mail.core.errors import TuiMailError, UsageError
from tui_mail.ui.screens.account_setup_save import save_account, store_secret
from tui_mail.ui.widgets.account_form import AccountForm, form_row
from tui_mail.ui.widgets.setup_parts import (
    ConsentDialog,
    auth_note,
    check_lines,
    find_servers,
    keyring_note,
    step_outcome,
    step_started,
)

if TYPE_CHECKING:
    from tui_mail.core.auth.oauth2 import TokenSet
    from tui_mail.core.discovery import Discovery, DiscoveryOptions
    from tui_mail.core.discovery.account import AccountDraft
    from tui_mail.core.doctor import Check

_AUTH_LABELS = {"password": "Password", "oauth2": "OAuth2 (sign in in a browser)"}
# Editing these after a successful test means the test no longer speaks for what is saved.
_TESTED_FIELDS = frozenset({
    "account-name", "username", "imap-host", "imap-port", "imap-security", "smtp-host",
    "smtp-port", "smtp-security", "ca-file", "allow-plain", "auth", "password",
    "password-command", "client-id", "display-name", "email", "account-type", "pop3-host",
    "pop3-port", "pop3-security",
})  # fmt: skip


@dataclass(frozen=True)
class AccountAdded:
    """What the screen returns once the account is saved."""

    config: AppConfig
    """The configuration as now saved (with the new account last)."""
    account: AccountConfig


class AccountSetup(Screen[AccountAdded | None]):
    """Set up a mail account; dismissed with AccountAdded, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="setup.cancel",
                tooltip="Leave without saving anything"),
        Binding("ctrl+t", "test", "Test settings", id="setup.test",
                tooltip="Connect and log in to IMAP and SMTP with these settings"),
        Binding("ctrl+s", "save", "Save", id="setup.save",
                tooltip="Save the tested account (the secret goes to the credential store)"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    AccountSetup > VerticalScroll { padding: 0 2; }
    AccountSetup .title { text-style: bold; margin: 1 0; }
    AccountSetup .row { height: auto; margin-bottom: 1; }
    AccountSetup .row > Label { width: 16; }
    AccountSetup .row > Input { width: 1fr; }
    AccountSetup .row > .port { width: 8; margin: 0 1; }
    AccountSetup .row > Select { width: 22; }
    AccountSetup .row > Button { margin-right: 2; }
    AccountSetup Checkbox { margin: 0 0 1 16; }
    AccountSetup .row > #auth { width: 36; }
    AccountSetup .row > #account-type { width: 36; }
    AccountSetup AccountForm, AccountSetup #password-box, AccountSetup #oauth2-box {
        height: auto;
    }
    AccountSetup .hidden { display: none; }
    AccountSetup .note { color: $text-muted; padding: 0 0 1 16; }
    AccountSetup #discovery-log, AccountSetup #test-results { padding: 0 1; }
    AccountSetup #message { padding: 0 1; height: auto; }
    AccountSetup #message.-error { color: $error; }
    """

    class StepStarted(Message):
        """Posted from the discovery thread as each step starts."""

        def __init__(self, source: str, what: str) -> None:
            self.source, self.what = source, what
            super().__init__()

    class CheckDone(Message):
        """Posted from the doctor's thread after each check."""

        def __init__(self, check: Check) -> None:
            self.check = check
            super().__init__()

    class SignInCode(Message):
        """Posted from the OAuth2 thread: what the user must do in a browser."""

        def __init__(self, instructions: str) -> None:
            self.instructions = instructions
            super().__init__()

    def __init__(self, config_file: Path, discovery: DiscoveryOptions | None = None) -> None:
        super().__init__()
        self.config_file = config_file
        self.discovery_options = discovery
        self.found: Discovery | None = None
        self.draft: AccountDraft | None = None
        self.keyring_problem: str | None = None
        self.tested: AccountConfig | None = None
        """The account exactly as the last passing test saw it; None until then."""
        self.consented: set[str] = set()
        self._secret = Secret()
        self._tokens: TokenSet | None = None
        self._log: list[Text] = []
        self._checks: list[Text] = []
        self._leaving = False

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("Add a mail account", classes="title")
            yield from form_row("Address", "email", "me@example.org")
            yield from form_row("Your name", "display-name", "shown in From")
            with Horizontal(classes="row"):
                yield Label("")
                yield Button("Find settings", id="find", variant="primary", compact=True)
            yield Static(id="discovery-log")
            yield AccountForm(id="settings", classes="hidden")
            yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#email", Input).focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Expected failures are shown where they happen; this is for the unexpected ones,
        # which exit_on_error=False would otherwise hide.
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.say(f"Internal error ({type(error).__name__}: {error}); nothing was saved. "
                     "Please report it.", error=True)  # fmt: skip

    def _post(self, message: Message) -> None:
        """post_message for callbacks run on other threads (it is thread-safe)."""
        self.post_message(message)

    def say(self, text: str | Text, *, error: bool = False) -> None:
        message = self.query_one("#message", Static)
        message.update(text if isinstance(text, Text) else Text(text))
        message.set_class(error, "-error")

    # -- 1. address and discovery ------------------------------------------------------

    @on(Input.Submitted, "#email, #display-name")
    @on(Button.Pressed, "#find")
    def find_settings(self) -> None:
        from tui_mail.core.discovery.model import email_domain  # noqa: PLC0415

        email = self.query_one("#email", Input).value.strip()
        try:
            email_domain(email)
        except UsageError as error:
            self.say(str(error), error=True)
            return
        self._log = []
        self.query_one("#find", Button).disabled = True
        self.say(f"Looking for the servers of {email}…")
        self._discover(email)

    @work(exclusive=True, group="discovery", exit_on_error=False)
    async def _discover(self, email: str) -> None:
        def step(source: str, what: str) -> None:  # on the discovery thread
            self._post(self.StepStarted(source, what))

        try:
            found, problem = await asyncio.to_thread(
                find_servers, email, self.discovery_options, step
            )
        except TuiMailError as error:
            self._discovery_failed(str(error))
            return
        self._discovered(found, problem)

    def on_account_setup_step_started(self, event: StepStarted) -> None:
        self._show_log([*self._log, step_started(event.source, event.what)])

    def _show_log(self, lines: list[Text]) -> None:
        self.query_one("#discovery-log", Static).update(Text("\n").join(lines))

    def _discovery_failed(self, error: str) -> None:
        self.query_one("#find", Button).disabled = False
        self.say(error, error=True)

    def _discovered(self, found: Discovery, keyring_problem: str | None) -> None:
        from tui_mail.core.discovery.account import (  # noqa: PLC0415
            AccountDraft,
            default_account_name,
            unused_name,
        )

        self.found, self.keyring_problem = found, keyring_problem
        self.consented.clear()
        self._log = [step_outcome(step) for step in found.steps]
        self._show_log(self._log)
        name = unused_name(default_account_name(found.email), self.config_file)
        self.draft = draft = AccountDraft.from_discovery(found, name=name)
        self._fill(draft)
        self.query_one("#find", Button).disabled = False
        self.query_one("#settings").remove_class("hidden")
        if found.pop3_only:
            self.say(
                "Only POP3 was found: mail will be downloaded to this machine (see Download "
                "to). Check the settings, then test them."
            )
        elif found.imap is None:
            self.say("No IMAP server was found: enter it below.", error=True)
        else:
            provider = f" ({found.provider.name})" if found.provider else ""
            self.say(f"Found settings for {found.email}{provider}. Check them, then test them.")
        self.query_one("#password" if draft.auth == "password" else "#client-id").focus()

    def _fill(self, draft: AccountDraft) -> None:
        form = self.query_one(AccountForm)
        form.set_value("account-name", draft.name)
        form.set_value("username", draft.username)
        form.show_server("imap", draft.imap)
        form.show_server("pop3", draft.pop3)
        form.show_server("smtp", draft.smtp)
        self.query_one("#account-type", Select).value = draft.type
        form.show_type(draft.type)
        self._show_pop3_path()
        methods = self.found.auth_methods if self.found else ("password",)
        oauth2 = "oauth2" in methods or bool(draft.provider and draft.provider.oauth2_provider)
        choices = ["oauth2", "password"] if oauth2 else ["password"]
        auth = self.query_one("#auth", Select)
        auth.set_options([(_AUTH_LABELS[c], c) for c in choices])
        auth.value = draft.auth
        self._show_auth(draft.auth)

    # -- 2. settings and authentication ------------------------------------------------

    @on(Select.Changed, "#account-type")
    def _type_changed(self, event: Select.Changed) -> None:
        self.query_one(AccountForm).show_type(str(event.value))

    def _show_pop3_path(self) -> None:
        self.query_one("#pop3-path", Input).placeholder = str(self._pop3_path())

    def _pop3_path(self) -> Path:
        from tui_mail.core.discovery.account import default_pop3_path  # noqa: PLC0415

        if self._value("pop3-path"):
            return Path(self._value("pop3-path")).expanduser()
        data_dir = getattr(self.app, "data_dir", None)  # MailApp's, which --data-dir may move
        name = self._value("account-name") or "account"
        return default_pop3_path(name, data_dir if isinstance(data_dir, Path) else None)

    @on(Select.Changed, "#auth")
    def _auth_changed(self, event: Select.Changed) -> None:
        self._show_auth(str(event.value))

    def _show_auth(self, auth: str) -> None:
        self.query_one("#password-box").set_class(auth != "password", "hidden")
        self.query_one("#oauth2-box").set_class(auth != "oauth2", "hidden")
        provider = self.draft.provider if self.draft else None
        self.query_one("#auth-note", Static).update(auth_note(auth, provider))
        self._show_keyring_note()

    def _show_keyring_note(self) -> None:
        note = keyring_note(
            self.keyring_problem, self._value("account-name") or "work", self._fallback_file()
        )
        self.query_one("#keyring-note", Static).update(note)
        self.query_one("#password-file").set_class(self.keyring_problem is None, "hidden")

    def _fallback_file(self) -> Path:
        return self.config_file.parent / "secrets" / (self._value("account-name") or "account")

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _settings_changed(self, event: Input.Changed | Select.Changed | Checkbox.Changed) -> None:
        if event.control.id in _TESTED_FIELDS and self.tested is not None:
            self.tested = None
            self.query_one("#save", Button).disabled = True
            self.say("Settings changed: test them again before saving.")
        if event.control.id == "account-name":
            self._show_keyring_note()
            self._show_pop3_path()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def account_from_form(self) -> AccountConfig:
        """The account the form describes; UsageError (what to fix) for a bad field."""
        if self.draft is None or self.found is None:
            raise UsageError("enter your address and press Find settings first")
        auth = str(self.query_one("#auth", Select).value)
        draft = replace(
            self.draft,
            name=self._value("account-name"),
            display_name=self._value("display-name"),
            username=self._value("username"),
            imap=self.query_one(AccountForm).server("imap"),
            smtp=self.query_one(AccountForm).server("smtp"),
            pop3=self.query_one(AccountForm).server("pop3"),
            type="pop3" if self.query_one("#account-type", Select).value == "pop3" else "imap",
            leave_on_server=self.query_one("#leave-on-server", Checkbox).value,
            path=self._pop3_path(),
            auth="oauth2" if auth == "oauth2" else "password",
            password_command=self._value("password-command") or None,
            ca_file=Path(self._value("ca-file")).expanduser() if self._value("ca-file") else None,
            allow_insecure=self.query_one("#allow-plain", Checkbox).value,
        )
        if draft.auth == "oauth2":
            base = draft.oauth2 or OAuth2Config()
            port = self._value("redirect-port")
            if port and not (port.isdigit() and 1024 <= int(port) <= 65535):
                raise UsageError(f"redirect port {port!r} is not a number from 1024 to 65535")
            draft.oauth2 = replace(
                base,
                client_id=self._value("client-id") or None,
                redirect_port=int(port) if port else base.redirect_port,
            )
        return draft.to_account()

    async def _consent(self, account: AccountConfig) -> bool:
        """Ask, once per server, before credentials go outside the user's domain."""
        found = self.found
        if found is None:
            return True
        for server in found.needs_consent:
            chosen = getattr(account, server.protocol)
            if chosen is None or chosen.host != server.host or server.host in self.consented:
                continue  # the user named another host: theirs to trust
            if not await self.app.push_screen_wait(ConsentDialog(server, found.domain)):
                self.say(f"Not sending the password to {server.host}: enter the server you "
                         "trust above.", error=True)  # fmt: skip
                return False
            self.consented.add(server.host)
        return True

    @on(Button.Pressed, "#sign-in")
    def action_sign_in(self) -> None:
        self._sign_in()

    @work(exclusive=True, group="sign-in", exit_on_error=False)
    async def _sign_in(self) -> None:
        from tui_mail.core.auth.sign_in import sign_in  # noqa: PLC0415

        try:
            account = self.account_from_form()
        except TuiMailError as error:
            self.say(str(error), error=True)
            return
        secret = self.query_one("#client-secret", Input).value or None
        self.say("Starting the sign-in…")
        try:
            tokens = await asyncio.to_thread(
                sign_in, account, lambda text: self._post(self.SignInCode(text)),
                client_secret=secret, cancelled=lambda: self._leaving,
            )  # fmt: skip
        except TuiMailError as error:
            self.say(str(error), error=True)
            return
        self._tokens = tokens
        self.query_one("#sign-in-note", Static).update(Text("Signed in.", style="green"))
        self.say("Signed in. Now test the settings.")

    def on_account_setup_sign_in_code(self, event: SignInCode) -> None:
        self.query_one("#sign-in-note", Static).update(
            Text.assemble(("To sign in: ", "bold"), event.instructions, " Waiting…")
        )

    # -- 3. test -----------------------------------------------------------------------

    @on(Button.Pressed, "#test")
    def action_test(self) -> None:
        self._test()

    @work(exclusive=True, group="test", exit_on_error=False)
    async def _test(self) -> None:
        from tui_mail.core.doctor import diagnose_account  # noqa: PLC0415

        try:
            account = self.account_from_form()
            if not await self._consent(account):
                return
            secret = await self._read_secret(account)
        except TuiMailError as error:
            self.say(str(error), error=True)
            return
        self._checks = []
        self.query_one("#test-results", Static).update("")
        self.query_one("#test", Button).disabled = True
        self.say("Testing the settings…")
        try:
            report = await asyncio.to_thread(
                diagnose_account, account, lambda: secret.value,
                on_check=lambda check: self._post(self.CheckDone(check)),
            )  # fmt: skip
        finally:
            self.query_one("#test", Button).disabled = False
        if report.ok:
            self.tested = account
            self.query_one("#save", Button).disabled = False
            self.say(Text("All checks passed. Save to keep the account (ctrl+s).", style="green"))
            return
        first = report.failures[0]
        self.say(
            f"The {first.protocol} {first.step} test failed ({first.detail}). Nothing was "
            "saved: fix the settings and test again.",
            error=True,
        )

    async def _read_secret(self, account: AccountConfig) -> Secret:
        if account.auth == "oauth2":
            if self._tokens is None:
                raise UsageError("sign in first (the Sign in button), then test")
            self._secret = Secret(self._tokens.access_token)
        elif account.password_command is not None:
            self._secret = await asyncio.to_thread(resolve_secret, account)
        else:
            typed = self.query_one("#password", Input).value
            if not typed:
                raise UsageError("enter the password, or a command that prints it")
            self._secret = Secret(typed)
        return self._secret

    def on_account_setup_check_done(self, event: CheckDone) -> None:
        self._checks.append(check_lines(event.check))
        self.query_one("#test-results", Static).update(Text("\n").join(self._checks))

    # -- 4. save -----------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self._save()

    @work(exclusive=True, group="save", exit_on_error=False)
    async def _save(self) -> None:
        try:
            account = self.account_from_form()
        except TuiMailError as error:
            self.say(str(error), error=True)
            return
        if self.tested is None or account != self.tested:
            self.say("Test the settings first (ctrl+t): nothing is saved untested.", error=True)
            return
        fallback = (
            self._fallback_file() if self.query_one("#password-file", Checkbox).value else None
        )
        try:
            account, stored = await asyncio.to_thread(
                store_secret, account, self._secret.value, self._tokens, fallback
            )
            config = await asyncio.to_thread(save_account, self.config_file, account)
        except TuiMailError as error:
            self.say(f"{error}", error=True)
            return
        self.app.notify(f"Saved account {account.name!r}; the secret is in {stored}.",
                        markup=False)  # fmt: skip
        self.dismiss(AccountAdded(config, account))

    def action_cancel(self) -> None:
        self._leaving = True
        self.dismiss(None)
