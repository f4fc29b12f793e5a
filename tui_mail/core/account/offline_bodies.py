"""Bodies downloaded ahead for offline use: an IMAP account's `offline_days` setting.

(Not the offline QUEUE, which is offline.py.) Like Thunderbird's offline sync: with
offline_days = N (0, the default, is off) the bodies of the last N days' messages (by their
Date) are fetched from the server and saved in the cache, where reading, the local search
and its full-text index find them with no network. Which folders: every folder whose
headers are in the cache (the inbox, every folder opened once or synced; `tui-mail fetch
--offline` syncs them all first) except Trash and Junk, and All Mail and Flagged, whose
messages are copies of messages elsewhere. Maildir and POP3 mail is on disk already:
nothing to do there.

How it keeps out of the user's way:

- In the UI (after `start()`), a run begins START_DELAY after a sync, a watcher's change or
  a reconnect, so whoever synced reads first what they came for.
- A run is a chain of jobs on the account's worker thread, one batch each (at most
  BATCH_MESSAGES messages or BATCH_BYTES, one UID FETCH BODY.PEEK[], which leaves \\Seen
  alone). Each next batch is queued behind whatever was asked meanwhile: opening a message
  waits for one batch at most, never for the whole download.
- A message is saved as it arrives: one body in memory at a time.
- Before each batch the cache is asked what is still missing, so a run stopped part way (the
  app closed, the server gone) goes on where it was at the next start; without a connection
  a run pauses (in words only if it had shown progress), and the reconnect starts the next.
- It fetches nothing over body_cache_max_bytes, and stops once the account's cached bodies
  take offline_max_mb.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_mail.core.account.events import Event, OfflineProgress
from tui_mail.core.account.worker import log_failure
from tui_mail.core.backend import FetchesMany
from tui_mail.core.errors import ConnectionFailed, ServerError, TuiMailError
from tui_mail.core.models import FolderRole
from tui_mail.core.store.cache import UnknownFolder

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.account.link import BackendLink
    from tui_mail.core.backend import MailBackend
    from tui_mail.core.store.cache import Store

log = logging.getLogger(__name__)

BATCH_MESSAGES = 50
"""Messages asked for in one FETCH: few enough that a keypress waits little behind them."""
BATCH_BYTES = 4 * 1024 * 1024
"""...or fewer, when they are big: on a slow link a batch still takes seconds, not minutes."""
START_DELAY = 2.0
"""Seconds between what starts a run and its first batch."""
PROGRESS_INTERVAL = 5.0
"""Seconds between two progress events: a status bar line (shown for 6 s), not a counter. A
run shorter than this (the bodies of new mail) says nothing: the new mail was told."""
SKIPPED_ROLES = frozenset({FolderRole.TRASH, FolderRole.JUNK, FolderRole.ALL, FolderRole.FLAGGED})
"""Folders never downloaded ahead: thrown away, or copies of messages in other folders."""

_DAY = 86400
_PAUSED = "paused until the server answers again"
_MIB = 1024 * 1024


@dataclass(slots=True)
class _Run:
    """One run's tally, from its first batch to its end."""

    room: int
    """Bytes the cached bodies may still grow by (offline_max_mb)."""
    done: int = 0
    told: float = field(default_factory=time.monotonic)
    """When progress was last told, or the run began (time.monotonic)."""
    shown: bool = False
    """Whether the status bar says "downloading" (then it is told the end)."""
    total: int = 0
    """What there was to do: counted when progress is first told (a short run never is)."""


