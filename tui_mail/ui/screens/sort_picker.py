"""SortPicker: choose how the message list is sorted (the O key; `:sort` takes words).

Keys 1-8 pick at once, r turns "reversed" on or off first; the list shows each key's
natural order in words, and the current choice is highlighted when it opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_mail.core.sort import NATURAL, SortKey, SortSpec

KEYS = list(SortKey)


class SortPicker(ModalScreen[SortSpec | None]):
    """Calls `choose` with the order picked, then dismisses with it (None: cancelled).

    `choose` runs before the picker closes, not from the dismiss callback: that one runs
    after the screen below has been drawn again, and the list would be drawn twice (the
    old order, then the new), a third of a re-sort's time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="sort.cancel", tooltip="Keep the order"),
        Binding("r", "toggle_reverse", "Reversed", id="sort.reverse",
                tooltip="Turn the chosen order upside down"),
        *(Binding(str(n), f"pick({n - 1})", key.value, show=False, id=f"sort.{key.value}",
                  tooltip=f"Sort by {key.value}") for n, key in enumerate(KEYS, start=1)),
    ]  # fmt: skip

    DEFAULT_CSS = """
    SortPicker {
        align: center middle;
    }
    SortPicker > Vertical {
        width: 60;
        max-width: 100%;
        height: auto;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    SortPicker OptionList {
        height: auto;
        max-height: 12;
    }
    """

    def __init__(self, current: SortSpec, choose: Callable[[SortSpec], None]) -> None:
        super().__init__()
        self.current = current
        self.reverse = current.reverse
        self._choose = choose

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title(), id="sort-title")
            yield OptionList(*self._options(), id="sort-options")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = KEYS.index(self.current.key)
        options.focus()

    def _title(self) -> Text:
        state = "on" if self.reverse else "off"
        return Text(f"Sort by (1-8 or Enter; r: reversed, now {state}; Esc)", style="bold")

    def _options(self) -> list[Option]:
        return [
            Option(Text(f"{n}  {key.value:<8} {NATURAL[key]}"), id=key.value)
            for n, key in enumerate(KEYS, start=1)
        ]

    @on(OptionList.OptionSelected, "#sort-options")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.action_pick(event.option_index)

    def action_pick(self, index: int) -> None:
        spec = SortSpec(KEYS[index], self.reverse)
        self._choose(spec)
        self.dismiss(spec)

    def action_toggle_reverse(self) -> None:
        self.reverse = not self.reverse
        self.query_one("#sort-title", Static).update(self._title())

    def action_cancel(self) -> None:
        self.dismiss(None)
