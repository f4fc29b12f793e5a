"""PaneLayout: the main screen's panes sized so the message list stays readable.

The list keeps `MIN_LIST_WIDTH` cells (a subject of MIN_SUBJECT and the short columns):
the folder pane is not widened past it, and the reader goes beside the list only when
both fit, and back below it when the window shrinks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_mail.ui.main.message_list import MIN_WIDTH as MIN_LIST_WIDTH
from tui_mail.ui.main.splitter import Splitter

if TYPE_CHECKING:
    from tui_mail.ui.main.screen import MainScreen

MAIN_SCREEN_CSS = """
MainScreen #panes {
    height: 1fr;
}
MainScreen #folders {
    width: 20%;
    min-width: 20;
    max-width: 32;
}
MainScreen #content {
    width: 1fr;
    layout: vertical;
}
MainScreen #content.-beside {
    layout: horizontal;
}
MainScreen #messages {
    height: 1fr;
}
MainScreen #content.-beside #messages {
    height: 1fr;
    width: 1fr;
}
MainScreen #reader {
    height: 1fr;
}
/* Nothing open: the list takes the room, the reader keeps a line for its hint. */
MainScreen #reader.-empty {
    height: 3;
}
MainScreen #content.-beside #reader, MainScreen #content.-beside #reader.-empty {
    height: 1fr;
    width: 1fr;
}
MainScreen #search {
    dock: bottom;
    display: none;
    margin-bottom: 2;
}
MainScreen #search.-open {
    display: block;
}
"""
"""The main screen's panes; `.-beside` on #content puts the reader beside the list."""


class PaneLayout:
    """Folder pane width and where the reader is (below the list or beside it)."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    @property
    def beside(self) -> bool:
        return self.screen.query_one("#content").has_class("-beside")

    def beside_needs(self) -> int:
        """Columns of a window that holds the folders, a list of MIN_LIST_WIDTH and a
        reader as wide, and the two lines between them."""
        return self.screen.folder_tree.outer_size.width + 1 + 2 * MIN_LIST_WIDTH + 1

    def toggle_split(self) -> None:
        screen = self.screen
        if not self.beside and screen.size.width < self.beside_needs():
            screen.status.say(
                f"The reader stays below the list: beside it needs {self.beside_needs()} "
                f"columns, the window has {screen.size.width}."
            )
            return
        self._set_beside(not self.beside)

    def resized(self) -> None:
        if self.beside and self.screen.size.width < self.beside_needs():
            self._set_beside(False)
            self.screen.status.say("The reader moved below the list: the window is too narrow.")

    def _set_beside(self, beside: bool) -> None:
        screen = self.screen
        screen.query_one("#content").set_class(beside, "-beside")
        screen.query_one("#list-split", Splitter).across = not beside
        # Dragging the folder pane wider leaves room for the list (and the reader beside).
        screen.query_one("#folder-split", Splitter).keep = (
            2 * MIN_LIST_WIDTH + 1 if beside else MIN_LIST_WIDTH
        )
        # A size dragged for one arrangement means nothing in the other.
        screen.messages.styles.height = None
        screen.messages.styles.width = None

    def resize_folders(self, delta: int) -> None:
        tree = self.screen.folder_tree
        widest = self.screen.size.width - 1 - MIN_LIST_WIDTH
        if self.beside:
            widest -= 1 + MIN_LIST_WIDTH
        width = max(12, min(60, widest, tree.outer_size.width + delta))
        if delta > 0 and width <= tree.outer_size.width:
            self.screen.status.say(
                "The folder pane is as wide as it gets: the subjects need the rest."
            )
            return
        tree.styles.max_width = width  # past the default cap when asked
        tree.styles.width = width
