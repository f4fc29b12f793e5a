"""An account's offline queue: triage done while the server is out of reach.

An object the AccountService holds (self.queue). With the server out of reach an action is
applied to the cache and recorded in the queue (core/store/pending.py); the queue is replayed
(core/account/replay.py), in order, on the worker thread as soon as a connection works
again. A move still in the queue can be taken back without the server: the queued action is
dropped and the rows it removed return to the cache. A move the server did before the
connection was lost is taken back by queueing the way back (found by Message-ID when
replayed), its rows shown again in the meantime.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_mail.core.account import replay
from tui_mail.core.account.events import Event, PendingChanged
from tui_mail.core.errors import ConnectionFailed
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.store.cache import UnknownFolder
from tui_mail.core.store.pending import PendingAction

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from tui_mail.config import AccountConfig
    from tui_mail.core.account.counts import FolderCounting
    from tui_mail.core.backend import MailBackend
    from tui_mail.core.models import MessageSummary
    from tui_mail.core.store.cache import Store

Work = Callable[["MailBackend"], None]


@dataclass(frozen=True, slots=True)
class _TakenRow:
    """A cached row (and body) a queued move removed: what undo puts back."""

    row: SummaryRow
    body: bytes | None


class OfflineQueue:
    """Queue triage while offline, replay it on reconnect, take back a queued move."""

    def __init__(
        self,
        account: AccountConfig,
        store: Store,
        worker: Executor,
        run: Callable[[Work, Work], Awaitable[None]],
        backend: Callable[[], MailBackend],
        emit: Callable[[Event], None],
        counts: FolderCounting,
        schedule_sync: Callable[[str], None],
        expect_quietly: Callable[[Iterable[str]], None],
    ) -> None:
        """`worker` is the account's one worker thread (a replay runs there); `run(work,
        retry)` runs work on it, connected; `backend` gives the account's backend; `emit`
        hands an event to the service's subscriber; `schedule_sync` syncs a folder soon;
        `expect_quietly` tells the watching which arrivals are moves of our own."""
        self.account = account
        self.store = store
        self._worker = worker
        self._run = run
        self._backend = backend
        self._emit = emit
        self._counts = counts
        self._schedule_sync = schedule_sync
        self._expect_quietly = expect_quietly
        self.offline = False
        """True after the server could not be reached: triage is queued, not attempted."""
        self._taken_rows: dict[int, list[_TakenRow]] = {}
        """Pending action id -> the rows its move removed from the cache (this session only)."""

    @property
    def queues_offline(self) -> bool:
        """Only a remote mailbox can be out of reach; a local one's errors are real."""
        return self.account.mail_is_remote

    def unreachable(self) -> None:
        """The server could not be reached: triage is queued from now on (a remote one)."""
        self.offline = self.queues_offline

    def reached(self) -> None:
        """On the worker thread, connected: triage goes to the server again, after the
        queue (replayed now, before the command that connected runs)."""
        self.offline = False
        if self.queues_offline and self.store.queue.count():
            self.replay()

    def pending_count(self) -> int:
        """How many actions wait for the server (shown as pending)."""
        return self.store.queue.count()

    async def run_or_queue(
        self,
        action: PendingAction,
        work: Callable[[MailBackend], None],
        retry: Callable[[MailBackend], None],
    ) -> int | None:
        """Do `work` on the server; with the server out of reach, queue `action` instead
        and return its queue id (the caller then applies it to the cache either way)."""
        if self.queues_offline and self.offline:
            return self._queue(action)
        try:
            await self._run(work, retry)
        except ConnectionFailed:
            if not self.queues_offline:
                raise
            self.offline = True
            return self._queue(action)
        return None

    def _queue(self, action: PendingAction) -> int:
        action_id = self.store.queue.add(action)
        self._emit(PendingChanged(self.account.name, self.store.queue.count()))
        return action_id

    def keep_rows(self, action_id: int, folder_id: int, summaries: list[MessageSummary]) -> None:
        """Copy rows about to leave the cache (a queued move), so undo can put them back."""
        self._taken_rows[action_id] = [
            _TakenRow(_summary_row(summary), self.store.body(folder_id, summary.uid))
            for summary in summaries
        ]

    def replay(self) -> None:
        """On the worker thread, connected: send the queue; then sync what it touched."""
        actions = self.store.queue.actions()
        # What the replayed moves bring to Trash or Archive is no news to announce.
        self._expect_quietly(
            message_id for a in actions if a.kind == "move" for message_id in a.message_ids
        )
        problems = replay.replay(self._backend(), actions, self._replayed)
        self._emit(PendingChanged(self.account.name, self.store.queue.count(), tuple(problems)))
        touched = {a.folder for a in actions} | {a.destination for a in actions if a.destination}
        # The counts shifted offline were a guess: the server's STATUS replaces them.
        self._counts.confirm(sorted(touched))
        for folder in sorted(touched):
            self._schedule_sync(folder)

    def _replayed(self, action: PendingAction) -> None:
        if action.kind == "move" and not action.uids:
            self._drop_shown_back(action.destination, action.message_ids)
        self.store.queue.remove(action.id)
        self._taken_rows.pop(action.id, None)

    def queue_move_back(
        self, source: str, destination: str, summaries: list[MessageSummary]
    ) -> int:
        """Offline: take back a move from `source` to `destination` that the server did.
        The way back is queued by Message-ID (the UIDs in `destination` are unknown here)
        and the rows return to `source` in the cache at once. Returns how many go back."""
        known = [s for s in summaries if s.message_id]
        if not known:
            return 0
        self._queue(
            PendingAction(
                "move",
                destination,
                (),
                destination=source,
                message_ids=tuple(s.message_id for s in known),
            )
        )
        self.store.add_summaries(self.store.ensure_folder(source), map(_summary_row, known))
        return len(known)

    def _drop_shown_back(self, folder: str, message_ids: tuple[str, ...]) -> None:
        """After the way back was replayed: the rows shown back offline carry the UIDs the
        messages had before they left, which the server will not report as vanished; drop
        them, and the sync that follows brings the messages with their new UIDs."""
        try:
            folder_id = self.store.folder_id(folder)
        except UnknownFolder:
            return
        wanted = set(message_ids)
        self.store.delete_uids(
            folder_id, [row[0] for row in self.store.thread_fields(folder_id) if row[2] in wanted]
        )

    async def cancel_queued_move(self, folder: str, uids: list[int], destination: str) -> bool:
        """Take back a move of `uids` from `folder` that still waits in the queue: drop it
        and put the rows back in the cache. False when no such move is queued (it was
        replayed meanwhile, or never queued): then undo must ask the server."""
        loop = asyncio.get_running_loop()
        # On the worker thread: a replay runs there too, so the two cannot interleave.
        return await loop.run_in_executor(
            self._worker, self._cancel_queued_move, folder, tuple(uids), destination
        )

    def _cancel_queued_move(self, folder: str, uids: tuple[int, ...], destination: str) -> bool:
        for action in reversed(self.store.queue.actions()):
            if (action.kind, action.folder, action.destination) == (
                "move",
                folder,
                destination,
            ) and (sorted(action.uids) == sorted(uids)):
                break
        else:
            return False
        self.store.queue.remove(action.id)
        taken = self._taken_rows.pop(action.id, [])
        if taken:
            folder_id = self.store.ensure_folder(folder)
            self.store.add_summaries(folder_id, [t.row for t in taken])
            for t in taken:
                if t.body is not None:
                    self.store.save_body(folder_id, t.row.uid, t.body)
            back, unseen = self.store.tally(folder_id, [t.row.uid for t in taken])
            self._counts.shift({folder: (back, unseen), destination: (-back, -unseen)})
        self._emit(PendingChanged(self.account.name, self.store.queue.count()))
        return True


def _summary_row(summary: MessageSummary) -> SummaryRow:
    return SummaryRow(
        summary.uid,
        summary.date,
        summary.from_name,
        summary.from_addr,
        summary.to,
        summary.cc,
        summary.subject,
        summary.message_id,
        summary.in_reply_to,
        summary.references,
        summary.size,
        int(summary.flags),
        " ".join(summary.keywords),
        int(summary.has_attachment),
        0,  # modseq: unknown here; the next sync of the folder brings the server's
    )
