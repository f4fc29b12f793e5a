"""Completion for the compose screen: addresses (the cache's and the address book's, from
AccountService.addresses), and file paths.

Both are Textual `Suggester`s: the Input shows the rest of the best match dimmed, and
right arrow (or End, or Tab in an address field) takes it. An address field holds a
comma-separated list, so only the part after the last comma is completed; what was typed
before it stays as it is, and a taken suggestion is written as the address book has it
("zoe" + Tab gives "Zoë Adams <zoe@example.org>", never "zoe Adams <...>").
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from email.headerregistry import Address
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.suggester import Suggester
from textual.widgets import Input

from tui_mail.core.message.address_ranking import correspondents, rank


def known_addresses(rows: Iterable[tuple[str, str, str, str]], own: set[str]) -> list[str]:
    """ "Name <address>" for everyone in (from_name, from_addr, to, cc) rows, most frequent
    first, one entry per address, the user's own (`own`, casefolded) left out: the cache
    alone. AccountService.addresses(typed) adds the address book and ranks by `typed`."""
    return [address_line(*pair) for pair in rank("", correspondents(rows, own), limit=None)]


def address_line(name: str, address: str) -> str:
    """ "Name <address>" as typed in a To field (names kept readable: "Zoë", not an encoded
    word), the bare address without a name or when the stdlib cannot format it."""
    if not name:
        return address
    try:
        return str(Address(name, addr_spec=address))
    except (ValueError, IndexError):
        return address


class AddressSuggester(Suggester):
    """Completes the address being typed (after the last comma) from what `lookup` answers
    for it (best first), else from the fixed list `addresses`.

    A typed prefix matches the start of the shown form ("Ada Lovelace <ada@...>") or of
    the bare address, case-insensitively; the suggestion is that form as the address book
    spells it (the Input shows only its part past what was typed, so the typed letters
    stay on screen until the suggestion is taken).
    """

    def __init__(
        self,
        addresses: list[str] | None = None,
        lookup: Callable[[str], Awaitable[list[str]]] | None = None,
    ) -> None:
        # Case matters in what the Input shows: match case-insensitively ourselves.
        super().__init__(use_cache=False, case_sensitive=True)
        self.addresses = addresses or []
        self.lookup = lookup

    async def get_suggestion(self, value: str) -> str | None:
        head, comma, typed = value.rpartition(",")
        lead = len(typed) - len(typed.lstrip())
        typed = typed.lstrip()
        if len(typed) < 1:
            return None
        wanted = typed.casefold()
        taken = {part.strip().casefold() for part in head.split(",")} if comma else set()
        candidates = self.addresses if self.lookup is None else await self.lookup(typed)
        for candidate in candidates:
            if candidate.casefold() in taken:
                continue
            completed = _complete(candidate, wanted)
            if completed is not None:
                return f"{head}{comma}{' ' * lead if comma else ''}{completed}"
        return None


def _complete(candidate: str, wanted: str) -> str | None:
    """`candidate` when `wanted` starts its shown form, its bare address when `wanted`
    starts that, else None."""
    if candidate.casefold().startswith(wanted):
        return candidate
    address = candidate.rpartition("<")[2].rstrip(">")
    if address.casefold().startswith(wanted):
        return address
    return None


class AddressInput(Input):
    """An address field: Tab takes the shown suggestion (as the address book spells it)
    and stays, so another address can follow; with nothing to take, Tab moves on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete_or_next", "Complete", show=False, id="address.complete",
                tooltip="Take the suggested address, or go to the next field"),
    ]  # fmt: skip

    def action_complete_or_next(self) -> None:
        # `_suggestion` is the Input's own record of what it shows dimmed; right arrow
        # takes it the same way (Input.action_cursor_right).
        if self.cursor_at_end and len(self._suggestion) > len(self.value):
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()


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
