"""The IMAP backend: ImapSession for the commands, sync.py for the cache."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from tui_mail.config import AccountConfig
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.backend import SyncCache
from tui_mail.core.errors import ConnectionFailed
from tui_mail.core.imap.flags import flag_names
from tui_mail.core.imap.guard import MESSAGE_LITERAL_CAP
from tui_mail.core.imap.search import criteria
from tui_mail.core.imap.session import ImapSession
from tui_mail.core.imap.sync import sync_folder
from tui_mail.core.models import Flag, Folder, Progress, SyncResult
from tui_mail.core.query import Query
from tui_mail.core.seqset import compact


class ImapBackend:
    """One IMAP connection for an account, (re)opened on demand."""

    def __init__(self, account: AccountConfig, secret: SecretSource) -> None:
        self.account = account
        self._secret = secret
        self._session: ImapSession | None = None
        self._opening: ImapSession | None = None

    @property
    def session(self) -> ImapSession:
        if self._session is None or not self._session.connected:
            raise ConnectionFailed("Not connected to the IMAP server.")
        return self._session

    @property
    def connected(self) -> bool:
        return self._session is not None and self._session.connected

    def connect(self) -> None:
        # The command connection carries the big FETCHes: the one worth compressing.
        session = self._opening = ImapSession(self.account, self._secret, compress=True)
        try:
            session.connect()
        finally:
            self._opening = None
        self._session = session

    def interrupt(self) -> None:
        """From any thread: shut the connection (or the one being opened) now."""
        for session in (self._opening, self._session):
            if session is not None:
                session.interrupt()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def check(self) -> None:
        self.session.noop()

    def list_folders(self) -> list[Folder]:
        return self.session.list_folders()

    def personal_prefix(self) -> str:
        return self.session.personal_prefix()

    def sync_folder(self, store: SyncCache, folder: str, progress: Progress | None) -> SyncResult:
        return sync_folder(self.session, store, folder, progress=progress)

    def folder_counts(self, names: list[str]) -> dict[str, tuple[int, int]]:
        return self.session.status_counts(names)

    def _selected(self, folder: str) -> ImapSession:
        session = self.session
        session.ensure_selected(folder)
        return session

    def fetch_raw(self, folder: str, uid: int) -> bytes | None:
        return self._selected(folder).fetch_body(uid)

    def fetch_raw_many(self, folder: str, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        """One UID FETCH BODY.PEEK[] (PEEK: \\Seen stays as it is), streamed: one message
        in memory at a time. A caller sends a few dozen UIDs, well under any line limit."""
        if not uids:
            return
        session = self._selected(folder)
        stream = session.fetch_stream(
            compact(uids), "UID BODY.PEEK[]", literal_cap=MESSAGE_LITERAL_CAP
        )
        for message in stream:
            if message.uid is not None and message.section is not None:
                yield message.uid, message.section

    def store_flags(self, folder: str, uids: list[int], flags: Flag, *, add: bool) -> None:
        self._selected(folder).store_flags(uids, flag_names(flags), add=add)

    def move(self, folder: str, uids: list[int], destination: str) -> None:
        self._selected(folder).move(uids, destination)

    def expunge(self, folder: str, uids: list[int]) -> None:
        self._selected(folder).expunge_only(uids)

    def append(self, folder: str, message: bytes, flags: Flag, when: datetime | None) -> int | None:
        return self.session.append(folder, message, flag_names(flags), when)

    def search(self, folder: str, query: Query) -> list[int]:
        return self._selected(folder).search(criteria(query))

    def create_folder(self, name: str) -> None:
        self.session.create_folder(name)

    def rename_folder(self, old: str, new: str) -> None:
        self.session.rename_folder(old, new)

    def delete_folder(self, name: str) -> None:
        self.session.delete_folder(name)
