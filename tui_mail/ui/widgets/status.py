"""StatusBar: each account's connection state, sync progress, and the last thing that happened."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

_STATE_STYLES = {
    "connected": "green",
    "idling": "green",
    "polling": "green",
    "reconnecting": "yellow",
    "syncing": "cyan",
    "connecting": "yellow",
    "offline": "red",
    "auth failed": "bold red",
    "error": "red",
    "server": "bold red",
}


class StatusBar(Horizontal):
    """One line at the bottom of the main screen."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $text-muted;
    }
    StatusBar > #status-accounts {
        width: auto;
        max-width: 50%;
        padding: 0 1;
    }
    StatusBar > #status-message {
        width: 1fr;
        padding: 0 1;
    }
    StatusBar > ProgressBar {
        width: 32;
        display: none;
    }
    StatusBar > ProgressBar.-syncing {
        display: block;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._states: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="status-accounts")
        yield Static(id="status-message")
        yield ProgressBar(total=100, show_eta=False, id="status-progress")

    def set_state(self, account: str, state: str) -> None:
        self._states[account] = state
        text = Text()
        for name, value in self._states.items():
            if text:
                text.append("  ")
            text.append(f"{name}: ")
            text.append(value, style=_STATE_STYLES.get(value.split(" ", 1)[0], ""))
        self.query_one("#status-accounts", Static).update(text)

    def state(self, account: str) -> str:
        return self._states.get(account, "")

    def say(self, message: str, *, error: bool = False) -> None:
        """Show a message (words a user understands; plain text, never markup)."""
        style = "bold red" if error else ""
        self.query_one("#status-message", Static).update(Text(message, style=style))

    def progress(self, done: int, total: int) -> None:
        bar = self.query_one("#status-progress", ProgressBar)
        if total <= 0 or done >= total:
            bar.remove_class("-syncing")
            return
        bar.add_class("-syncing")
        bar.update(total=total, progress=done)
