"""AccountService: the one API the UI and the CLI use for an account.

Async on the outside; inside, every IMAP call runs on the account's own worker thread, because
an imapclient connection must stay on one thread. The cache is written only through the
store. Reads that the cache can answer (the message list) are plain methods and never wait
for the network.

Push and resilience: `start_watching()` watches for new mail (service_watch.py); each change
syncs the folder and reaches the UI as an event through `on_event`, and `on_reconnected`
tells subscribers the server answers again. A command that meets a dropped connection
reconnects and is retried once (moves and appends are reconciled with the server first, so
nothing is done twice). With the server out of reach, triage is applied to the cache and
queued in the store (service_offline.py); the queue is replayed, in order, as soon as a
connection works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from tui_mail.config import AccountConfig
from tui_mail.core.account import move_undo
from tui_mail.core.account.backends import BackendFactory, PasswordSource, default_backend
from tui_mail.core.account.counts import FolderCounting
from tui_mail.core.account.events import CacheProblem, Event, FolderChanged
from tui_mail.core.account.files import cache_path, queue_path
from tui_mail.core.account.head_start import HeadStart
from tui_mail.core.account.message_index import Deliver, FolderMessages, ThreadedMessages
from tui_mail.core.account.notify import Notifier
from tui_mail.core.account.offline import OfflineQueue
from tui_mail.core.account.watching import Watching
from tui_mail.core.account.worker import DaemonWorker
from tui_mail.core.auth import credentials
from tui_mail.core.backend import MailBackend
from tui_mail.core.errors import ConnectionFailed, DiskFull, UsageError
from tui_mail.core.folders.names import namespace_prefix
from tui_mail.core.folders.roles import sort_folders
from tui_mail.core.message.headers import FLAG_NAMES
from tui_mail.core.models import Flag, Folder, FolderRole, MessageSummary, Progress, SyncResult
from tui_mail.core.query import parse_query
from tui_mail.core.store import pending
from tui_mail.core.store.cache import Store, UnknownFolder
from tui_mail.core.store.health import CacheDamaged, Rebuilt
from tui_mail.core.store.pending import PendingAction

__all__ = ["AccountService", "cache_path", "default_backend", "queue_path", "sort_folders"]

T = TypeVar("T")
log = logging.getLogger(__name__)


_DAMAGED = "The cache is damaged; it is being set aside and rebuilt from the server."


class AccountService(OfflineQueue, Watching, FolderCounting):
    """One account: its backend (on a worker thread of its own) and its cache.

    The offline queue, the watching and the folder counts live in mixins of their own
    (service_offline.py, service_watch.py, service_counts.py); this class holds the
    plumbing, folders, reading and triage.
    """

    def __init__(
        self,
        account: AccountConfig,
        data_dir: Path,
        *,
        secret: PasswordSource | None = None,
        backend_factory: BackendFactory | None = None,
    ) -> None:
        self.account = account
        self.store = Store(cache_path(data_dir, account), queue_path(data_dir, account))
        # A UI hears of damage met anywhere (a body read, a background sync), so it can
        # sync, which rebuilds the cache and refills what is on screen.
        self.store.on_damaged = lambda: self._emit(CacheProblem(account.name, _DAMAGED))
        self.store.on_rebuilt = lambda note: self._emit(CacheProblem(account.name, note.sentence()))
        self._secret = secret or self._default_secret
        # The backend's own index (maildir, POP3) lives beside this cache, never elsewhere.
        self._backend_factory = backend_factory or partial(default_backend, data_dir=data_dir)
        self._backend_made: MailBackend | None = None
        self._backend_lock = threading.Lock()
        self._executor: DaemonWorker = DaemonWorker(f"mail-{account.name}")
        self._abandoned = False
        self._head_start: HeadStart | None = None
        self.on_event: Callable[[Event], object] | None = None
        """Called with every Event, ON A WORKER OR WATCHER THREAD: a UI must hand it to its
        own thread (Textual: post_message) before touching anything on screen."""
        self.notifier = Notifier(account)
        """New-mail announcements; a UI sets `notifier.bell` to ring its terminal."""
        self.offline = False
        self._taken_rows = {}
        self._init_watching()

    @property
    def _backend(self) -> MailBackend:
        """Made on first use, normally on the worker thread: the IMAP backend imports
        imapclient (about 90 ms), which must not delay the first screen."""
        with self._backend_lock:
            if self._backend_made is None:
                self._backend_made = self._backend_factory(self.account, self._secret)
            return self._backend_made

    def _default_secret(self) -> str:
        if self.account.auth == "oauth2":
            return credentials.get_oauth2_token(self.account)
        return credentials.get_password(self.account)

    # -- plumbing ----------------------------------------------------------------------

    async def _run(
        self,
        work: Callable[[MailBackend], T],
        retry: Callable[[MailBackend], T] | None = None,
        *,
        idempotent: bool = True,
    ) -> T:
        """Run `work` on the worker thread. When an open connection turns out dead, it is
        reopened and the command tried once more: `retry` when given (a version that first
        checks what the lost attempt already did), else `work` itself unless it must not
        run twice (`idempotent=False`: CREATE, RENAME, DELETE)."""
        if retry is None and idempotent:
            retry = work
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(self._connected, work, retry))

    def _connected(
        self, work: Callable[[MailBackend], T], retry: Callable[[MailBackend], T] | None = None
    ) -> T:
        """On the worker thread: connect when needed, replay queued actions, run `work`."""
        fresh = self._ensure_connected()
        try:
            return work(self._backend)
        except ConnectionFailed:
            if fresh or retry is None:
                raise
            self._backend.close()
            self._ensure_connected()
            return retry(self._backend)

    def _ensure_connected(self) -> bool:
        """Connect if needed (True when a new connection was made); replay the queue."""
        fresh = False
        if self._abandoned:  # quitting: no new connection to a server that may stall
            raise ConnectionFailed("The account was closed.")
        if not self._backend.connected:
            try:
                self._backend.connect()
            except ConnectionFailed:
                self.offline = self.queues_offline
                raise
            fresh = True
        self.offline = False
        if self.queues_offline and self.store.pending_count():
            self._replay_pending()
        return fresh

    def begin_sync(self, folder: str) -> None:
        """Connect and sync `folder` now, before anyone asks (core/account/head_start.py): the CLI
        calls it while the UI is still being imported. A later connect() and sync(folder)
        join this work instead of queueing behind it. Only for a folder never synced: with
        rows in the cache the first screen needs no network, and work on this thread would
        only compete with the UI's start-up for the GIL."""
        if self.store.disk_full is not None:  # nothing can be stored: the UI says why
            return
        if self.store.sync_state(folder).uidvalidity is not None:
            return
        start = self._head_start = HeadStart(folder)

        def sync(backend: MailBackend) -> SyncResult:
            return backend.sync_folder(self.store, folder, start.progress)

        def run() -> None:
            try:
                try:
                    self._ensure_connected()
                finally:
                    start.connected.set()
                result = self._connected(sync, sync)
            except BaseException as error:  # handed to whoever joins
                start.result.set_exception(error)
            else:
                start.result.set_result(result)

        self._executor.submit(run)

    async def connect(self) -> None:
        start = self._head_start
        if start is not None:  # begun already: wait for the connection, not the sync
            await asyncio.to_thread(start.connected.wait)
            error = start.result.exception() if start.result.done() else None
            if error is not None:
                self._head_start = None
                raise error
            return
        await self._run(lambda _backend: None)

    async def close(self) -> None:
        if self._head_start is not None:  # never joined: let it finish (or fail) unwatched
            self._head_start.progress.release()
        await asyncio.to_thread(self.stop_watching)
        backend = self._backend_made  # never made: nothing to close, nothing to import
        if backend is not None:
            with contextlib.suppress(RuntimeError):  # the loop may already be closing
                await asyncio.get_running_loop().run_in_executor(self._executor, backend.close)
        self._executor.shutdown(wait=True)
        self.store.close()

    # -- folders -----------------------------------------------------------------------

    async def refresh_folders(self) -> list[Folder]:
        """Ask the server for the folder list and counts; the cache keeps a copy."""
        folders = await self._run(lambda b: b.list_folders())
        self.store.replace_folders(folders)
        return sort_folders(folders)

    def cached_folders(self) -> list[Folder]:
        return sort_folders(self.store.folders())

    def read_cache(self, read: Callable[[], T], empty: T) -> T:
        """`read()` for a screen; damage met reads as `empty` (the store fired on_damaged: a
        UI syncs on that CacheProblem, which rebuilds and refills). The CLI reads the store
        directly: there damage ends the command with its sentence."""
        with contextlib.suppress(CacheDamaged):
            return read()
        return empty

    def screen_folders(self) -> list[Folder]:
        """cached_folders() for a screen: none when damage is met (see read_cache)."""
        return self.read_cache(self.cached_folders, list[Folder]())

    async def personal_prefix(self) -> str:
        """The server's personal namespace prefix ("INBOX." on Courier); "" if none."""
        return await self._run(namespace_prefix)

    async def create_folder(self, name: str) -> None:
        await self._run(lambda b: b.create_folder(name), idempotent=False)
        await self.refresh_folders()

    async def rename_folder(self, old: str, new: str) -> None:
        await self._run(lambda b: b.rename_folder(old, new), idempotent=False)
        self.store.rename_folder(old, new)

    async def delete_folder(self, name: str) -> None:
        await self._run(lambda b: b.delete_folder(name), idempotent=False)
        self.store.forget_folder(name)

    # -- sync and reading --------------------------------------------------------------

    async def sync(self, folder: str, progress: Progress | None = None) -> SyncResult:
        start = self._head_start
        try:
            if start is not None and start.folder == folder:
                self._head_start = None
                start.progress.attach(progress)
                result = await asyncio.wrap_future(start.result)
            else:
                result = await self._run(lambda b: b.sync_folder(self.store, folder, progress))
        except CacheDamaged:
            # The store sets the damaged file aside at its next access (store.rebuilt says
            # so): this pass starts the folder anew from the server.
            result = await self._run(lambda b: b.sync_folder(self.store, folder, progress))
        self._confirm_counts([folder])
        return result

    def messages(
        self,
        folder: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        unread_only: bool = False,
    ) -> list[MessageSummary]:
        """Cached summaries, newest first. Never touches the network."""
        try:
            folder_id = self.store.folder_id(folder)
        except UnknownFolder:
            return []
        return self.store.summaries(folder_id, limit=limit, offset=offset, unread_only=unread_only)

    def summary(self, folder: str, uid: int) -> MessageSummary | None:
        try:
            return self.store.summary(self.store.folder_id(folder), uid)
        except UnknownFolder:
            return None

    async def fetch_raw(self, folder: str, uid: int, *, mark_seen: bool = False) -> bytes:
        """The message source: from the cache when there, else from the server (then cached;
        local mail is read from its file each time, never copied)."""
        folder_id = self.store.ensure_folder(folder)
        # A damaged body page: the server's copy (the cache is rebuilt meanwhile).
        raw = self.read_cache(lambda: self.store.body(folder_id, uid), None)
        if raw is None:
            raw = await self._run(lambda b: b.fetch_raw(folder, uid))
            if raw is None:
                raise UsageError(f"There is no message with UID {uid} in {folder!r}.")
            if (
                self.account.type == "imap"  # Maildir and POP3 mail is a local file already
                and len(raw) <= self.account.body_cache_max_bytes
                and self.store.summary(folder_id, uid) is not None
            ):
                self.store.save_body(folder_id, uid, raw)
        if mark_seen:
            await self.set_flag(folder, [uid], Flag.SEEN, on=True)
        return raw

    async def search(self, folder: str, query: str) -> list[MessageSummary]:
        """Server-side search; results come from the cache (sync first to see new ones)."""
        uids = await self.search_uids(folder, query)
        if not uids:
            return []
        folder_id = self.store.ensure_folder(folder)
        return self.store.summaries(folder_id, uids=uids)

    async def search_uids(self, folder: str, query: str) -> list[int]:
        criteria = parse_query(query)
        return await self._run(lambda b: b.search(folder, criteria))

    async def find_by_message_id(self, folder: str, message_ids: list[str]) -> list[int]:
        """UIDs in `folder` of messages with these Message-IDs (to undo a move)."""

        def find(backend: MailBackend) -> list[int]:
            found: set[int] = set()
            for message_id in message_ids:
                if message_id:
                    found.update(backend.search(folder, ["HEADER", "Message-ID", message_id]))
            return sorted(found)

        return await self._run(find)

    # -- triage ------------------------------------------------------------------------

    async def set_flag(self, folder: str, uids: list[int], flag: Flag, *, on: bool) -> None:
        names = [FLAG_NAMES[flag]]

        def store_flags(backend: MailBackend) -> None:
            backend.store_flags(folder, uids, names, add=on)

        action = PendingAction("flag", folder, tuple(uids), flag=names[0], on=on)
        await self._run_or_queue(action, store_flags, store_flags)
        counts = self._flag_count_change(folder, uids, flag, on)
        self.store.set_flag_bits(self.store.ensure_folder(folder), uids, flag, on)
        self._shift_counts(counts)
        self._confirm_counts([folder])

    async def move(self, folder: str, uids: list[int], destination: str) -> None:
        if destination == folder:
            return
        folder_id = self.store.ensure_folder(folder)
        moving = self.store.summaries(folder_id, uids=uids)
        message_ids = tuple(m.message_id for m in moving)

        missing: list[int] = []

        def move_remaining(backend: MailBackend) -> None:
            # Only what `folder` holds: a UID that is not there (a typo, or moved away
            # meanwhile) must not pass for moved. A lost attempt may have moved some too.
            remaining = pending.still_there(backend, folder, uids)
            missing[:] = sorted(set(uids) - remaining)
            if remaining:
                backend.move(folder, sorted(remaining), destination)

        action = PendingAction(
            "move", folder, tuple(uids), destination=destination, message_ids=message_ids
        )

        def move_now(backend: MailBackend) -> None:
            if self.account.type == "imap":
                move_remaining(backend)
            else:  # local mail: the backend knows its files, and has no UID search
                backend.move(folder, uids, destination)

        queued = await self._run_or_queue(action, move_now, move_remaining)
        if queued is not None:
            self._taken_rows[queued] = self._take_rows(folder_id, moving)
        counts = self._move_count_change(folder, uids, destination)
        self.store.delete_uids(folder_id, uids)
        self._shift_counts(counts)
        self._confirm_counts([folder, destination])
        if missing:
            moved = len(set(uids)) - len(missing)
            raise UsageError(
                f"No message with UID {', '.join(map(str, missing))} in {folder}"
                + (f"; the other {moved} were moved to {destination}." if moved else ".")
            )

    async def undo_move(
        self,
        source: str,
        uids: list[int],
        destination: str,
        message_ids: list[str],
        summaries: list[MessageSummary] | None = None,
    ) -> int:
        """Move back to `source` what `move(source, uids, destination)` moved; returns how
        many messages go back. How it is found again: core/account/move_undo.py."""
        return await move_undo.undo_move(self, source, uids, destination, message_ids, summaries)

    async def delete(self, folder: str, uids: list[int]) -> str | None:
        """Move to Trash; in Trash itself (or with no Trash), delete for good.

        Returns the Trash folder's name, or None when the messages were removed for good.
        """
        trash = await self.role_folder(FolderRole.TRASH)
        if trash is not None and trash != folder:
            await self.move(folder, uids, trash)
            return trash
        await self.expunge(folder, uids)
        return None

    async def expunge(self, folder: str, uids: list[int]) -> None:
        """Delete these messages for good, wherever they are (replaced drafts, Trash)."""

        def expunge_remaining(backend: MailBackend) -> None:
            remaining = pending.still_there(backend, folder, uids)
            if remaining:
                backend.expunge(folder, sorted(remaining))

        action = PendingAction("expunge", folder, tuple(uids))
        await self._run_or_queue(action, lambda b: b.expunge(folder, uids), expunge_remaining)
        counts = self._move_count_change(folder, uids, None)
        gone = self.store.delete_uids(self.store.ensure_folder(folder), uids)
        self._shift_counts(counts)
        self._confirm_counts([folder])
        if gone:  # a list showing the folder must drop the rows (a sent draft), not blank them
            self._emit(FolderChanged(self.account.name, folder, SyncResult(folder, vanished=gone)))

    async def archive(self, folder: str, uids: list[int]) -> str:
        archive = await self.role_folder(FolderRole.ARCHIVE)
        if archive is None:
            raise UsageError(
                f"Account {self.account.name!r} has no Archive folder. Create one (it is "
                "found by its special-use flag or the name Archive)."
            )
        await self.move(folder, uids, archive)
        return archive

    async def role_folder(self, role: FolderRole) -> str | None:
        for folder in self.cached_folders():
            if folder.role is role:
                return folder.name
        for folder in await self.refresh_folders():
            if folder.role is role:
                return folder.name
        return None

    async def append(
        self,
        folder: str,
        message: bytes,
        flags: tuple[Flag, ...] = (),
        when: datetime | None = None,
    ) -> int | None:
        names = [FLAG_NAMES[flag] for flag in flags]
        message_id = pending.message_id_of(message)

        def append_unless_there(backend: MailBackend) -> int | None:
            # The lost APPEND may have been stored: look for it before sending it again.
            if message_id:
                found = backend.search(folder, ["HEADER", "Message-ID", message_id])
                if found:
                    return max(found)
            return backend.append(folder, message, names, when)

        uid = await self._run(
            lambda b: b.append(folder, message, names, when),
            append_unless_there if message_id else None,
            idempotent=False,
        )
        self._shift_counts({folder: (1, 0 if Flag.SEEN in flags else 1)})
        self._confirm_counts([folder])
        self._schedule_sync(folder)  # into the cache when the folder is kept there (Sent)
        return uid

    async def check_connection(self) -> None:
        """Connect (or NOOP an open connection) to prove the settings work."""

        def check(backend: MailBackend) -> None:
            try:
                backend.check()
            except ConnectionFailed:
                backend.connect()

        await self._run(check)

    # -- events ------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        callback = self.on_event
        if callback is None:
            return
        try:
            callback(event)
        except Exception:  # the UI's problem must not stop a sync or a watcher
            log.exception("on_event callback failed")

    # -- what a UI or the CLI may know of the cache: they ask here, never the store ------

    @property
    def cache_rebuilt(self) -> Rebuilt | None:
        """Set once a damaged cache was set aside (at open or since): what to tell."""
        return self.store.rebuilt

    @property
    def cache_read_only(self) -> DiskFull | None:
        """Set when the cache was opened read only because its disk is full."""
        return self.store.disk_full

    def ever_synced(self, folder: str) -> bool:
        """Whether `folder` was synced into the cache before (else listing it needs one)."""
        return self.store.sync_state(folder).uidvalidity is not None

    def pending_messages(self) -> list[tuple[str, int]]:
        """(folder, uid) of each message whose change still waits for the server."""
        return [(a.folder, uid) for a in self.store.pending_actions() for uid in a.uids]

    def recent_correspondents(self) -> list[tuple[str, str, str, str]]:
        """(from_name, from_addr, to, cc) of the newest cached messages, for address
        completion; none when damage is met (see read_cache). Blocking: off the UI loop."""
        return self.read_cache(self.store.recent_correspondents, [])

    def cached_unseen(self, folder: str) -> int:
        """The cache's unread count of `folder`; LookupError when it is not cached."""
        return self.store.counts(self.store.folder_id(folder))[1]

    def search_cache(self, folder: str, words: list[str]) -> list[int] | None:
        """UIDs in `folder` whose subject or sender hold every word, from the cache at once;
        None when the folder is not cached (damage reads as no match, see read_cache)."""
        try:
            folder_id = self.read_cache(lambda: self.store.folder_id(folder), None)
        except LookupError:
            return None
        if folder_id is None:
            return None
        return self.read_cache(lambda: self.store.search_cached(folder_id, words), list[int]())

    def folder_messages(
        self,
        folder: str,
        *,
        only_uids: Sequence[int] | None = None,
        threaded: bool = False,
        deliver: Deliver | None = None,
    ) -> FolderMessages:
        """A list's view of `folder` read from the cache a page at a time: newest first, or
        as conversations (`threaded`; a large folder is threaded on a background thread and
        handed over through `deliver`); only `only_uids` when given (search results)."""
        name = self.account.name
        if threaded:
            return ThreadedMessages(name, self.store, folder, deliver=deliver)
        return FolderMessages(name, self.store, folder, only_uids=only_uids)
