"""Completion for the compose screen: addresses already in the cache, and file paths.

Both are Textual `Suggester`s: the Input shows the rest of the best match dimmed, and
right arrow (or End) takes it. An address field holds a comma-separated list, so only the
part after the last comma is completed; what was typed before it stays as it is.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterable
from email.utils import formataddr, getaddresses
from pathlib import Path

from textual.suggester import Suggester


def known_addresses(rows: Iterable[tuple[str, str, str, str]], own: set[str]) -> list[str]:
    """ "Name <address>" for everyone in (from_name, from_addr, to, cc) rows, most frequent
    first, one entry per address (the first name seen wins), the user's own left out."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for from_name, from_addr, to, cc in rows:
        pairs = [(from_name, from_addr)]
        with contextlib.suppress(ValueError, IndexError):  # a list the stdlib cannot split
            pairs += getaddresses([to, cc])
        for raw_name, raw_addr in pairs:
            addr, name = raw_addr.strip(), " ".join(raw_name.split())
            key = addr.casefold()
            if "@" not in addr or key in own or any(c in addr for c in "<>, \r\n\t"):
                continue
            counts[key] += 1
            if key not in shown:
                shown[key] = formataddr((name, addr)) if name else addr
    return [shown[key] for key, _count in counts.most_common()]


class AddressSuggester(Suggester):
    """Completes the address being typed (after the last comma) from `addresses`.

    A typed prefix matches the start of the shown form ("Ada Lovelace <ada@...>") or of
    the bare address; the suggestion keeps what was typed and appends the rest.
    """

    def __init__(self, addresses: list[str] | None = None) -> None:
        # Case matters in what the Input shows: match case-insensitively ourselves.
        super().__init__(use_cache=False, case_sensitive=True)
        self.addresses = addresses or []

    async def get_suggestion(self, value: str) -> str | None:
        head, comma, typed = value.rpartition(",")
        lead = len(typed) - len(typed.lstrip())
        typed = typed.lstrip()
        if len(typed) < 1:
            return None
        wanted = typed.casefold()
        taken = {part.strip().casefold() for part in head.split(",")} if comma else set()
        for candidate in self.addresses:
            if candidate.casefold() in taken:
                continue
            completed = _complete(candidate, typed, wanted)
            if completed is not None:
                return f"{head}{comma}{' ' * lead if comma else ''}{completed}"
        return None


def _complete(candidate: str, typed: str, wanted: str) -> str | None:
    """The rest of `candidate` after `typed`, when it starts the shown form or the bare
    address (the suggestion must begin with exactly what is in the field)."""
    if candidate.casefold().startswith(wanted):
        return typed + candidate[len(typed) :]
    address = candidate.rpartition("<")[2].rstrip(">")
    if address.casefold().startswith(wanted):
        return typed + address[len(typed) :]
    return None


class PathSuggester(Suggester):
    """Completes a file path one directory entry at a time (like a shell's Tab)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        expanded = Path(os.path.expanduser(value))
        directory, prefix = (expanded, "") if value.endswith("/") else (
            expanded.parent, expanded.name
        )  # fmt: skip
        try:
            names = sorted(
                entry.name + ("/" if entry.is_dir() else "")
                for entry in os.scandir(directory)
                if entry.name.startswith(prefix) and (prefix or not entry.name.startswith("."))
            )
        except OSError:
            return None
        if not names:
            return None
        return value + names[0][len(prefix) :]
