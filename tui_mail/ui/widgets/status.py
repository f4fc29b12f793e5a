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
    StatusBar > #status-marked {
        width: auto;
        padding: 0 1;
        color: $warning;
        text-style: bold;
        display: none;
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
        self._problem_of: str | None = None
        """The account whose connection problem the message shows (see clear_problem)."""

    def compose(self) -> ComposeResult:
        yield Static(id="status-accounts")
        yield Static(id="status-message")
        yield Static(id="status-marked")
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

    def say(self, message: str, *, error: bool = False, account: str | None = None) -> None:
        """Show a message (words a user understands; plain text, never markup). An error
        with `account` is that account's connection problem, until `clear_problem`."""
        self._problem_of = account if error else None
        style = "bold red" if error else ""
        self.query_one("#status-message", Static).update(Text(message, style=style))

    def show_marked(self, count: int) -> None:
        """How many messages are marked for a bulk action (nothing when none)."""
        marked = self.query_one("#status-marked", Static)
        marked.update(f"{count} marked")
        marked.display = count > 0

    def clear_problem(self, account: str, message: str) -> None:
        """`account` is reachable again: `message` replaces its connection problem, if that
        is still what the bar shows (a newer message is left alone)."""
        if self._problem_of == account:
            self.say(message)

    def progress(self, done: int, total: int) -> None:
        bar = self.query_one("#status-progress", ProgressBar)
        if total <= 0 or done >= total:
            bar.remove_class("-syncing")
            return
        bar.add_class("-syncing")
        bar.update(total=total, progress=done)
