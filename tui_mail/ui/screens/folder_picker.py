"""FolderPicker: choose a folder by typing a few letters of its name (for move)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from tui_mail.core.message.sanitize import sanitize_line


def fuzzy_score(query: str, name: str) -> int | None:
    """Lower is better; None when the letters of `query` do not appear in order in `name`."""
    query, name = query.casefold(), name.casefold()
    if not query:
        return 0
    if query in name:
        return name.index(query)
    position, gaps = 0, 0
    for char in query:
        found = name.find(char, position)
        if found < 0:
            return None
        gaps += found - position
        position = found + 1
    return 100 + gaps


class FolderPicker(ModalScreen[str | None]):
    """Returns the chosen folder name, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel", tooltip="Move nothing"),
        Binding("down", "focus_list", "List", show=False, id="picker.list",
                tooltip="Go to the list"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    FolderPicker {
        align: center middle;
    }
    FolderPicker > Vertical {
        width: 60;
        max-width: 100%;
        height: 70%;
        border: round $primary;
        background: $surface;
    }
    FolderPicker OptionList {
        height: 1fr;
    }
    """

    def __init__(
        self, title: str, folders: list[str], resolve: Callable[[str], str | None] | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.folders = folders
        self.resolve = resolve
        """What the typed text names outright ("junk" -> the Spam folder): listed first."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(placeholder=self.title_text, id="picker-filter")
            yield OptionList(*self._options(""), id="picker-options")

    def _options(self, query: str) -> list[Option]:
        scored = [(fuzzy_score(query, name), name) for name in self.folders]
        named = self.resolve(query) if self.resolve and query.strip() else None
        # The folder the text names (exact, INBOX in any case, or by role) goes first.
        scored = [(-1 if name == named else score, name) for score, name in scored]
        ranked = sorted((score, name) for score, name in scored if score is not None)
        return [Option(Text(sanitize_line(name)), id=name) for _score, name in ranked]

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        options.highlighted = 0 if options.option_count else None

    @on(Input.Submitted, "#picker-filter")
    def _take_first(self) -> None:
        options = self.query_one("#picker-options", OptionList)
        if options.option_count:
            chosen = options.get_option_at_index(options.highlighted or 0)
            self.dismiss(chosen.id)

    @on(OptionList.OptionSelected, "#picker-options")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_focus_list(self) -> None:
        self.query_one("#picker-options", OptionList).focus()
