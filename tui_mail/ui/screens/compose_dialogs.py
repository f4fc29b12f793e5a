"""The compose screen's two dialogs: the preview, and a yes/no question ("discard this
message?", "send it without a subject?")."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class PreviewScreen(ModalScreen[None]):
    """The message as the reader will show it, Bcc included (text, never markup)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="preview.close", tooltip="Back to writing"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    PreviewScreen {
        align: center middle;
    }
    PreviewScreen > VerticalScroll {
        width: 90%;
        height: 90%;
        border: round $primary;
        border-title-align: center;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll()
        scroll.border_title = "Preview: as it will be sent (Esc closes)"
        with scroll:
            yield Static(Text(self.text), id="preview-text")

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmDiscard(ModalScreen[bool]):
    """True when the user agrees to go ahead (lose what was written, or send without a
    subject); the labels name the two choices."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Discard", id="discard.yes",
                tooltip="Throw the message away"),
        Binding("n,escape", "answer(False)", "Keep writing", id="discard.no",
                tooltip="Back to the message"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    ConfirmDiscard {
        align: center middle;
    }
    ConfirmDiscard > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        border: round $error;
        background: $surface;
        padding: 1 2;
    }
    ConfirmDiscard Horizontal {
        height: auto;
        margin-top: 1;
    }
    ConfirmDiscard Button {
        margin-right: 2;
    }
    """

    def __init__(
        self, question: str, *, discard: str = "Discard", keep: str = "Keep writing"
    ) -> None:
        super().__init__()
        self.question = question
        self.labels = (discard, keep)

    def compose(self) -> ComposeResult:
        discard, keep = self.labels
        with Vertical():
            yield Static(Text(self.question), id="discard-question")
            with Horizontal():
                yield Button(f"{discard} (y)", variant="error", id="discard-yes")
                yield Button(f"{keep} (n)", variant="primary", id="discard-no")

    def on_mount(self) -> None:
        self.query_one("#discard-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "discard-yes")

    def action_answer(self, discard: bool) -> None:
        self.dismiss(discard)
