"""AccountForm: the editable settings of the account set-up screen (servers, login, secret).

The form only holds and checks values; the screen (tui_mail.ui.screens.account_setup)
decides what happens with them. Plaintext is not among the security choices until the
user ticks "Allow unencrypted connections".
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from tui_mail.config import DEFAULT_PORTS, Security, ServerConfig
from tui_mail.core.errors import UsageError

SECURITY_OPTIONS = (("TLS (implicit)", "tls"), ("STARTTLS", "starttls"))
PLAIN_OPTION = ("plain (UNENCRYPTED)", "plain")
ACCOUNT_TYPE_OPTIONS = (("IMAP (on the server)", "imap"), ("POP3 (download)", "pop3"))
_SECURITY_VALUES: dict[str, Security] = {"tls": "tls", "starttls": "starttls", "plain": "plain"}


def form_row(label: str, input_id: str, placeholder: str = "", *, password: bool = False
             ) -> ComposeResult:  # fmt: skip
    """A label and its (compact) input on one line; use inside compose."""
    with Horizontal(classes="row"):
        yield Label(label)
        yield Input(placeholder=placeholder, password=password, id=input_id, compact=True)


class AccountForm(Vertical):
    """Account name, login, IMAP and SMTP servers, CA file, authentication, test and save."""

    def compose(self) -> ComposeResult:
        yield Static("Settings (change anything that is wrong)", classes="title")
        yield from form_row("Account name", "account-name", "for tui-mail -a NAME")
        yield from form_row("Login name", "username")
        with Horizontal(classes="row"):
            yield Label("Read mail by")
            yield Select(ACCOUNT_TYPE_OPTIONS, value="imap", allow_blank=False, compact=True,
                         id="account-type")  # fmt: skip
        for protocol in ("imap", "pop3", "smtp"):
            with Horizontal(classes="row", id=f"{protocol}-row"):
                yield Label(f"{protocol.upper()} server")
                yield Input(placeholder="host", id=f"{protocol}-host", compact=True)
                yield Input(placeholder="port", id=f"{protocol}-port", classes="port", compact=True)
                yield Select(SECURITY_OPTIONS, value="tls", allow_blank=False, compact=True,
                             id=f"{protocol}-security")  # fmt: skip
        with Vertical(id="pop3-box", classes="hidden"):
            yield Checkbox("Keep downloaded mail on the server too", value=True,
                           id="leave-on-server", compact=True)  # fmt: skip
            yield from form_row("Download to", "pop3-path", "a local Maildir")
        yield from form_row("CA file", "ca-file", "optional: PEM file of a private CA")
        yield Checkbox("Allow unencrypted connections (not recommended)", id="allow-plain",
                       compact=True)  # fmt: skip
        with Horizontal(classes="row"):
            yield Label("Log in with")
            yield Select([("Password", "password")], value="password", allow_blank=False,
                         compact=True, id="auth")  # fmt: skip
        yield Static(id="auth-note", classes="note")
        with Vertical(id="password-box"):
            yield from form_row("Password", "password", password=True)
            yield from form_row("Or a command", "password-command",
                                "that prints it, e.g. pass show mail/work")  # fmt: skip
            yield Static(id="keyring-note", classes="note")
            yield Checkbox("Store the password unencrypted in a file (mode 0600)",
                           id="password-file", classes="hidden", compact=True)  # fmt: skip
        with Vertical(id="oauth2-box", classes="hidden"):
            yield from form_row("Client ID", "client-id", "your own registered application")
            yield from form_row("Client secret", "client-secret",
                                "only if the provider insists (Google)", password=True)  # fmt: skip
            yield from form_row(
                "Redirect port", "redirect-port", "browser sign-in: a port to forward over SSH"
            )
            with Horizontal(classes="row"):
                yield Label("")
                yield Button("Sign in", id="sign-in", compact=True)
            yield Static(id="sign-in-note", classes="note")
        with Horizontal(classes="row"):
            yield Label("")
            yield Button("Test settings", id="test", variant="primary", compact=True)
            yield Button("Save", id="save", variant="success", disabled=True, compact=True)
        yield Static(id="test-results")

    def value(self, name: str) -> str:
        """The stripped text of the input with this id."""
        return self.query_one(f"#{name}", Input).value.strip()

    def set_value(self, name: str, value: str) -> None:
        self.query_one(f"#{name}", Input).value = value

    def show_server(self, protocol: str, server: ServerConfig | None) -> None:
        self.set_value(f"{protocol}-host", server.host if server else "")
        self.set_value(f"{protocol}-port", str(server.port) if server else "")
        self.query_one(f"#{protocol}-security", Select).value = server.security if server else "tls"

    def show_type(self, account_type: str) -> None:
        """Show the IMAP server, or the POP3 server and where its mail is downloaded to."""
        self.query_one("#imap-row").set_class(account_type != "imap", "hidden")
        self.query_one("#pop3-row").set_class(account_type != "pop3", "hidden")
        self.query_one("#pop3-box").set_class(account_type != "pop3", "hidden")

    def server(self, protocol: str) -> ServerConfig | None:
        """The server as entered; None without a host; UsageError for a bad port."""
        host, port = self.value(f"{protocol}-host"), self.value(f"{protocol}-port")
        if not host:
            return None
        chosen = self.query_one(f"#{protocol}-security", Select).value
        security = _SECURITY_VALUES.get(str(chosen), "tls")
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise UsageError(f"the {protocol.upper()} port {port!r} is not a port number")
        return ServerConfig(
            host, int(port) if port else DEFAULT_PORTS[protocol][security], security
        )

    @on(Checkbox.Changed, "#allow-plain")
    def _plain_allowed(self, event: Checkbox.Changed) -> None:
        options = (*SECURITY_OPTIONS, PLAIN_OPTION) if event.value else SECURITY_OPTIONS
        for protocol in ("imap", "pop3", "smtp"):
            select = self.query_one(f"#{protocol}-security", Select)
            current = select.value
            select.set_options(options)
            select.value = current if current in {v for _, v in options} else "tls"
