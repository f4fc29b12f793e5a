"""What an AccountService tells its UI, as it happens.

Events are plain frozen dataclasses built on the service's worker or watcher threads and
handed to `AccountService.on_event`, on that thread. A UI passes them over to its own
thread (Textual: `post_message`) before touching anything on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui_mail.core.folders.changes import FolderChanges
from tui_mail.core.models import MessageSummary, SyncResult


@dataclass(frozen=True, slots=True)
class NewMail:
    """Messages arrived in a folder (already in the store)."""

    account: str
    folder: str
    messages: tuple[MessageSummary, ...]


@dataclass(frozen=True, slots=True)
class FolderChanged:
    """A folder changed on the server (flags, removals) and the store has caught up."""

    account: str
    folder: str
    result: SyncResult


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """The account's connection: "idling", "polling", "reconnecting in 8 s", "offline",
    "auth failed", "connected"."""

    account: str
    state: str
    detail: str = ""
    """What went wrong, in words for the user (empty when nothing did)."""


@dataclass(frozen=True, slots=True)
class PendingChanged:
    """The number of actions waiting for the server changed (offline triage)."""

    account: str
    count: int
    problems: tuple[str, ...] = field(default=())
    """What could not be replayed (a message that vanished meanwhile), for the user."""


@dataclass(frozen=True, slots=True)
class CountsChanged:
    """Folders' total and unread counts changed in the cache (an action, or the server's
    STATUS confirming one): what a folder list shows should be read again."""

    account: str
    folders: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FoldersChanged:
    """Folders were made, removed or renamed on the server (another client, a rule, the
    administrator): the cache's folder list follows already; a tree is drawn again, and a
    list showing a renamed folder follows its new name (one showing a removed one leaves it).
    """

    account: str
    changes: FolderChanges


@dataclass(frozen=True, slots=True)
class CacheProblem:
    """The cache failed a background sync: the disk is full, the file is read-only, or it
    was damaged (then it is being rebuilt from the server)."""

    account: str
    detail: str
    """What happened and what to do, in words for the user."""


@dataclass(frozen=True, slots=True)
class OfflineProgress:
    """Bodies being downloaded ahead for offline use (offline_days, offline_bodies.py): `done`
    of `total` in this run, told every few seconds; `finished` once the run ends."""

    account: str
    done: int
    total: int
    finished: bool = False
    note: str = ""
    """Why the run ended before everything was fetched (the size limit, no connection)."""

    def sentence(self) -> str:
        """What the status bar and the CLI say."""
        if not self.finished:
            return f"{self.account}: downloading for offline use: {self.done:,} of {self.total:,}"
        kept = f"{self.account}: {self.done:,} message(s) downloaded for offline use"
        return f"{kept}; {self.note}" if self.note else kept


Event = (
    NewMail
    | FolderChanged
    | ConnectionState
    | PendingChanged
    | CountsChanged
    | FoldersChanged
    | CacheProblem
    | OfflineProgress
)