class OfflineBodies:
    """Download the bodies of recent messages into the cache (see the module docstring)."""

    def __init__(
        self,
        account: AccountConfig,
        store: Store,
        link: BackendLink,
        offline: Callable[[], bool],
        emit: Callable[[Event], None],
    ) -> None:
        """`link` gives the worker thread and the connection; `offline()` is True while
        the server is known to be out of reach; `emit` hands an event to the service."""
        self.account = account
        self.store = store
        self._link = link
        self._offline = offline
        self._emit = emit
        self.batch_messages = BATCH_MESSAGES
        self.start_delay = START_DELAY
        self.progress_interval = PROGRESS_INTERVAL
        self._lock = threading.Lock()
        self._automatic = False
        self._stopped = False
        self._timer: threading.Timer | None = None
        self._running = False
        self._again = False
        self._run: _Run | None = None
        self._unavailable: set[tuple[int, int]] = set()
        """(folder_id, uid) asked for and not sent (expunged meanwhile): not asked again."""
        self.last: OfflineProgress | None = None
        """How the last run went, or how far it is (told or not)."""

    @property
    def enabled(self) -> bool:
        """Whether the account asks for it (offline_days) and its mail is on a server."""
        return self.account.mail_is_remote and self.account.offline_days > 0

    # -- in the background (the UI) ----------------------------------------------------

    def start(self) -> None:
        """From now on syncs, changes and reconnects start runs (the UI; the CLI's sync
        does not download ahead, `fetch --offline` does it with `download`)."""
        self._automatic = True
        self.kick()

    def kick(self) -> None:
        """From any thread: download what is missing, START_DELAY from now. Nothing when
        off, not started, stopped, or a run is waiting or under way (which then looks once
        more before it ends: a sync may have brought new messages)."""
        if not (self.enabled and self._automatic):
            return
        with self._lock:
            if self._stopped:
                return
            if self._running or self._timer is not None:
                self._again = True
                return
            timer = self._timer = threading.Timer(self.start_delay, self._begin)
        timer.daemon = True
        timer.name = f"offline bodies {self.account.name}"  # for a thread dump (and tests)
        timer.start()

    def stop(self) -> None:
        """No more runs (the account is closing); a batch under way is the last."""
        with self._lock:
            self._stopped = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _begin(self) -> None:
        """On the timer's thread: the first batch of a run, queued on the worker."""
        with self._lock:
            self._timer = None
            if self._stopped or self._running:
                return
            self._running, self._again = True, False
        self._run = None
        self._queue_batch()

    def _queue_batch(self) -> None:
        try:
            self._link.worker.submit(self._batch_job).add_done_callback(log_failure)
        except RuntimeError:  # the worker is shut down: the account closed
            self._end()

    def _batch_job(self) -> None:
        """On the worker: one batch, then the next queued behind what waits meanwhile."""
        more = False
        try:
            if self._offline():  # known out of reach: no attempt to connect
                self._pause(_PAUSED)
            elif not self._stopped:
                # A connection the server dropped while idle is reopened once: a batch is
                # safe to repeat (it asks the cache what is missing).
                more = self._link.connected(self.fetch_batch, self.fetch_batch)
        except ConnectionFailed as error:  # resumed by the reconnect
            log.info("downloading for offline use paused: %s", error)
            self._pause(_PAUSED)
        except TuiMailError as error:  # a full disk, a damaged cache: said elsewhere
            log.info("downloading for offline use stopped: %s", error)
            self._pause("stopped")
        except BaseException:  # a bug: logged by log_failure; the next kick may try again
            self._end()
            raise
        if more:
            self._queue_batch()
            return
        with self._lock:  # one lock with kick(): a kick now is either seen here or starts anew
            again = self._again and not self._stopped and not self._offline()
            self._again = False
            self._running = again
        if again:
            self._queue_batch()
        else:
            self._run = None

    def _end(self) -> None:
        with self._lock:
            self._running = False
        self._run = None

    def _pause(self, note: str) -> None:
        run = self._run
        if run is not None:  # the status bar may say "downloading": it stopped
            self._tell(run, {}, finished=True, note=note)
        self._run = None

    # -- the work, on the worker thread ------------------------------------------------

    async def download(self) -> OfflineProgress:
        """Download everything missing now, batch by batch on the worker (the CLI's
        `fetch --offline`); progress reaches `on_event` as in the background. Returns
        how it ended."""
        self._run = self.last = None
        while await self._link.run(self.fetch_batch):
            pass
        return self.last or OfflineProgress(self.account.name, 0, 0, finished=True)

    def fetch_batch(self, backend: MailBackend) -> bool:
        """On the worker: fetch and save the next batch; False when there is no more (all
        there, or the size limit reached)."""
        run = self._run
        if run is None:
            limit = self.account.offline_max_mb * _MIB
            run = self._run = _Run(room=limit - self.store.bodies_size())
        names = self._folders()
        # The newest few: a batch comes from one folder, and other folders' rows between.
        missing = self._missing(names, 4 * self.batch_messages + len(self._unavailable))
        if not missing:
            self._tell(run, names, finished=True)
            return False
        folder_id, uids = self._next_batch(missing, run.room)
        if not uids:
            note = f"the limit of {self.account.offline_max_mb} MiB (offline_max_mb) is reached"
            self._tell(run, names, finished=True, note=note)
            return False
        saved: set[int] = set()
        try:
            for uid, raw in _fetch_many(backend, names[folder_id], uids):
                if len(raw) <= self.account.body_cache_max_bytes and uid in uids:
                    self.store.save_body(folder_id, uid, raw)
                    saved.add(uid)
                    run.done += 1
                    run.room -= len(raw)
        except ServerError as error:  # the folder went away meanwhile: the others go on
            log.info("downloading %s for offline use: %s", names[folder_id], error)
        # Expunged meanwhile, bigger than its RFC822.SIZE said, refused: not asked again.
        self._unavailable.update((folder_id, uid) for uid in uids if uid not in saved)
        self._tell(run, names)
        return True

    def _folders(self) -> dict[int, str]:
        """The cached folders downloaded ahead: id -> name."""
        names: dict[int, str] = {}
        for folder in self.store.folders():
            if folder.selectable and folder.role not in SKIPPED_ROLES:
                try:
                    names[self.store.folder_id(folder.name)] = folder.name
                except UnknownFolder:
                    continue
        return names

    def _missing(self, names: dict[int, str], limit: int) -> list[tuple[int, int, int]]:
        """(folder_id, uid, size) of their recent messages still without a body, newest
        first (the first `limit`, less those that cannot be had)."""
        found = self.store.missing_bodies(
            list(names), self._since(), self.account.body_cache_max_bytes, limit
        )
        skip = self._unavailable
        return [row for row in found if (row[0], row[1]) not in skip]

    def _since(self) -> int:
        return int(time.time()) - self.account.offline_days * _DAY

    def _next_batch(self, missing: list[tuple[int, int, int]], room: int) -> tuple[int, list[int]]:
        """(folder_id, UIDs): the newest missing message's folder, and its newest missing
        messages up to a batch (always one, unless it passes the size limit)."""
        folder_id = missing[0][0]
        uids: list[int] = []
        size = 0
        for row_folder, uid, row_size in missing:
            if row_folder != folder_id:
                continue
            if size + row_size > room or (uids and size + row_size > BATCH_BYTES):
                break
            uids.append(uid)
            size += row_size
            if len(uids) >= self.batch_messages:
                break
        return folder_id, uids

    def _tell(
        self, run: _Run, names: dict[int, str], *, finished: bool = False, note: str = ""
    ) -> None:
        """Progress, every `progress_interval` at most, and the end of a run whose progress
        was told."""
        name = self.account.name
        if finished:
            self.last = OfflineProgress(name, run.done, run.done, finished=True, note=note)
            if run.shown:
                run.shown = False  # once: a run looking again (new mail) ends again quietly
                self._emit(self.last)
            return
        now = time.monotonic()
        if now - run.told < self.progress_interval:
            return
        if not run.shown:
            since, max_bytes = self._since(), self.account.body_cache_max_bytes
            left = self.store.count_missing_bodies(list(names), since, max_bytes)
            run.total = run.done + left
        run.told, run.shown = now, True
        run.total = max(run.total, run.done)  # new mail fetched meanwhile
        self.last = OfflineProgress(name, run.done, run.total)
        self._emit(self.last)


def _fetch_many(backend: MailBackend, folder: str, uids: list[int]) -> Iterator[tuple[int, bytes]]:
    """One command for the batch where the backend can (IMAP), else one message at a time."""
    if isinstance(backend, FetchesMany):
        yield from backend.fetch_raw_many(folder, uids)
        return
    for uid in uids:
        raw = backend.fetch_raw(folder, uid)
        if raw is not None:
            yield uid, raw
