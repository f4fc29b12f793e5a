"""Mail sources behind one protocol: the service and the UI never know which one they have."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol, runtime_checkable

from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.models import Flag, Folder, FolderSyncState, Progress, SyncResult
from tui_mail.core.query import Query


class SyncCache(Protocol):
    """The part of the cache a folder sync reads and writes (core/store/cache.py's Store is
    one): what a backend may know of the cache, and no more."""

    def sync_state(self, name: str) -> FolderSyncState: ...

    def begin_first_pass(self, folder_id: int, uidvalidity: int) -> None: ...

    def save_sync_state(
        self, folder_id: int, uidvalidity: int, uidnext: int | None, highestmodseq: int | None
    ) -> None: ...

    def reset_folder(self, folder_id: int) -> None: ...

    def add_summaries(self, folder_id: int, rows: Iterable[SummaryRow]) -> int: ...

    def update_flags(self, folder_id: int, changes: Iterable[tuple[int, int, str, int]]) -> int:
        """Apply (uid, flags, keywords, modseq); returns how many rows changed."""

    def delete_uids(self, folder_id: int, uids: Iterable[int]) -> int: ...

    def uids(self, folder_id: int) -> list[int]: ...

    def max_uid(self, folder_id: int) -> int: ...

    def counts(self, folder_id: int) -> tuple[int, int]:
        """(total, unseen) as cached."""


class MailBackend(Protocol):
    """What AccountService needs from a mail source.

    Every method runs on the account's worker thread, one call at a time, so an
    implementation may hold a connection that is not thread-safe. UIDs are per folder and
    stable while the folder's UIDVALIDITY stays the same, as in IMAP. `sync_folder` is the
    only method that writes message summaries into the store.
    """

    @property
    def connected(self) -> bool: ...

    def connect(self) -> None: ...

    def close(self) -> None: ...

    def check(self) -> None:
        """Prove the connection works (NOOP); raise ConnectionFailed if it does not."""

    def list_folders(self) -> list[Folder]: ...

    def sync_folder(
        self, store: SyncCache, folder: str, progress: Progress | None
    ) -> SyncResult: ...

    def folder_counts(self, names: list[str]) -> dict[str, tuple[int, int]]:
        """(total, unseen) of these folders as the server counts them now (STATUS); a
        folder that cannot be asked is left out."""

    def fetch_raw(self, folder: str, uid: int) -> bytes | None:
        """The whole message without marking it read; None when it no longer exists."""

    def store_flags(self, folder: str, uids: list[int], flags: Flag, *, add: bool) -> None:
        """Add or remove `flags` (one or several, as a bitmask)."""

    def move(self, folder: str, uids: list[int], destination: str) -> None: ...

    def expunge(self, folder: str, uids: list[int]) -> None:
        """Delete exactly these messages for good."""

    def append(self, folder: str, message: bytes, flags: Flag, when: datetime | None) -> int | None:
        """Store a message; returns its UID when known."""

    def search(self, folder: str, query: Query) -> list[int]:
        """UIDs of the messages matching `query` (core/query.py), in increasing order."""

    def create_folder(self, name: str) -> None: ...

    def rename_folder(self, old: str, new: str) -> None: ...

    def delete_folder(self, name: str) -> None: ...


@runtime_checkable
class FetchesMany(Protocol):
    """A MailBackend that fetches many messages in one command (IMAP): downloading bodies
    ahead for offline use (core/account/offline_bodies.py) asks it in batches. Local mail
    (Maildir, POP3) is on disk already and has no need of it."""

    def fetch_raw_many(self, folder: str, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        """(uid, whole message) for these UIDs as they arrive, without marking any read; a
        UID that no longer exists is left out. Consume it to the end, on the worker."""
        ...
