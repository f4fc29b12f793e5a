"""The main screen's undo stack: triage actions, newest on top, across folders.

Each entry knows how to take its action back and says, in words, exactly what it did; an
entry whose undo fails (the server out of reach) goes back on the stack for another try.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

UNDO_DEPTH = 50
"""Actions remembered for undo (the oldest are forgotten first)."""


@dataclass(frozen=True)
class Undo:
    """How to take back one action."""

    description: str
    """What the action did ("3 messages moved to Archive")."""
    undo: Callable[[], Awaitable[str]]
    """Takes it back; returns what that did, for the status bar. An undo that fails part
    way must be safe to call again for the part left."""


class UndoStack:
    """At most `depth` entries; the newest is undone first."""

    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        self._entries: deque[Undo] = deque(maxlen=depth)

    def __len__(self) -> int:
        return len(self._entries)

    def push(self, entry: Undo) -> None:
        self._entries.append(entry)

    def pop(self) -> Undo | None:
        return self._entries.pop() if self._entries else None


def count(number: int) -> str:
    """'1 message', '3 messages'."""
    return f"{number} message" + ("" if number == 1 else "s")
