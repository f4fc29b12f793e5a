"""Pieces of the account set-up screen: discovery run off the UI loop; how discovery steps,
doctor checks and the notes on logging in are drawn; and the question asked before a
password goes to a server outside the user's domain.

Everything that came from a server (host names in an autoconfig document, error texts,
certificate subjects) is drawn as `rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tui_mail.core.discovery import (
        Discovery,
        DiscoveryOptions,
        ServerSuggestion,
        StepOutcome,
    )
    from tui_mail.core.discovery.model import ProviderPreset
    from tui_mail.core.doctor import Check

_CHECK_MARKS = {"ok": ("ok  ", "green"), "warn": ("WARN", "yellow"),
                "fail": ("FAIL", "bold red"), "skip": ("skip", "dim")}  # fmt: skip


def step_started(source: str, what: str) -> Text:
    """A discovery step that is running now."""
    return Text.assemble(("… ", "cyan"), (f"{source:<10}", "bold"), " ", what)


def step_outcome(step: StepOutcome) -> Text:
    """A discovery step that has finished, with what it gave."""
    found = step.outcome.startswith("found")
    return Text.assemble(
        ("✓ " if found else "· ", "green" if found else "dim"),
        (f"{step.source:<10}", "bold"),
        " ",
        step.what,
        (": ", "dim"),
        (step.outcome, "green" if found else "dim"),
    )


def check_lines(check: Check) -> Text:
    """One doctor check, and under a problem the fix it suggests."""
    mark, style = _CHECK_MARKS[check.status]
    line = Text.assemble(
        (f"{check.protocol:<5}", "bold"), (f"{check.step:<13}", ""), (mark, style), "  ",
        check.detail,
    )  # fmt: skip
    if check.fix:
        line.append("\n" + " " * 18 + "→ ", style="yellow")
        line.append(check.fix)
    return line


def auth_note(auth: str, provider: ProviderPreset | None) -> Text:
    """What to know about the chosen way to log in (a provider's app-password advice)."""
    note = Text()
    if auth == "password" and provider is not None and provider.password_note:
        note.append(provider.password_note)
    if auth == "oauth2":
        note.append(
            "OAuth2 needs your own registered application's client ID (see the README), "
            "then Sign in shows a code to enter, or an address to open, in a browser (over "
            "SSH: fix a Redirect port and forward it first)."
        )
    return note


def keyring_note(problem: str | None, account_name: str, fallback_file: Path) -> Text:
    """Where the password will be kept; with no usable keyring, the other choices."""
    if problem is None:
        return Text("The password will be kept in the system keyring.")
    return Text.assemble(
        ("Cannot use the system keyring: ", "bold"), problem, ".\n",
        "Give a command that prints the password above (e.g. pass show mail/"
        f"{account_name}), or tick the box below to keep it unencrypted in {fallback_file}.",
    )  # fmt: skip


class ConsentDialog(ModalScreen[bool]):
    """Asks before the password goes to a server that DNS or HTTP named, outside the domain.

    Returns True only when the user chose to send it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "refuse", "Do not send", id="consent.refuse",
                tooltip="Keep the password away from this server"),
        Binding("y", "accept", "Send it", id="consent.accept",
                tooltip="Trust this server with the password"),
        Binding("n", "refuse", "Do not send", show=False, id="consent.no",
                tooltip="Keep the password away from this server"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    ConsentDialog {
        align: center middle;
    }
    ConsentDialog > Vertical {
        width: 72;
        max-width: 100%;
        height: auto;
        border: round $warning;
        background: $surface;
        padding: 1 2;
    }
    ConsentDialog Horizontal {
        height: auto;
        margin-top: 1;
    }
    ConsentDialog Button {
        margin-right: 2;
    }
    """

    def __init__(self, server: ServerSuggestion, domain: str) -> None:
        super().__init__()
        self.server = server
        self.domain = domain

    def compose(self) -> ComposeResult:
        server = self.server
        question = Text.assemble(
            (f"{server.protocol.upper()} server ", "bold"), (server.host, "bold yellow"),
            f" was found by {server.source}, and it is outside {self.domain}.\n\n",
            "Whoever answers DNS or HTTP for your domain could have named it. Send your "
            "password there only if you know your mail is hosted by it.",
        )  # fmt: skip
        with Vertical():
            yield Static(question, id="consent-question")
            with Horizontal():
                yield Button("Send it (y)", id="consent-yes", variant="warning")
                yield Button("Do not send (n)", id="consent-no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#consent-no", Button).focus()

    @on(Button.Pressed, "#consent-yes")
    def action_accept(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#consent-no")
    def action_refuse(self) -> None:
        self.dismiss(False)


def find_servers(
    email: str, options: DiscoveryOptions | None, on_step: Callable[[str, str], None]
) -> tuple[Discovery, str | None]:
    """On a thread: the servers of `email`, and why the keyring cannot hold a password."""
    from tui_mail.core.auth import credentials  # noqa: PLC0415
    from tui_mail.core.discovery import DiscoveryOptions, discover  # noqa: PLC0415

    found = discover(email, replace(options or DiscoveryOptions(), on_step=on_step))
    return found, credentials.keyring_problem()
