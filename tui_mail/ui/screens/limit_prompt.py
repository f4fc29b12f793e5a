"""LimitPrompt: one line at the bottom of the screen to type what the list is limited to."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

LIMIT_HELP = (
    "Limit (l): show only the messages matching a search (the / language), from the "
    "cache, so it works offline. from: to: cc: subject: since: before: is: look at every "
    "message; body: and plain words look into the text only of messages read before "
    "(whose body is cached). Esc or an empty limit shows the whole folder again."
)
"""What a limit can look at, for the prompt and the help screen."""


class LimitPrompt(ModalScreen[str | None]):
    """Returns the limit typed ("" to clear it), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="limit.cancel", tooltip="Limit nothing"),
    ]

    DEFAULT_CSS = """
    LimitPrompt {
        align: left bottom;
        background: $background 0%;
    }
    LimitPrompt > Vertical {
        height: auto;
        background: $panel;
        margin-bottom: 1;
    }
    LimitPrompt #limit-hint {
        color: $text-muted;
        padding: 0 1;
    }
    LimitPrompt Input {
        padding: 0 1;
    }
    """

    def __init__(self, query: str) -> None:
        super().__init__()
        self.query_text = query

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "Limit to (from: subject: is:unread since: words): Enter; empty clears; Esc",
                id="limit-hint",
            )
            yield Input(
                value=self.query_text,
                placeholder="from: subject: is:unread words…",
                compact=True,
                id="limit",
            )

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        field.select_all()  # typing replaces the limit on show

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
