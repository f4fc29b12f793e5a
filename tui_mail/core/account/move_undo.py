"""Taking back a move: dropped from the offline queue, else found again by Message-ID."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from tui_mail.core.errors import ConnectionFailed

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.models import MessageSummary


async def undo_move(
    service: AccountService,
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
