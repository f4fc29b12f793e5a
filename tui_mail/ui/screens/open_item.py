"""The reader's two dialogs: pick a link or attachment (ItemPicker), then confirm what
exactly will be opened (ConfirmOpen). Used by ReaderActions (ui/main/attachments.py)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

_MODAL_CSS = """
{name} {{
    align: center middle;
}}
{name} > Vertical {{
    width: 80%;
    max-width: 100;
    height: auto;
    max-height: 80%;
    border: thick $primary;
    background: $surface;
    padding: 1 2;
}}
{name} OptionList {{
    height: auto;
    max-height: 20;
}}
{name} Horizontal {{
    height: auto;
    margin-top: 1;
}}
{name} Button {{
    margin-right: 2;
}}
"""


class ItemPicker(ModalScreen[int | None]):
    """Pick one numbered link or attachment; dismisses with its position, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="picker.cancel",
                tooltip="Close without choosing"),
    ]  # fmt: skip
    DEFAULT_CSS = _MODAL_CSS.format(name="ItemPicker")

    def __init__(self, title: str, items: list[Text]) -> None:
        super().__init__()
        self.title_text = title
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield OptionList(*(Option(item) for item in self.items), id="picker-items")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ConfirmOpen(ModalScreen[bool]):
    """Show exactly what is about to be opened and ask; dismisses with the answer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Open", id="confirm.yes", tooltip="Open it"),
        Binding("n,escape", "answer(False)", "Cancel", id="confirm.no",
                tooltip="Do not open it"),
    ]  # fmt: skip
    DEFAULT_CSS = _MODAL_CSS.format(name="ConfirmOpen")

    def __init__(self, details: Text, *, yes_label: str = "Open") -> None:
        super().__init__()
        self.details = details
        self.yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.details, id="confirm-details")
            with Horizontal():
                yield Button(f"{self.yes_label} (y)", variant="warning", id="confirm-open")
                yield Button("Cancel (n)", id="confirm-cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm-cancel", Button).focus()  # the safe answer is the default

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-open")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
