"""AccountService: the one API the UI and the CLI use for an account.

Async on the outside; inside, every backend call runs on the account's own worker thread
(link.py), because a protocol connection (imapclient's, poplib's) must stay on one thread.
The cache is written only through the store. Reads that the cache can answer never wait for
the network: plain methods here for the CLI, and `cache` (cache_view.py) for a screen.

Push and resilience: `start_watching()` watches for new mail (watching.py); each change
syncs the folder and reaches the UI as an event through `on_event`, and `on_reconnected`
tells subscribers the server answers again. A command that meets a dropped connection
reconnects and is retried once (moves and appends are reconciled with the server first, so
nothing is done twice). With the server out of reach, triage is applied to the cache and
recorded in the offline queue (offline.py, its record in a file of its own); the queue is
replayed, in order, as soon as a connection works again. The link, those two and the
folder counts (counts.py) are objects of their own, held here and given only what they use
(the store, the worker, an emit callable, the backend accessor); this class wires them and
keeps the API the UI and the CLI call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import operator
from collections.abc import Callable
from datetime import datetime
from functools import partial, reduce
from pathlib import Path
from typing import TypeVar

from tui_mail.config import AccountConfig
from tui_mail.core.account import move_undo, replay
from tui_mail.core.account.address_book import AddressBook, AddressLookup
from tui_mail.core.account.backends import BackendFactory, default_backend
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.account.counts import FolderCounting
from tui_mail.core.account.events import CacheProblem, Event, FolderChanged
from tui_mail.core.account.files import cache_path, queue_path
from tui_mail.core.account.link import BackendLink
from tui_mail.core.account.notify import Notifier
from tui_mail.core.account.offline import OfflineQueue
from tui_mail.core.account.offline_bodies import OfflineBodies
from tui_mail.core.account.watching import Watching
from tui_mail.core.account.worker import log_failure
from tui_mail.core.auth.secrets import SecretSource, secret_source
from tui_mail.core.backend import MailBackend
from tui_mail.core.errors import UsageError
from tui_mail.core.folders.names import namespace_prefix
from tui_mail.core.folders.roles import sort_folders
from tui_mail.core.models import Flag, Folder, FolderRole, MessageSummary, Progress, SyncResult
from tui_mail.core.query import parse_query
from tui_mail.core.sort import DEFAULT_SORT, SortSpec
from tui_mail.core.store.cache import Store, UnknownFolder
from tui_mail.core.store.health import CacheDamaged
from tui_mail.core.store.pending import PendingAction

__all__ = ["AccountService", "cache_path", "default_backend", "queue_path", "sort_folders"]

T = TypeVar("T")
log = logging.getLogger(__name__)


_DAMAGED = "The cache is damaged; it is being set aside and rebuilt from the server."


class AccountService:
    """One account: its backend (on a worker thread of its own) and its cache.

    The link to the backend on its worker thread, the offline queue, the watching and the
    folder counts are objects of their own (self.link, self.queue, self.watching,
    self.counts); this class wires them, holds folders, reading and triage, and passes on
    the calls meant for them.
    """

    def __init__(
        self,
        account: AccountConfig,
        data_dir: Path,
        *,
        secret: SecretSource | None = None,
        backend_factory: BackendFactory | None = None,
    ) -> None:
        self.account = account
        self.store = Store(cache_path(data_dir, account), queue_path(data_dir, account))
        # A UI hears of damage met anywhere (a body read, a background sync), so it can
        # sync, which rebuilds the cache and refills what is on screen.
        self.store.on_damaged = lambda: self._emit(CacheProblem(account.name, _DAMAGED))
        self.store.on_rebuilt = lambda note: self._emit(CacheProblem(account.name, note.sentence()))
        self.cache = CacheView(account.name, self.store)
        """What a screen reads from the cache (never the store itself)."""
        self.address_book = AddressBook(account, self.cache.recent_correspondents)
        self._secret = secret or secret_source(account)
        # The backend's own index (maildir, POP3) lives beside this cache, never elsewhere.
        factory = backend_factory or partial(default_backend, data_dir=data_dir)
        self.link = BackendLink(
            account, self._secret, factory,
            # The queue is made below: these look it up when called.
            unreachable=lambda: self.queue.unreachable(),  # noqa: PLW0108
            reached=lambda: self.queue.reached(),  # noqa: PLW0108
        )  # fmt: skip
        self.on_event: Callable[[Event], object] | None = None
        """Called with every Event, ON A WORKER OR WATCHER THREAD: a UI must hand it to its
        own thread (Textual: post_message) before touching anything on screen."""
        self.notifier = Notifier(account)
        """New-mail announcements; a UI sets `notifier.bell` to ring its terminal."""
        backend = lambda: self.link.backend  # noqa: E731  (made on first use)
        self.counts = FolderCounting(
            account, self.store, self.link.worker, backend, lambda: self.queue.offline,
            self._emit,
        )  # fmt: skip
        self.watching = Watching(
            account, self.store, self.notifier, self.link.worker, self._secret, backend,
            self.link.connected, self._emit, self.counts.confirm_now, self._server_answers,
        )  # fmt: skip
        self.queue = OfflineQueue(
            account, self.store, self.link.worker, self.link.run, backend, self._emit,
            self.counts, self.watching.schedule_sync, self.watching.expect_quietly,
        )  # fmt: skip
        self.offline_bodies = OfflineBodies(
            account, self.store, self.link, lambda: self.queue.offline, self._emit
        )
        self.watching.on_reconnected.append(self.offline_bodies.kick)

    async def addresses(self, typed: str) -> AddressLookup:
        """Completion for an address being typed: the cache's people and the account's
        address_book_command, ranked (address_book.py). On a thread of its own, not the
        backend's worker: a slow book must not hold up mail, nor mail the typing."""
        return await asyncio.to_thread(self.address_book.lookup, typed)

    # -- the queue, the watching (their own objects; these keep the service's API) ---------

    @property
    def offline(self) -> bool:
        """True after the server could not be reached: triage is queued, not attempted."""
        return self.queue.offline

    @offline.setter
    def offline(self, value: bool) -> None:
        self.queue.offline = value

    @property
    def queues_offline(self) -> bool:
        return self.queue.queues_offline

    def pending_count(self) -> int:
        return self.queue.pending_count()

    @property
    def connection_state(self) -> str:
        return self.watching.connection_state

    @property
    def on_reconnected(self) -> list[Callable[[], object]]:
        """Watching.on_reconnected: subscribers append to this list."""
        return self.watching.on_reconnected

    def start_watching(self) -> None:
        self.watching.start()
        self.offline_bodies.start()  # downloading ahead in the background: for the UI

    def stop_watching(self) -> None:
        self.watching.stop()

    def reconnect_now(self) -> None:
        self.watching.reconnect_now()

    def abandon(self) -> None:
        """Close at once, whatever the server is doing (quitting the UI): shut every
        socket, stop the watchers without waiting for them, drop queued work. No LOGOUT:
        on a stalled connection it would wait for the deadline. Returns in well under a
        second; the worker, a daemon thread, ends (or dies with the process) on its own."""
        self.offline_bodies.stop()  # no batch after this one, no run waiting to begin
        self.link.abandon()
        self.watching.interrupt()
        if self.link.interrupt():  # otherwise the store stays open till the process ends
            self.store.close()

    def _server_answers(self, answers: bool) -> None:
        """On a watcher thread: the INBOX watcher's word on whether the server answers."""
        if not answers:
            self.queue.unreachable()
            return
        was_offline, self.offline = self.offline, False
        if was_offline or self.store.queue.count():
            # The server is back: a command connection replays the queue.
            with contextlib.suppress(RuntimeError):  # shutting down
                self.link.worker.submit(self.link.connected, lambda _b: None).add_done_callback(
                    log_failure
                )

    # -- plumbing (the link does the work) --------------------------------------------

    async def _run(
        self,
        work: Callable[[MailBackend], T],
        retry: Callable[[MailBackend], T] | None = None,
        *,
        idempotent: bool = True,
    ) -> T:
        """On the worker thread, connected, retried once (BackendLink.run)."""
        return await self.link.run(work, retry, idempotent=idempotent)

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
        self.link.begin(folder, lambda b, progress: b.sync_folder(self.store, folder, progress))

    async def connect(self) -> None:
        await self.link.connect()

    async def close(self) -> None:
        self.offline_bodies.stop()
        self.link.let_go()
        await asyncio.to_thread(self.stop_watching)
        await self.link.close()
        self.store.close()

    # -- folders -----------------------------------------------------------------------

    async def refresh_folders(self) -> list[Folder]:
        """Ask the server for the folder list and counts; the cache keeps a copy."""
        folders = await self._run(lambda b: b.list_folders())
        self.store.replace_folders(folders)
        return sort_folders(folders)

    def cached_folders(self) -> list[Folder]:
        return sort_folders(self.store.folders())

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
        start = self.link.take_head_start(folder)
        try:
            if start is not None:
                start.progress.attach(progress)
                result = await asyncio.wrap_future(start.result)
            else:
                result = await self._run(lambda b: b.sync_folder(self.store, folder, progress))
        except CacheDamaged:
            # The store sets the damaged file aside at its next access (store.rebuilt says
            # so): this pass starts the folder anew from the server.
            result = await self._run(lambda b: b.sync_folder(self.store, folder, progress))
        self.counts.confirm([folder])
        self.offline_bodies.kick()
        return result

    def messages(
        self,
        folder: str,
        *,
        limit: int | None = None,
        offset: int = 0,
        unread_only: bool = False,
        sort: SortSpec = DEFAULT_SORT,
    ) -> list[MessageSummary]:
        """Cached summaries, newest first or in `sort`'s order. Never touches the network."""
        try:
            folder_id = self.store.folder_id(folder)
        except UnknownFolder:
            return []
        if sort.is_default:
            return self.store.summaries(
                folder_id, limit=limit, offset=offset, unread_only=unread_only
            )
        uids = self.store.ordered_uids(folder_id, unread_only=unread_only, sort=sort)
        wanted = uids[offset : None if limit is None else offset + limit]
        found = {m.uid: m for m in self.store.summaries(folder_id, uids=wanted)}
        return [found[uid] for uid in wanted if uid in found]

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
        raw = self.cache.read(lambda: self.store.body(folder_id, uid), None)
        if raw is None:
            raw = await self._run(lambda b: b.fetch_raw(folder, uid))
            if raw is None:
                raise UsageError(f"There is no message with UID {uid} in {folder!r}.")
            if (
                self.account.mail_is_remote  # local mail is a file already
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
        parsed = parse_query(query)
        return await self._run(lambda b: b.search(folder, parsed))

    async def find_by_message_id(self, folder: str, message_ids: list[str]) -> list[int]:
        """UIDs in `folder` of messages with these Message-IDs (to undo a move)."""
        return sorted(await self._run(lambda b: replay.found_by_message_id(b, folder, message_ids)))

    # -- triage ------------------------------------------------------------------------

    async def set_flag(self, folder: str, uids: list[int], flag: Flag, *, on: bool) -> None:
        def store_flags(backend: MailBackend) -> None:
            backend.store_flags(folder, uids, flag, add=on)

        action = PendingAction("flag", folder, tuple(uids), flag=flag, on=on)
        await self.queue.run_or_queue(action, store_flags, store_flags)
        counts = self.counts.flag_change(folder, uids, flag, on)
        self.store.set_flag_bits(self.store.ensure_folder(folder), uids, flag, on)
        self.counts.shift(counts)
        self.counts.confirm([folder])

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
            remaining = replay.still_there(backend, folder, uids)
            missing[:] = sorted(set(uids) - remaining)
            if remaining:
                backend.move(folder, sorted(remaining), destination)

        action = PendingAction(
            "move", folder, tuple(uids), destination=destination, message_ids=message_ids
        )

        def move_now(backend: MailBackend) -> None:
            if self.account.mail_is_remote:
                move_remaining(backend)
            else:  # local mail: the backend knows its files and skips UIDs it has not
                backend.move(folder, uids, destination)

        queued = await self.queue.run_or_queue(action, move_now, move_remaining)
        if queued is not None:
            self.queue.keep_rows(queued, folder_id, moving)
        counts = self.counts.move_change(folder, uids, destination)
        self.store.delete_uids(folder_id, uids)
        self.counts.shift(counts)
        self.counts.confirm([folder, destination])
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
            remaining = replay.still_there(backend, folder, uids)
            if remaining:
                backend.expunge(folder, sorted(remaining))

        action = PendingAction("expunge", folder, tuple(uids))
        await self.queue.run_or_queue(action, lambda b: b.expunge(folder, uids), expunge_remaining)
        counts = self.counts.move_change(folder, uids, None)
        gone = self.store.delete_uids(self.store.ensure_folder(folder), uids)
        self.counts.shift(counts)
        self.counts.confirm([folder])
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
        mask = reduce(operator.or_, flags, Flag.NONE)
        message_id = replay.message_id_of(message)

        def append_unless_there(backend: MailBackend) -> int | None:
            # The lost APPEND may have been stored: look for it before sending it again.
            if message_id:
                found = backend.search(folder, replay.by_message_id(message_id))
                if found:
                    return max(found)
            return backend.append(folder, message, mask, when)

        uid = await self._run(
            lambda b: b.append(folder, message, mask, when),
            append_unless_there if message_id else None,
            idempotent=False,
        )
        self.counts.shift({folder: (1, 0 if Flag.SEEN in flags else 1)})
        self.counts.confirm([folder])
        self.watching.schedule_sync(folder)  # into the cache when the folder is kept there (Sent)
        return uid

    # -- events ------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if isinstance(event, FolderChanged):  # a watcher's sync: new mail to download ahead
            self.offline_bodies.kick()
        callback = self.on_event
        if callback is None:
            return
        try:
            callback(event)
        except Exception:  # the UI's problem must not stop a sync or a watcher
            log.exception("on_event callback failed")
