"""Every command the `:` line knows: one per key binding (same id, so `:archive` is `a`),
plus those that take arguments no key can give (`:move FOLDER`, `:sort -r from`).

What a command does is not here (ui/main/commands.py); this table is what Tab, `?` and
the error sentences read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from textual.binding import Binding, BindingType

Completes = Literal[
    "none", "folder", "any-folder", "address", "path", "query", "sort", "theme", "compose",
    "saved-search",
]  # fmt: skip
"""What Tab offers for a command's arguments."""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command: its id (what is typed, and the key binding's id), what it does in a
    few words, and what its arguments are."""

    id: str
    summary: str
    usage: str = ""
    """The arguments as help shows them, e.g. "[-r] KEY"; empty: none taken."""
    completes: Completes = "none"
    aliases: tuple[str, ...] = ()
    needs_args: bool = False

    @property
    def takes_args(self) -> bool:
        return bool(self.usage)

    @property
    def synopsis(self) -> str:
        return f":{self.id} {self.usage}".rstrip()


ARGUMENTS: tuple[CommandSpec, ...] = (
    # Key bindings that also take an argument, and commands that only the line has.
    CommandSpec("move", "Move to FOLDER (no folder: pick one)", "[FOLDER]", "folder",
                aliases=("mv",)),
    CommandSpec("search", "Search this folder (the search language, see ?)", "[QUERY]",
                "query"),
    CommandSpec("compose", "Write a new message", "[--to ADDR] [--cc ADDR] [--subject TEXT]",
                "compose"),
    CommandSpec("theme", "Switch to theme NAME (no name: the next one)", "[NAME]", "theme"),
    CommandSpec("refresh", "Sync this folder now", aliases=("sync",)),
    CommandSpec("quit", "Leave tui-mail", aliases=("q", "exit")),
    CommandSpec("cd", "Show FOLDER (another account's as ACCOUNT:FOLDER)", "FOLDER",
                "any-folder", aliases=("folder", "go"), needs_args=True),
    CommandSpec("read", "Mark read (the marked messages, or this one)"),
    CommandSpec("unread", "Mark unread"),
    CommandSpec("flag", "Flag"),
    CommandSpec("unflag", "Remove the flag"),
    CommandSpec("sort", "Sort the list by KEY (-r: reversed; no key: pick one)", "[-r] [KEY]",
                "sort"),
    CommandSpec("limit", "Show only messages matching QUERY (no query: all again)",
                "[QUERY]", "query"),
    CommandSpec("mark_all", "Mark every message shown (a limited view: those matching)"),
    CommandSpec("pipe", "Pipe the message (marked ones: one mbox, oldest first) into "
                "COMMAND and show its output; -s as shown, -t gives it the terminal",
                "[-m] [-s] [-t] COMMAND [ARG...]", "path", needs_args=True),
    CommandSpec("save", "Save the message as .eml (marked ones: one mbox) to PATH (default: "
                "the download directory), -f overwrites; -a: its attachments into DIR",
                "[-f] [-m] [PATH] | -a [DIR]", "path"),
    CommandSpec("reply_list", "Reply to the mailing list (List-Post)"),
    CommandSpec("unsubscribe", "Leave the mailing list (List-Unsubscribe), after asking"),
    CommandSpec("unlock", "Ask for the passphrase of the key an encrypted message needs "
                "(on the terminal, by gpg's pinentry), then open it again"),
    CommandSpec("save_search", "Keep the search on screen (or QUERY) as a folder in the tree, "
                "across every account or those given", "[--query QUERY] [--account NAME] NAME",
                "query", needs_args=True),
    CommandSpec("forget_search", "Remove the saved search NAME from the tree and the config",
                "NAME", "saved-search", needs_args=True),
)  # fmt: skip
"""Commands beyond the key bindings', and binding ids whose command takes arguments."""


def build(bindings: Iterable[BindingType], extra: Sequence[CommandSpec] = ()) -> Commands:
    """The commands of a screen with `bindings`: each binding with an id becomes the
    command of that id (its tooltip the summary), then ARGUMENTS and `extra` add or
    replace."""
    table: dict[str, CommandSpec] = {}
    for binding in bindings:
        if isinstance(binding, Binding) and binding.id:
            table[binding.id] = CommandSpec(binding.id, binding.tooltip or binding.description)
    for spec in (*ARGUMENTS, *extra):
        known = table.get(spec.id)
        table[spec.id] = replace(spec, summary=spec.summary or (known and known.summary) or "")
    return Commands(table)


def _key(name: str) -> str:
    # `:reply-all` and `:reply_all` are one command; ids are written with underscores.
    return name.casefold().replace("-", "_")


class Commands:
    """The table, looked up by id or alias, with or without dashes for underscores."""

    def __init__(self, table: dict[str, CommandSpec]) -> None:
        self.table = table
        self._names: dict[str, CommandSpec] = {}
        for spec in table.values():
            for name in (spec.id, *spec.aliases):
                self._names[_key(name)] = spec

    def find(self, name: str) -> CommandSpec | None:
        return self._names.get(_key(name))

    def names(self) -> list[str]:
        """Every id and alias, as typed (sorted)."""
        return sorted({n for s in self.table.values() for n in (s.id, *s.aliases)})

    def specs(self) -> list[CommandSpec]:
        return sorted(self.table.values(), key=lambda s: s.id)
