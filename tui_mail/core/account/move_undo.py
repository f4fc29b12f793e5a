"""Taking back a move: dropped from the offline queue, else found again by Message-ID."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Protocol

from tui_mail.core.errors import ConnectionFailed

if TYPE_CHECKING:
    from tui_mail.core.account.offline import OfflineQueue
    from tui_mail.core.models import MessageSummary, Progress, SyncResult


class Mover(Protocol):
    """What taking back a move asks of an account (AccountService is one)."""

    queue: OfflineQueue
    offline: bool

    @property
    def queues_offline(self) -> bool: ...

    async def find_by_message_id(self, folder: str, message_ids: list[str]) -> list[int]: ...

    async def move(self, folder: str, uids: list[int], destination: str) -> None: ...

    async def sync(self, folder: str, progress: Progress | None = None) -> SyncResult: ...


async def undo_move(
    service: Mover,
    source: str,
    uids: list[int],
    destination: str,
    message_ids: list[str],
    summaries: list[MessageSummary] | None = None,
) -> int:
    """Move back to `source` what `service.move(source, uids, destination)` moved; returns
    how many messages go back.

    A move still waiting in the offline queue is simply dropped from it (no server
    needed); one the server has done is found in `destination` by Message-ID, and
    with the server out of reach that is queued (given the moved `summaries`, which
    are shown in `source` again at once).
    """
    if await service.queue.cancel_queued_move(source, uids, destination):
        return len(uids)
    if summaries is not None and service.queues_offline and service.offline:
        return service.queue.queue_move_back(source, destination, summaries)
    try:
        found = await service.find_by_message_id(destination, message_ids)
    except ConnectionFailed:
        if summaries is None or not service.queues_offline:
            raise
        service.offline = True
        return service.queue.queue_move_back(source, destination, summaries)
    await service.move(destination, found, source)
    with contextlib.suppress(ConnectionFailed):  # the move back is queued: it is done
        await service.sync(source)
    return len(found)
