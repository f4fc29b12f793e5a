"""How a message list is sorted: a key and a direction, and the words people type for them.

Each key has the natural direction people want on top (the newest mail, A before Z, the
biggest message, unread or flagged mail first); "reversed" turns the whole list upside
down. `parse_sort` reads what aerc and neomutt users type (`from`, `-r from`,
`reverse-date`, `date-received`) and says in a sentence what would work when it cannot.
Pure and Textual-free: the store orders by it, the UI and the CLI parse with it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tui_mail.core.errors import UsageError


class SortKey(enum.StrEnum):
    """What a list is ordered by (ties: newest first)."""

    DATE = "date"
    ARRIVAL = "arrival"
    FROM = "from"
    TO = "to"
    SUBJECT = "subject"
    SIZE = "size"
    UNREAD = "unread"
    FLAGGED = "flagged"


NATURAL: dict[SortKey, str] = {
    SortKey.DATE: "newest first (the Date header)",
    SortKey.ARRIVAL: "last arrived first (the server's order)",
    SortKey.FROM: "sender, A to Z",
    SortKey.TO: "first recipient, A to Z",
    SortKey.SUBJECT: "subject, A to Z, ignoring Re: and Fwd:",
    SortKey.SIZE: "largest first",
    SortKey.UNREAD: "unread first, then newest",
    SortKey.FLAGGED: "flagged first, then newest",
}
"""Each key's natural order, in words (the picker and the help show them)."""

_ALIASES: dict[str, SortKey] = {
    **{key.value: key for key in SortKey},
    "date-sent": SortKey.DATE,
    "sent": SortKey.DATE,
    "received": SortKey.ARRIVAL,
    "date-received": SortKey.ARRIVAL,
    "unsorted": SortKey.ARRIVAL,
    "uid": SortKey.ARRIVAL,
    "sender": SortKey.FROM,
    "author": SortKey.FROM,
    "recipient": SortKey.TO,
    "read": SortKey.UNREAD,
    "new": SortKey.UNREAD,
    "flag": SortKey.FLAGGED,
    "starred": SortKey.FLAGGED,
}
"""Words accepted for a key: ours, aerc's (`read`) and neomutt's (`date-received`)."""

REVERSE_WORDS = frozenset({"-r", "--reverse", "reverse", "reversed"})
"""Words that turn an order over (each one flips it)."""


@dataclass(frozen=True, slots=True)
class SortSpec:
    """A list's order: `key` in its natural direction, or `reverse`d."""

    key: SortKey = SortKey.DATE
    reverse: bool = False

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_SORT

    @property
    def natural(self) -> SortSpec:
        """The same key, not reversed."""
        return SortSpec(self.key)

    def describe(self) -> str:
        """'from' or 'from, reversed': for the status bar."""
        return f"{self.key.value}, reversed" if self.reverse else self.key.value

    def __str__(self) -> str:
        """What `parse_sort` reads back: 'from' or '-r from'."""
        return f"-r {self.key.value}" if self.reverse else self.key.value


DEFAULT_SORT = SortSpec()


def valid_keys() -> str:
    return ", ".join(key.value for key in SortKey)


def sort_words() -> list[str]:
    """What `:sort` completes: "-r" and the keys, in the picker's order."""
    return ["-r", *(key.value for key in SortKey)]


def parse_sort(args: list[str]) -> SortSpec:
    """`[]` -> the default (date); `["from"]`, `["-r", "from"]`, `["reverse-from"]`,
    `["from", "--reverse"]`. Raises UsageError naming the valid keys."""
    reverse = False
    keys: list[SortKey] = []
    for arg in args:
        word = arg.strip().lower()
        if not word:
            continue
        if word in REVERSE_WORDS:
            reverse = not reverse
            continue
        for prefix in ("reverse-", "reverse_", "rev-"):
            if word.startswith(prefix) and word[len(prefix) :] in _ALIASES:
                reverse, word = not reverse, word[len(prefix) :]
                break
        key = _ALIASES.get(word)
        if key is None:
            what = "option" if word.startswith("-") else "sort key"
            raise UsageError(
                f"Unknown {what} {arg!r}: sort by one of {valid_keys()}; "
                "-r (or reverse-KEY) reverses it."
            )
        keys.append(key)
    if len(keys) > 1:
        named = " and ".join(key.value for key in keys)
        raise UsageError(
            f"Sort by one key at a time, not {named}: one of {valid_keys()}, with -r to reverse."
        )
    return SortSpec(keys[0] if keys else SortKey.DATE, reverse)
