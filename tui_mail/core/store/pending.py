"""The offline triage queue: what the user did while the server was out of reach.

An action is applied to the cache at once (so the list shows it) and written here; when
the connection is back, the queue is replayed in order. Replaying is safe to repeat: each
action first asks the server which of its messages are still where they were, so a flag
set twice is harmless and a move that already happened is not done again. Messages that
vanished on the server meanwhile are reported, not treated as errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tui_mail.core import seqset
from tui_mail.core.errors import ServerError

if TYPE_CHECKING:
    from tui_mail.core.backend import MailBackend

ActionKind = Literal["flag", "move", "expunge"]


@dataclass(frozen=True, slots=True)
class PendingAction:
    """One queued change. `id` is the queue position (0 before it is stored)."""

    kind: ActionKind
    folder: str
    uids: tuple[int, ...]
    flag: str = ""
    """IMAP flag name for "flag" (\\Seen, \\Flagged ...)."""
    on: bool = True
    """Add (True) or remove the flag."""
    destination: str = ""
    """Target folder of a "move"."""
    message_ids: tuple[str, ...] = ()
    """Message-IDs of the moved messages: how a move that already happened is recognised."""
    id: int = 0

    def describe(self) -> str:
        if self.kind == "flag":
            return f"{'setting' if self.on else 'clearing'} {self.flag}"
        if self.kind == "move":
            return f"the move to {self.destination}"
        return "the deletion"


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
        arrived = _found_by_message_id(backend, action.destination, action.message_ids)
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
    found = _found_by_message_id(backend, action.folder, action.message_ids)
    wanted = len({m for m in action.message_ids if m})
    missing = wanted - len(found)
    if missing > 0:
        # A replay cut short may have moved some already: those are not lost.
        arrived = _found_by_message_id(backend, action.destination, action.message_ids)
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
        backend.store_flags(action.folder, uids, [action.flag], add=action.on)
    elif action.kind == "move":
        backend.move(action.folder, uids, action.destination)
    else:
        backend.expunge(action.folder, uids)


def still_there(backend: MailBackend, folder: str, uids: Iterable[int]) -> set[int]:
    """Which of these UIDs the folder still holds."""
    wanted = sorted(set(uids))
    if not wanted:
        return set()
    found = backend.search(folder, ["UID", seqset.compact(wanted)])
    return set(found) & set(wanted)


def _found_by_message_id(backend: MailBackend, folder: str, message_ids: Iterable[str]) -> set[int]:
    found: set[int] = set()
    for message_id in message_ids:
        if message_id:
            found.update(backend.search(folder, ["HEADER", "Message-ID", message_id]))
    return found
