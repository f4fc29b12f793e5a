"""PaneLayout: the main screen's panes sized so the message list stays readable.

The list keeps `MIN_LIST_WIDTH` cells (a subject of MIN_SUBJECT and the short columns):
the folder pane is not widened past it, and the reader goes beside the list only when
both fit, and back below it when the window shrinks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_mail.ui.main.message_list import MIN_WIDTH as MIN_LIST_WIDTH

if TYPE_CHECKING:
    from textual.widget import Widget

    from tui_mail.ui.main.folder_tree import FolderTree
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.splitter import Splitter
    from tui_mail.ui.main.status import StatusBar

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

    def __init__(
        self,
        tree: FolderTree,
        folder_split: Splitter,
        content: Widget,
        messages: MessageList,
        list_split: Splitter,
        status: StatusBar,
        *,
        width: Callable[[], int],
    ) -> None:
        """`content` holds the list and the reader; `width()` is the screen's width."""
        self.tree = tree
        self.folder_split = folder_split
        self.content = content
        self.messages = messages
        self.list_split = list_split
        self.status = status
        self._width = width

    @property
    def beside(self) -> bool:
        return self.content.has_class("-beside")

    def beside_needs(self) -> int:
        """Columns of a window that holds the folders, a list of MIN_LIST_WIDTH and a
        reader as wide, and the two lines between them."""
        return self.tree.outer_size.width + 1 + 2 * MIN_LIST_WIDTH + 1

    def toggle_split(self) -> None:
        if not self.beside and self._width() < self.beside_needs():
            self.status.say(
                f"The reader stays below the list: beside it needs {self.beside_needs()} "
                f"columns, the window has {self._width()}."
            )
            return
        self._set_beside(not self.beside)

    def resized(self) -> None:
        if self.beside and self._width() < self.beside_needs():
            self._set_beside(False)
            self.status.say("The reader moved below the list: the window is too narrow.")

    def _set_beside(self, beside: bool) -> None:
        self.content.set_class(beside, "-beside")
        self.list_split.reorient(across=not beside)
        # Dragging the folder pane wider leaves room for the list (and the reader beside).
        self.folder_split.reorient(keep=2 * MIN_LIST_WIDTH + 1 if beside else MIN_LIST_WIDTH)
        self.messages.forget_size()

    def resize_folders(self, delta: int) -> None:
        tree = self.tree
        widest = self._width() - 1 - MIN_LIST_WIDTH
        if self.beside:
            widest -= 1 + MIN_LIST_WIDTH
        width = max(12, min(60, widest, tree.outer_size.width + delta))
        if delta > 0 and width <= tree.outer_size.width:
            self.status.say("The folder pane is as wide as it gets: the subjects need the rest.")
            return
        tree.set_width(width)
