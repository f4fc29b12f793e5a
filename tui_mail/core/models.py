"""Plain data passed between the core and its callers. No protocol types leak past here."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from tui_mail.core.message.sanitize import sanitize_line

Progress = Callable[[int, int], None]
"""Called with (messages done, messages expected) while a sync runs."""


class FolderRole(enum.StrEnum):
    """RFC 6154 special-use roles, plus INBOX. Order of declaration is display order."""

    INBOX = "inbox"
    DRAFTS = "drafts"
    SENT = "sent"
    ARCHIVE = "archive"
    JUNK = "junk"
    TRASH = "trash"
    ALL = "all"
    FLAGGED = "flagged"


ROLE_BY_NAME = {
    "drafts": FolderRole.DRAFTS,
    "draft": FolderRole.DRAFTS,
    "sent": FolderRole.SENT,
    "sent items": FolderRole.SENT,
    "sent messages": FolderRole.SENT,
    "sent mail": FolderRole.SENT,
    "archive": FolderRole.ARCHIVE,
    "archives": FolderRole.ARCHIVE,
    "junk": FolderRole.JUNK,
    "spam": FolderRole.JUNK,
    "junk e-mail": FolderRole.JUNK,
    "junk email": FolderRole.JUNK,
    "trash": FolderRole.TRASH,
    "deleted items": FolderRole.TRASH,
    "deleted messages": FolderRole.TRASH,
    "bin": FolderRole.TRASH,
}
"""Folders without special-use flags, recognised by the (lower-case) names clients use."""


class Flag(enum.IntFlag):
    """System flags kept as a bitmask in the cache so counts are cheap SQL."""

    NONE = 0
    SEEN = 1
    ANSWERED = 2
    FLAGGED = 4
    DELETED = 8
    DRAFT = 16
    FORWARDED = 32  # the $Forwarded keyword, shown like a system flag by every client


@dataclass(frozen=True, slots=True)
class Folder:
    """A mailbox as the server lists it."""

    name: str
    """Full name as the server knows it (decoded from modified UTF-7)."""
    delimiter: str | None
    role: FolderRole | None
    subscribed: bool = True
    selectable: bool = True
    total: int | None = None
    unseen: int | None = None

    @property
    def display_name(self) -> str:
        """Last component of the hierarchy, safe to show (names come from the server)."""
        leaf = self.name
        if self.delimiter and self.delimiter in self.name:
            leaf = self.name.rsplit(self.delimiter, 1)[1]
        return sanitize_line(leaf)

    @property
    def depth(self) -> int:
        """How deep in the hierarchy (0 for a top-level folder)."""
        return self.name.count(self.delimiter) if self.delimiter else 0


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """What the message list shows for one message, as cached."""

    uid: int
    date: int
    """Unix time from the Date header, else INTERNALDATE, else 0."""
    from_name: str
    from_addr: str
    to: str
    cc: str
    subject: str
    message_id: str
    in_reply_to: str
    references: str
    size: int
    flags: Flag
    keywords: tuple[str, ...] = ()
    has_attachment: bool = False

    @property
    def seen(self) -> bool:
        return Flag.SEEN in self.flags

    @property
    def flagged(self) -> bool:
        return Flag.FLAGGED in self.flags

    @property
    def answered(self) -> bool:
        return Flag.ANSWERED in self.flags

    @property
    def sender(self) -> str:
        """Name if there is one, else the address."""
        return self.from_name or self.from_addr


@dataclass(frozen=True, slots=True)
class FolderState:
    """What SELECT told us, compared with the cache to decide how to sync."""

    uidvalidity: int
    uidnext: int | None
    highestmodseq: int | None
    exists: int


@dataclass(frozen=True, slots=True)
class FolderSyncState:
    """What the cache remembers about a folder between syncs."""

    folder_id: int
    uidvalidity: int | None
    uidnext: int | None
    highestmodseq: int | None
    partial_uidvalidity: int | None = None
    """Set while a first pass under that UIDVALIDITY has stored rows but not finished."""


@dataclass(frozen=True, slots=True)
class FetchReport:
    """What one check of a POP3 server did."""

    downloaded: int
    deleted: int
    """Messages the server was told to delete (gone once the session ended)."""
    left_on_server: int


@dataclass(slots=True)
class SyncResult:
    """What one folder sync did; the CLI prints it, the UI turns it into events."""

    folder: str
    total: int = 0
    unseen: int = 0
    new: int = 0
    flags_changed: int = 0
    vanished: int = 0
    cache_reset: bool = False
    method: str = ""
    """How changes were found: full, condstore, qresync, diff, unchanged."""
    new_uids: list[int] = field(default_factory=list)
    fetched: FetchReport | None = None
    """What a POP3 account downloaded before this sync of its INBOX; None for the others."""
