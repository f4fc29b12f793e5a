"""The record of one offline triage action: what the user did while the server was out of
reach. Kept in the queue file (core/store/pending_queue.py) until it is replayed onto the
server (core/account/replay.py); this module knows neither the file nor the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tui_mail.core.models import Flag

ActionKind = Literal["flag", "move", "expunge"]

# How a flag is named in the sentences about an action: the names tui-mail has always
# shown there (the IMAP ones), so what the user reads did not change with the queue format.
_SHOWN = {
    Flag.SEEN: "\\Seen",
    Flag.ANSWERED: "\\Answered",
    Flag.FLAGGED: "\\Flagged",
    Flag.DELETED: "\\Deleted",
    Flag.DRAFT: "\\Draft",
    Flag.FORWARDED: "$Forwarded",
}


@dataclass(frozen=True, slots=True)
class PendingAction:
    """One queued change. `id` is the queue position (0 before it is stored)."""

    kind: ActionKind
    folder: str
    uids: tuple[int, ...]
    flag: Flag = Flag.NONE
    """The flag(s) a "flag" action sets or clears."""
    on: bool = True
    """Add (True) or remove the flag."""
    destination: str = ""
    """Target folder of a "move"."""
    message_ids: tuple[str, ...] = ()
    """Message-IDs of the moved messages: how a move that already happened is recognised."""
    id: int = 0

    def describe(self) -> str:
        if self.kind == "flag":
            names = " ".join(_SHOWN[flag] for flag in self.flag)
            return f"{'setting' if self.on else 'clearing'} {names}"
        if self.kind == "move":
            return f"the move to {self.destination}"
        return "the deletion"
