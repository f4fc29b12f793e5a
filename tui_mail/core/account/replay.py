"""Replaying the offline queue onto the server, and the checks that make it safe to repeat.

An action is applied to the cache at once (so the list shows it) and recorded in the queue
(core/store/pending.py); when the connection is back, the queue is replayed in order.
Replaying is safe to repeat: each action first asks the server which of its messages are
still where they were, so a flag set twice is harmless and a move that already happened is
not done again. Messages that vanished on the server meanwhile are reported, not treated
as errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tui_mail.core.backend import MailBackend
from tui_mail.core.errors import ServerError
from tui_mail.core.query import Header, Query, UidIn
from tui_mail.core.store.pending import PendingAction


def replay(
    backend: MailBackend,
    actions: Iterable[PendingAction],
    done: Callable[[PendingAction], None],
) -> list[str]:
    """Send queued actions to the server in order; `done(action)` after each one.

    Returns what could not be applied, in words for the user. A lost connection raises
    (ConnectionFailed) and leaves the rest of the queue for the next attempt.
    """
    problems: list[str] = []
    for action in actions:
        try:
            problems.extend(_replay_one(backend, action))
        except ServerError as error:  # a folder deleted meanwhile: report, do not block
            problems.append(f"{action.describe().capitalize()} in {action.folder} failed: {error}")
        done(action)
    return problems


def _replay_one(backend: MailBackend, action: PendingAction) -> list[str]:
    if action.kind == "move" and not action.uids:
        return _replay_move_by_message_id(backend, action)
    present = still_there(backend, action.folder, action.uids)
    gone = [uid for uid in action.uids if uid not in present]
    if action.kind == "move" and gone and action.message_ids:
        # A replay cut short may have moved some already: those are not lost.
        arrived = found_by_message_id(backend, action.destination, action.message_ids)
        if len(arrived) >= len(gone):
            gone = []
    if present:
        apply(backend, action, sorted(present))
    if not gone:
        return []
    return [
        f"{len(gone)} message(s) in {action.folder} no longer exist on the server, so "
        f"{action.describe()} made while offline was not applied to them."
    ]


def _replay_move_by_message_id(backend: MailBackend, action: PendingAction) -> list[str]:
    """A move of messages known only by Message-ID: the undo, made offline, of a move the
    server had done (their UIDs in `action.folder` were never seen here)."""
    found = found_by_message_id(backend, action.folder, action.message_ids)
    wanted = len({m for m in action.message_ids if m})
    missing = wanted - len(found)
    if missing > 0:
        # A replay cut short may have moved some already: those are not lost.
        arrived = found_by_message_id(backend, action.destination, action.message_ids)
        missing = max(0, wanted - len(found) - len(arrived))
    if found:
        apply(backend, action, sorted(found))
    if not missing:
        return []
    return [
        f"{missing} message(s) were no longer in {action.folder}, so {action.describe()} "
        "made while offline was not applied to them."
    ]


def message_id_of(message: bytes) -> str:
    """The Message-ID header of a raw message ("" when it has none): how an APPEND whose
    answer was lost is found on the server."""
    from email.parser import BytesHeaderParser  # noqa: PLC0415

    end = message.find(b"\r\n\r\n")
    head = message if end < 0 else message[: end + 4]
    return str(BytesHeaderParser().parsebytes(head).get("Message-ID", "")).strip()


def apply(backend: MailBackend, action: PendingAction, uids: list[int]) -> None:
    if action.kind == "flag":
        if not action.flag:
            return  # a damaged row naming no flag we know: nothing to send
        backend.store_flags(action.folder, uids, action.flag, add=action.on)
    elif action.kind == "move":
        backend.move(action.folder, uids, action.destination)
    else:
        backend.expunge(action.folder, uids)


def still_there(backend: MailBackend, folder: str, uids: Iterable[int]) -> set[int]:
    """Which of these UIDs the folder still holds."""
    wanted = sorted(set(uids))
    if not wanted:
        return set()
    found = backend.search(folder, Query.of(UidIn(tuple(wanted))))
    return set(found) & set(wanted)


def found_by_message_id(backend: MailBackend, folder: str, message_ids: Iterable[str]) -> set[int]:
    """UIDs in `folder` of the messages with these Message-IDs."""
    found: set[int] = set()
    for message_id in message_ids:
        if message_id:
            found.update(backend.search(folder, by_message_id(message_id)))
    return found


def by_message_id(message_id: str) -> Query:
    """The query finding a message by its Message-ID."""
    return Query.of(Header("Message-ID", message_id))
