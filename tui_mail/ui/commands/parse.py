"""A typed line -> the command and its arguments, or one sentence saying what would work."""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass

from tui_mail.core.errors import UsageError
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.ui.commands.registry import Commands, CommandSpec


@dataclass(frozen=True, slots=True)
class Invocation:
    """One command as typed: `args` split as a shell would, `rest` the text after the
    name as typed (a query or a shell command keeps its own quoting)."""

    spec: CommandSpec
    args: list[str]
    rest: str


def parse(line: str, commands: Commands) -> Invocation:
    """Raises UsageError naming what would work."""
    text = line.strip().removeprefix(":").lstrip()
    if not text:
        raise UsageError("Type a command after ':' (Tab lists them; ? shows every one).")
    name, _, rest = text.partition(" ")
    spec = commands.find(name)
    if spec is None:
        raise UsageError(_unknown(name, commands))
    rest = rest.strip()
    try:
        args = shlex.split(rest)
    except ValueError as error:  # an open quote
        raise UsageError(f":{spec.id}: cannot read {sanitize_line(rest)!r} ({error}).") from None
    if args and not spec.takes_args:
        raise UsageError(f":{spec.id} takes no arguments ({spec.summary.rstrip('.')}).")
    if not args and spec.needs_args:
        raise UsageError(f":{spec.id} needs {spec.usage}: {spec.synopsis}.")
    return Invocation(spec, args, rest)


def _unknown(name: str, commands: Commands) -> str:
    shown = sanitize_line(name)
    close = difflib.get_close_matches(name.casefold(), commands.names(), n=3, cutoff=0.6)
    if close:
        return f"No command :{shown}; did you mean {', '.join(':' + c for c in close)}?"
    return f"No command :{shown}. Tab after ':' lists the commands; ? shows them all."
