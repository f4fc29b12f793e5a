"""FolderTree: every account as a root, special-use folders first, then the hierarchy.

A "All inboxes" entry at the top merges every account's INBOX by date; under it, when
the config has any, a "Saved searches" section lists each saved search with its unread
count (ui/main/saved_searches.py keeps them current).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.models import Folder, FolderRole

_ROLE_LABELS = {
    FolderRole.INBOX: "Inbox",
    FolderRole.DRAFTS: "Drafts",
    FolderRole.SENT: "Sent",
    FolderRole.ARCHIVE: "Archive",
    FolderRole.JUNK: "Junk",
    FolderRole.TRASH: "Trash",
}
UNIFIED = "\x00unified"
"""The folder name of the unified inbox entry (no real folder can contain NUL)."""
OUTBOX = "\x00outbox"
"""The folder name of an account's Outbox entry: messages waiting to be sent."""
SAVED = "\x00saved:"
"""The folder name of a saved search's entry starts with this; its name follows."""
SAVED_SECTION = "Saved searches"


@dataclass(frozen=True, slots=True)
class FolderKey:
    """What a tree node stands for."""

    account: str
    folder: str

    @property
    def unified(self) -> bool:
        return self.folder == UNIFIED

    @property
    def outbox(self) -> bool:
        return self.folder == OUTBOX

    @classmethod
    def saved(cls, name: str) -> FolderKey:
        """The entry of the saved search `name`."""
        return cls("", SAVED + name)

    @property
    def saved_search(self) -> str | None:
        """The name of the saved search this stands for; None for any other entry."""
        return self.folder.removeprefix(SAVED) if self.folder.startswith(SAVED) else None

    @property
    def across(self) -> bool:
        """Whether the list shows messages of several folders (all inboxes, a saved
        search): rows name their account; no threads, no other order than by date."""
        return self.unified or self.saved_search is not None

    @property
    def label(self) -> str:
        """What the screen's title says for it."""
        if self.unified:
            return "All inboxes"
        if self.saved_search is not None:
            return f"Saved search: {sanitize_line(self.saved_search)}"
        return f"{self.account}: {sanitize_line(self.folder)}"


