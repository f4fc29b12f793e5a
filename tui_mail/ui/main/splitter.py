"""Splitter: the line between two panes, dragged with the mouse to resize them.

It sits right after the pane it resizes (`target`) and sets that pane's width (across) or
height (down) to where the pointer is; the pane on the other side takes what is left
(its size is `1fr`). Which way it works follows the layout of its parent, so the line
between the message list and the reader keeps working when the reader moves beside it.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget

MIN_CELLS = 4
"""No pane is dragged smaller than this (it would vanish and the line with it)."""


class Splitter(Widget):
    """A one-cell line that resizes the widget before it when dragged."""

    DEFAULT_CSS = """
    Splitter {
        width: 1;
        height: 1fr;
        border-left: vkey $panel-lighten-2;
    }
    Splitter.-across {
        width: 1fr;
        height: 1;
        border-left: none;
        border-top: hkey $panel-lighten-2;
    }
    Splitter:hover, Splitter.-dragging {
        border-left: vkey $accent;
    }
    Splitter.-across:hover, Splitter.-across.-dragging {
        border-left: none;
        border-top: hkey $accent;
    }
    """

    def __init__(
        self, target: Widget, *, across: bool = False, keep: int = MIN_CELLS, id: str | None = None
    ) -> None:
        """`across`: a horizontal line (it changes the target's height); `keep`: cells left
        to the pane on the other side, at least."""
        super().__init__(id=id, classes="-across" if across else "")
        self.target = target
        self.keep = keep
        self.dragging = False

    @property
    def across(self) -> bool:
        return self.has_class("-across")

    def reorient(self, *, across: bool | None = None, keep: int | None = None) -> None:
        """Lie `across` (or down), leaving at least `keep` cells to the other pane."""
        if across is not None:
            self.set_class(across, "-across")
        if keep is not None:
            self.keep = keep

    def on_mouse_down(self, event: events.MouseDown) -> None:
        event.stop()
        self.dragging = True
        self.add_class("-dragging")
        self.capture_mouse()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if not self.dragging:
            return
        event.stop()
        region = self.target.region
        limit = self.parent.region if isinstance(self.parent, Widget) else self.screen.region
        if self.across:
            largest = limit.bottom - region.y - self.keep - 1
            self.target.styles.height = max(MIN_CELLS, min(event.screen_y - region.y, largest))
        else:
            largest = limit.right - region.x - self.keep - 1
            width = max(MIN_CELLS, min(event.screen_x - region.x, largest))
            self.target.styles.max_width = width  # a drag may go past the default cap
            self.target.styles.width = width

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self.dragging:
            event.stop()
            self.dragging = False
            self.remove_class("-dragging")
            self.release_mouse()
