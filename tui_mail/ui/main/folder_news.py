"""Folders made, removed or renamed elsewhere, as the main screen shows them.

The service has already made the cache's folder list the server's (FoldersChanged,
core/account/folder_watch.py); here the tree is drawn again, and a list showing a folder
that was renamed follows it under its new name, one showing a removed folder goes back
to the inbox, saying why: never an error about a folder that is no longer there. Names
come from the server: they reach the screen only through sanitize_line, as plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.ui.main.folder_tree import FolderKey

if TYPE_CHECKING:
    from tui_mail.core.account.events import FoldersChanged
    from tui_mail.ui.main.folder_tree import FolderTree
    from tui_mail.ui.main.status import StatusBar

_NAMED: int = 3
"""A sentence names at most this many folders; the rest are counted."""


def show_folder_news(
    event: FoldersChanged,
    shown: FolderKey,
    *,
    tree: FolderTree,
    status: StatusBar,
    tree_changed: Callable[[], None],
    show_folder: Callable[[FolderKey], None],
    sync: Callable[[str, str], object],
) -> None:
    """The tree anew; the list after its folder (see the module docstring). `shown` is the
    folder the list shows, `show_folder(key)` shows another, `sync(account, folder)` syncs
    one in the background."""
    account, changes = event.account, event.changes
    tree_changed()
    if shown.account == account and not shown.across:
        new = changes.new_name(shown.folder)
        if new is not None:
            key = FolderKey(account, new)
            show_folder(key)
            tree.select_key(key)
            sync(account, new)
            status.say(
                f"{account}: {sanitize_line(shown.folder)} was renamed to "
                f"{sanitize_line(new)} elsewhere; the list follows it"
            )
            return
        if shown.folder in changes.removed:
            key = FolderKey(account, "INBOX")
            show_folder(key)
            tree.select_key(key)
            status.say(
                f"{account}: {sanitize_line(shown.folder)} was removed elsewhere; showing the inbox"
            )
            return
    if changes.renamed or changes.removed:
        status.say(sentence(account, event))


def sentence(account: str, event: FoldersChanged) -> str:
    """What the status bar says of folders renamed or removed that the list does not show.
    New folders it leaves to the tree: Dovecot reports the folders it makes on a first
    login (Drafts, Sent ...) as new, and the status bar may hold a warning worth more."""
    changes = event.changes
    parts = []
    if changes.renamed:
        parts.append("renamed " + _names([f"{old} -> {new}" for old, new in changes.renamed]))
    if changes.removed:
        parts.append(f"removed {_names(changes.removed)}")
    return f"{account}: folders changed elsewhere: {'; '.join(parts)}"


def _names(names: tuple[str, ...] | list[str]) -> str:
    shown = [sanitize_line(name) for name in names[:_NAMED]]
    text = ", ".join(shown)
    if len(names) > _NAMED:
        text += f" and {len(names) - _NAMED} more"
    return text