class FolderTree(Tree[FolderKey | None]):
    """Accounts and their folders, with unread counts."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="folders.down",
                tooltip="Next folder"),
        Binding("k", "cursor_up", "Up", show=False, id="folders.up",
                tooltip="Previous folder"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    FolderTree {
        background: $panel;
        padding: 0 1 0 0;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    """

    class FolderChosen(Message):
        """The user picked a folder (or the unified inbox)."""

        def __init__(self, key: FolderKey) -> None:
            self.key = key
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Mail", data=None, id=id)
        self.show_root = False
        self.guide_depth = 2
        self._by_key: dict[FolderKey, TreeNode[FolderKey | None]] = {}
        self._saved_section: TreeNode[FolderKey | None] | None = None

    def show_folders(
        self,
        accounts: dict[str, list[Folder]],
        *,
        unified: bool,
        outbox: dict[str, int] | None = None,
        saved: Sequence[tuple[str, int | None]] = (),
    ) -> None:
        """Rebuild the tree; `accounts` maps account name -> folders in display order,
        `outbox` account name -> messages waiting to be sent (an Outbox entry when any),
        `saved` the saved searches with their unread counts (None: not counted yet)."""
        current = self.cursor_node.data if self.cursor_node is not None else None
        self.clear()
        self._by_key.clear()
        if unified:
            key = FolderKey("", UNIFIED)
            unread = sum(
                f.unseen or 0
                for folders in accounts.values()
                for f in folders
                if f.role is FolderRole.INBOX
            )
            self._by_key[key] = self.root.add_leaf(_label("All inboxes", unread), data=key)
        self._saved_section = None
        self.show_saved(saved)
        for account, folders in accounts.items():
            root = self.root.add(Text(account, style="bold"), data=None, expand=True)
            parents: dict[str, TreeNode[FolderKey | None]] = {}
            for folder in folders:
                parent = root
                if folder.role is None and folder.delimiter and folder.delimiter in folder.name:
                    parent_name = folder.name.rsplit(folder.delimiter, 1)[0]
                    parent = parents.get(parent_name, root)
                name = _ROLE_LABELS.get(folder.role, folder.display_name) if folder.role else (
                    folder.display_name
                )  # fmt: skip
                key = FolderKey(account, folder.name)
                node = parent.add(_label(name, folder.unseen or 0), data=key, expand=True)
                if not folder.selectable:
                    node.label = Text(name, style="dim italic")
                parents[folder.name] = node
                self._by_key[key] = node
                if folder.role is FolderRole.INBOX and (outbox or {}).get(account):
                    self._add_outbox(root, account, (outbox or {})[account])
            for node in list(parents.values()):
                if not node.children:
                    node.allow_expand = False
        if current is not None and current in self._by_key:
            self._move_cursor_to(self._by_key[current])

    def show_saved(self, saved: Sequence[tuple[str, int | None]]) -> None:
        """The "Saved searches" section anew: (name, unread count) in order; none, no
        section (the tree then looks as it always did)."""
        for key in [key for key in self._by_key if key.saved_search is not None]:
            del self._by_key[key]
        section = self._saved_section
        if section is not None:
            section.remove_children()
        if not saved:
            if section is not None:
                section.remove()
            self._saved_section = None
            return
        if section is None:
            # Right after "All inboxes" (when there is one), before the accounts.
            first_account = next((n for n in self.root.children if n.data is None), None)
            label = Text(SAVED_SECTION, style="bold")
            section = self.root.add(label, data=None, before=first_account, expand=True)
            self._saved_section = section
        for name, unread in saved:
            key = FolderKey.saved(name)
            self._by_key[key] = section.add_leaf(_label(sanitize_line(name), unread or 0), data=key)

    def _add_outbox(self, root: TreeNode[FolderKey | None], account: str, waiting: int) -> None:
        """Right under the inbox, where it is seen: messages that have not left yet."""
        key = FolderKey(account, OUTBOX)
        self._by_key[key] = root.add_leaf(_label("Outbox", waiting), data=key)

    def select_key(self, key: FolderKey) -> None:
        node = self._by_key.get(key)
        if node is not None:
            self._move_cursor_to(node)

    def _move_cursor_to(self, node: TreeNode[FolderKey | None]) -> None:
        # Tree.move_cursor reads the node's line number, which is -1 until the tree's lines
        # are rebuilt (after clear() or add()): the cursor then lands on the first line
        # ("All inboxes") whatever the list shows. Build the lines first.
        self._tree_lines  # noqa: B018  (the property builds them)
        self.move_cursor(node)

    def set_width(self, width: int) -> None:
        """`width` cells wide, past the default cap when asked."""
        self.styles.max_width = width
        self.styles.width = width

    def update_count(self, key: FolderKey, name: str, unread: int) -> None:
        node = self._by_key.get(key)
        if node is not None:
            node.set_label(_label(name, unread))

    def render_label(
        self, node: TreeNode[FolderKey | None], base_style: Style, style: Style
    ) -> Text:
        # Labels fit the pane, so it never scrolls sideways and counts stay in view.
        text = super().render_label(node, base_style, style)
        depth = 0
        parent = node.parent
        while parent is not None and parent is not self.root:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth
        if room <= 0 or text.cell_len <= room:
            return text
        label = node.label
        prefix = len(text.plain) - len(label.plain if isinstance(label, Text) else label)
        return text[:prefix] + fit_label(text[prefix:], room - prefix)

    def on_tree_node_selected(self, event: Tree.NodeSelected[FolderKey | None]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.FolderChosen(event.node.data))


def _label(name: str, unread: int) -> Text:
    label = Text(name, style="bold" if unread else "")
    if unread:
        label.append(f" ({unread})", style="bold")
    return label


def fit_label(label: Text, width: int) -> Text:
    """`label` in `width` cells: the name gives way ("textual-us… (4)"), the count stays."""
    if label.cell_len <= width:
        return label
    plain = label.plain
    count = plain[plain.rfind(" (") :] if plain.endswith(")") and " (" in plain else ""
    name = label[: len(plain) - len(count)]
    name.truncate(max(1, width - cell_len(count)), overflow="ellipsis")
    fitted = name + label[len(plain) - len(count) :] if count else name
    fitted.truncate(width, overflow="ellipsis")
    return fitted
