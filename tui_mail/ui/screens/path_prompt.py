"""PathPrompt: one line to type a path, Tab completes it; dismisses with the text, or None
on Escape. Used by `S` (where to save an attachment).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.ui.widgets.path_input import PathInput

SHOWN_CANDIDATES = 12
"""Candidates listed under the field after a Tab that found several."""


class PathPrompt(ModalScreen[str | None]):
    """Ask for a path, prefilled; Tab completes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="prompt.cancel",
                tooltip="Close without doing anything"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    PathPrompt {
        align: center bottom;
    }
    PathPrompt > Vertical {
        width: 100%;
        height: auto;
        border-top: solid $primary;
        background: $surface;
        padding: 0 1;
    }
    PathPrompt #prompt-candidates {
        color: $text-muted;
    }
    """

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield PathInput(value=self.value, id="prompt-input")
            yield Static("", id="prompt-candidates")

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    @on(PathInput.Candidates)
    def _candidates(self, event: PathInput.Candidates) -> None:
        names = [sanitize_line(c.rstrip("/").rpartition("/")[2] or c) for c in event.candidates]
        more = len(names) - SHOWN_CANDIDATES
        text = "  ".join(names[:SHOWN_CANDIDATES]) + (f"  (+{more} more)" if more > 0 else "")
        self.query_one("#prompt-candidates", Static).update(Text(text or "No such file."))

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
