"""An account's folder counts: right at once after an action, then as the server says.

An object the AccountService holds (self.counts). The counts a folder list shows are the
cache's `folders` row (total, unseen), never a count of cached messages: a folder whose
messages were never fetched (Archive, Sent) has counts too, and a move must change the
destination's count although its rows are not fetched. Each action shifts the counts of
every folder it touches at once (from what the cache knows of the messages it acts on),
then asks the server for those folders' STATUS on the worker thread and records the
answer, so a count never waits for a manual refresh and never drifts from the server's.
Each change reaches the UI as a CountsChanged event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_mail.core.account.events import CountsChanged, Event
from tui_mail.core.errors import TuiMailError
from tui_mail.core.models import Flag

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from tui_mail.config import AccountConfig
    from tui_mail.core.backend import MailBackend
    from tui_mail.core.store.cache import Store

log = logging.getLogger(__name__)


class FolderCounting:
    """Shift counts optimistically; confirm them with the server's STATUS."""

    def __init__(
        self,
        account: AccountConfig,
        store: Store,
        worker: Executor,
        backend: Callable[[], MailBackend],
        is_offline: Callable[[], bool],
        emit: Callable[[Event], None],
    ) -> None:
        """`worker` is the account's one worker thread (STATUS goes there, after the work
        already queued); `backend` gives the account's backend, `is_offline` says whether
        the server was out of reach, `emit` hands an event to the service's subscriber."""
        self.account = account
        self.store = store
        self._worker = worker
        self._backend = backend
        self._is_offline = is_offline
        self._emit = emit

    def shift(self, changes: dict[str, tuple[int, int]]) -> None:
        """Apply (total, unseen) deltas per folder to the cached counts, and say so."""
        changes = {name: delta for name, delta in changes.items() if delta != (0, 0)}
        for name, (total, unseen) in changes.items():
            self.store.shift_folder_counts(name, total, unseen)
        if changes:
            self._emit(CountsChanged(self.account.name, tuple(changes)))

    def flag_change(
        self, folder: str, uids: list[int], flag: Flag, on: bool
    ) -> dict[str, tuple[int, int]]:
        """What setting `flag` on these (cached) messages does to the unread count."""
        if flag is not Flag.SEEN:
            return {}
        cached, unseen = self.store.tally(self.store.ensure_folder(folder), uids)
        return {folder: (0, -unseen if on else cached - unseen)}

    def move_change(
        self, folder: str, uids: list[int], destination: str | None
    ) -> dict[str, tuple[int, int]]:
        """What moving (destination None: deleting) these cached messages does."""
        cached, unseen = self.store.tally(self.store.ensure_folder(folder), uids)
        change = {folder: (-cached, -unseen)}
        if destination is not None:
            change[destination] = (cached, unseen)
        return change

    def confirm(self, folders: list[str]) -> None:
        """From any thread: ask the server for these folders' counts soon, on the worker
        (after the work already queued there, so the answer includes it)."""
        wanted = sorted({name for name in folders if name})
        if not wanted:
            return
        try:
            self._worker.submit(self.confirm_now, wanted)
        except RuntimeError:  # shutting down
            return

    def confirm_now(self, folders: list[str]) -> None:
        """On the worker thread: STATUS, recorded. Offline the optimistic counts stay, and
        the replay of the queue confirms them when the server is back."""
        backend = self._backend()
        if self._is_offline() or not backend.connected:
            return
        try:
            counts = backend.folder_counts(folders)
        except TuiMailError as error:
            log.info("counts of %s: %s", ", ".join(folders), error)
            return
        except Exception:  # a worker must not die of it; the next action asks again
            log.exception("counts of %s", ", ".join(folders))
            return
        if counts:
            self.store.set_folder_counts(counts)
            self._emit(CountsChanged(self.account.name, tuple(counts)))
