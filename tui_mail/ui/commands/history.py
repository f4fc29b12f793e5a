"""The `:` lines run before, kept between runs in the data directory (private: a line may
name a folder or an address), newest last, bounded."""

from __future__ import annotations

import os
from pathlib import Path

from tui_mail.config.private import private_dir, private_file

KEEP = 500
"""Lines kept; older ones are dropped as new ones come."""


class History:
    """Lines in the order run; `previous`/`next` walk them, optionally only those that
    start with what is typed (as zsh's up-line-or-search)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = self._load()
        self._at = len(self.lines)
        self._prefix = ""

    def _load(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:  # none yet, or unreadable: start empty rather than fail
            return []
        return [line for line in text.splitlines() if line.strip()][-KEEP:]

    def add(self, line: str) -> None:
        """Remember `line` (once: an earlier copy moves to the end) and save."""
        line = line.strip()
        if not line or "\n" in line:
            return
        if line in self.lines:
            self.lines.remove(line)
        self.lines.append(line)
        del self.lines[:-KEEP]
        self.restart()
        self._save()

    def restart(self, prefix: str = "") -> None:
        """Walk from the newest line again, among those starting with `prefix`."""
        self._at = len(self.lines)
        self._prefix = prefix

    def previous(self) -> str | None:
        for index in range(self._at - 1, -1, -1):
            if self.lines[index].startswith(self._prefix):
                self._at = index
                return self.lines[index]
        return None

    def next(self) -> str:
        """The next newer line, or what was typed when there is none."""
        for index in range(self._at + 1, len(self.lines)):
            if self.lines[index].startswith(self._prefix):
                self._at = index
                return self.lines[index]
        self._at = len(self.lines)
        return self._prefix

    def _save(self) -> None:
        try:
            private_dir(self.path.parent)
            temporary = private_file(self.path.with_suffix(".tmp"))
            temporary.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            # History is a convenience: a full or read-only disk must not stop a command.
            pass
