"""The POP3 backend: download into a local maildir, then read it like a Maildir account.

This is how POP3 users expect a client to behave: new messages (found by UIDL, so each is
downloaded once however often the server is checked) are saved into the INBOX of the
account's `path`; the server keeps its copy (the default), deletes it a number of days after
the download (`delete_after_days`), or at once (`leave_on_server = false`). Everything else
(folders, flags, moves, search) is the local maildir's.

A check happens on every sync of the INBOX (`tui-mail sync`, the UI's refresh and its
periodic checks) and through `fetch_new_mail()`. Deletions on the server are only asked for
after the message is safely on disk, and take effect at QUIT: a connection lost half-way
deletes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tui_mail.config import AccountConfig
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.backend import SyncCache
from tui_mail.core.errors import ServerError, TuiMailError, UsageError
from tui_mail.core.maildir.backend import MaildirBackend
from tui_mail.core.maildir.layout import INBOX
from tui_mail.core.maildir.watch import MaildirWatcher
from tui_mail.core.models import FetchReport, Flag, Folder, Progress, SyncResult
from tui_mail.core.pop3.session import Pop3Session
from tui_mail.core.query import Query

CHECK_INTERVAL_SECONDS = 300
"""How often a UI should check a POP3 server for new mail (servers dislike more)."""
_DAY = 86400


class Pop3Backend:
    """A POP3 account: a Pop3Session for downloading, a MaildirBackend for everything else."""

    def __init__(
        self,
        account: AccountConfig,
        secret: SecretSource,
        *,
        data_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if account.pop3 is None:
            raise UsageError(f'Account "{account.name}" has no [accounts.pop3] settings.')
        self.account = account
        self.settings = account.pop3
        self.local = MaildirBackend(account, data_dir=data_dir, create=True)
        self._secret = secret
        self._clock = clock
        self.last_fetch: FetchReport | None = None
        self._session: Pop3Session | None = None
        """The connection under way, for interrupt()."""

    @property
    def connected(self) -> bool:
        return self.local.connected

    def connect(self) -> None:
        """Open the local maildir; the server is only contacted to check for mail."""
        self.local.connect()

    def close(self) -> None:
        self.local.close()

    def interrupt(self) -> None:
        """From any thread (quitting the UI): shut the POP3 connection under way now, so
        the worker blocked on it ends; nothing marked for deletion is deleted."""
        session = self._session
        if session is not None:
            session.interrupt()

    def watcher(self, on_change: Callable[[str], None]) -> MaildirWatcher:
        """Watches the local maildir (downloads and other programs' changes)."""
        return self.local.watcher(on_change)

    def check(self) -> None:
        """Log in to the POP3 server and out again: proves the settings work."""
        session = self._session = Pop3Session(self.account, self._secret)
        try:
            session.connect()
            session.noop()
            session.quit()
        finally:
            session.close()
            self._session = None

    def fetch_new_mail(self, progress: Progress | None = None) -> FetchReport:
        """Download what is new on the server into the INBOX; delete what is due."""
        if not self.local.connected:
            self.local.connect()
        index = self.local.index
        session = self._session = Pop3Session(self.account, self._secret)
        try:
            session.connect()
            listing = session.uidls()
            if listing is None:
                listing = self._without_uidl(session)
            downloaded = index.downloaded_uidls()
            wanted = [(n, uidl) for n, uidl in sorted(listing.items()) if uidl not in downloaded]
            now = int(self._clock())
            for done, (number, uidl) in enumerate(wanted, 1):
                # On disk (and synced) before it is remembered, and remembered before any
                # DELE: a crash can only mean a duplicate, never a lost message.
                self.local.deliver_new(session.retrieve(number), durable=True)
                index.remember_uidl(uidl, now)
                downloaded[uidl] = now
                if progress is not None:
                    progress(done, len(wanted))
            due = [n for n, uidl in listing.items() if self._delete_now(downloaded.get(uidl), now)]
            for number in due:
                session.delete(number)
            session.quit()
        finally:
            session.close()
            self._session = None
        # Forget messages no longer on the server, so the list does not grow for ever.
        index.forget_uidls(set(downloaded) - set(listing.values()) | {listing[n] for n in due})
        report = FetchReport(len(wanted), len(due), len(listing) - len(due))
        self.last_fetch = report
        return report

    def _without_uidl(self, session: Pop3Session) -> dict[int, str]:
        if self.settings.leave_on_server:
            raise ServerError(
                f"{session.where} does not support UIDL, so messages left on the server "
                "cannot be told apart from new ones. Set leave_on_server = false in "
                "[accounts.pop3] to download and delete each message."
            )
        # Every message is deleted once downloaded: numbers are enough for one session.
        return {n: f"nouidl-{time.time_ns()}-{n}" for n in session.message_numbers()}

    def _delete_now(self, downloaded_at: int | None, now: int) -> bool:
        if downloaded_at is None:
            return False  # never delete what we do not have
        if not self.settings.leave_on_server:
            return True
        days = self.settings.delete_after_days
        return days is not None and now - downloaded_at >= days * _DAY

    # -- everything else is the local maildir's ----------------------------------------

    def sync_folder(self, store: SyncCache, folder: str, progress: Progress | None) -> SyncResult:
        failure: TuiMailError | None = None
        fetched: FetchReport | None = None
        if folder.upper() == INBOX:
            try:
                fetched = self.fetch_new_mail()
            except TuiMailError as error:
                failure = error  # the local mail is still worth syncing; then say why
        result = self.local.sync_folder(store, folder, progress)
        if failure is not None:
            raise failure
        result.fetched = fetched
        return result

    def list_folders(self) -> list[Folder]:
        return self.local.list_folders()

    def folder_counts(self, names: list[str]) -> dict[str, tuple[int, int]]:
        return self.local.folder_counts(names)

    def fetch_raw(self, folder: str, uid: int) -> bytes | None:
        return self.local.fetch_raw(folder, uid)

    def store_flags(self, folder: str, uids: list[int], flags: Flag, *, add: bool) -> None:
        self.local.store_flags(folder, uids, flags, add=add)

    def move(self, folder: str, uids: list[int], destination: str) -> None:
        self.local.move(folder, uids, destination)

    def expunge(self, folder: str, uids: list[int]) -> None:
        self.local.expunge(folder, uids)

    def append(self, folder: str, message: bytes, flags: Flag, when: datetime | None) -> int | None:
        return self.local.append(folder, message, flags, when)

    def search(self, folder: str, query: Query) -> list[int]:
        return self.local.search(folder, query)

    def create_folder(self, name: str) -> None:
        self.local.create_folder(name)

    def rename_folder(self, old: str, new: str) -> None:
        self.local.rename_folder(old, new)

    def delete_folder(self, name: str) -> None:
        self.local.delete_folder(name)
