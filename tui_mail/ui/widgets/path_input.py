"""Typing a file path: `complete_path` (a pure function, for any completer: the `:` command
line's too) and `PathInput`, an Input whose Tab completes a path as a shell does.

Completion works on what the user typed: `~` is expanded to look, but the candidates keep
the text as typed (`~/Doc` -> `~/Documents/`), directories end in `/`, and hidden entries
are offered only when the typed name starts with a dot.
"""

from __future__ import annotations

import os
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

MAX_CANDIDATES = 200
"""A directory of thousands of files is not read to the end for a prompt."""


def complete_path(text: str) -> list[str]:
    """The paths that `text` can be completed to, sorted: each is `text` plus the rest of
    one entry's name, with `/` after a directory. Unreadable or missing directories give
    no candidates (a prompt must not fail on them)."""
    head, _, name = text.rpartition("/")
    directory = (head or "/") if "/" in text else "."
    try:
        with os.scandir(os.path.expanduser(directory)) as entries:
            found: list[str] = []
            for entry in entries:
                if not entry.name.startswith(name) or (
                    entry.name.startswith(".") and not name.startswith(".")
                ):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                prefix = f"{head}/" if "/" in text else ""
                found.append(prefix + entry.name + ("/" if is_dir else ""))
                if len(found) >= MAX_CANDIDATES:
                    break
    except OSError:
        return []
    return sorted(found)


def common_completion(text: str, candidates: list[str]) -> str:
    """What Tab puts in the field: the one candidate, else the longest prefix they share
    (never shorter than `text`)."""
    if not candidates:
        return text
    shared = os.path.commonprefix(candidates)  # noqa: RUF071 (names are completed by character)
    return shared if len(shared) > len(text) else text


class PathInput(Input):
    """An Input for a path: Tab completes it (candidates, when several, are posted)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", show=False, id="path.complete",
                tooltip="Complete the file or directory name"),
    ]  # fmt: skip

    class Candidates(Message):
        """Tab found several paths (or none): the prompt may list them."""

        def __init__(self, candidates: list[str]) -> None:
            self.candidates = candidates
            super().__init__()

    def action_complete(self) -> None:
        candidates = complete_path(self.value)
        completed = common_completion(self.value, candidates)
        if completed != self.value:
            self.value = completed
            self.cursor_position = len(completed)
        if len(candidates) != 1:
            self.post_message(self.Candidates(candidates))
