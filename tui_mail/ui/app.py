"""MailApp. Until the full interface lands this is a placeholder that names the accounts and
points at the headless commands, which already do everything."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, Static

from tui_mail.config import AppConfig


class MailApp(App[int]):
    """The tui-mail application."""

    TITLE = "tui-mail"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave tui-mail")
    ]

    def __init__(self, config: AppConfig, account: str | None = None) -> None:
        super().__init__()
        self.config = config
        self.account_name = account

    def compose(self) -> ComposeResult:
        yield Header()
        lines = Text("Accounts:\n", style="bold")
        for account in self.config.accounts:
            # Text, never markup: names come from a user file and may hold brackets.
            lines.append(f"  {account.name}  {account.email}\n", style="")
        lines.append(
            "\nThe full interface is being built. Every action already works from the "
            "command line: run `tui-mail --help`.\n",
            style="italic",
        )
        yield Static(lines, id="placeholder")
        yield Footer()


def run(config: AppConfig, *, account: str | None = None, folder: str | None = None) -> int:
    """Start the TUI; returns the exit code."""
    del folder  # opening a folder comes with the message list
    config.account(account)  # a wrong -a is a usage error before the screen opens
    return MailApp(config, account).run() or 0
