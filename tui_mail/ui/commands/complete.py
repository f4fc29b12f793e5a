"""What Tab offers on the `:` line: command names, then per command folders (of this
account, or ACCOUNT:FOLDER of any), addresses, file paths, sort keys, theme names, saved
searches' names or the search language's words. Pure: what it reads comes through
`Sources`."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import Protocol

from tui_mail.ui.commands.registry import Commands, CommandSpec
from tui_mail.ui.widgets.path_input import complete_path

MAX_CANDIDATES = 200
"""Enough to pick from; a directory of 100,000 files is not listed whole."""

QUERY_KEYS = ("from:", "to:", "cc:", "subject:", "body:", "since:", "before:", "is:")
QUERY_STATES = ("unread", "read", "flagged", "answered")
COMPOSE_OPTIONS = ("--to", "--cc", "--bcc", "--from", "--subject")
ADDRESS_OPTIONS = ("--to", "--cc", "--bcc")
PIPE_OPTIONS = ("-s", "-t", "-m")


class Sources(Protocol):
    """Where candidates come from (the screen's services and app)."""

    def folders(self) -> list[str]:
        """Folder names of the account on screen."""
        ...

    def other_folders(self) -> list[str]:
        """ACCOUNT:FOLDER of the other accounts."""
        ...

    def addresses(self, typed: str) -> list[str]:
        """Addresses (best first) for `typed`; empty until `look_up` has been awaited when
        they must be looked up (an address book command), which `wanted` then says."""
        ...

    @property
    def wanted(self) -> bool: ...

    async def look_up(self) -> str | None:
        """Look up what `addresses` was asked and did not have; a problem as a sentence."""
        ...

    def forget(self) -> None:
        """Answers looked up so far are stale (the line opens again)."""
        ...

    def identities(self) -> list[str]:
        """The addresses the account on screen sends from."""
        ...

    def themes(self) -> list[str]: ...

    def sort_keys(self) -> list[str]: ...

    def saved_searches(self) -> list[str]:
        """The names of the saved searches in the tree."""
        ...


@dataclass(frozen=True, slots=True)
class Completion:
    """Replace `line[start:]` with one of `candidates` (each ends in a space when it is a
    whole word; a directory ends in "/", a search key in ":")."""

    start: int
    candidates: list[str]


def complete(line: str, commands: Commands, sources: Sources) -> Completion:
    start, words = _words(line)
    typed = line[start:]
    if len(words) == 1:
        names = [n for n in commands.names() if n.startswith(typed.lstrip(":"))]
        lead = len(typed) - len(typed.lstrip(":"))
        return Completion(start + lead, [n + " " for n in names])
    spec = commands.find(words[0])
    if spec is None:
        return Completion(start, [])
    previous = words[-2] if len(words) >= 2 else ""
    candidates = _for(spec, typed, previous, words[1:-1], sources)
    return Completion(start, candidates[:MAX_CANDIDATES])


def _for(
    spec: CommandSpec, typed: str, previous: str, before: list[str], sources: Sources
) -> list[str]:
    kind = spec.completes
    word = _unquote(typed)
    if kind == "folder":
        return _words_out(_match(word, sources.folders()))
    if kind == "any-folder":
        return _words_out(_match(word, [*sources.folders(), *sources.other_folders()]))
    if kind == "theme":
        return _words_out(_match(word, sources.themes()))
    if kind == "sort":
        return _words_out(_match(word, ["-r", *sources.sort_keys()]))
    if kind == "address":
        return _words_out(sources.addresses(word))
    if kind == "compose":
        if previous in ADDRESS_OPTIONS:
            return _words_out(sources.addresses(word))
        if previous == "--from":
            return _words_out(_match(word, sources.identities()))
        return _words_out(_match(word, list(COMPOSE_OPTIONS))) if word.startswith("-") else []
    if kind == "query":
        return _query(word, sources)
    if kind == "saved-search":
        return _saved_search(word, before, sources.saved_searches())
    if kind == "path":
        if spec.id == "pipe" and word.startswith("-"):
            return _words_out(_match(word, list(PIPE_OPTIONS)))
        if spec.id == "pipe" and all(w.startswith("-") for w in before) and "/" not in word:
            return _words_out(_match(word, executables()))
        return path_words(word)
    return []


def _query(word: str, sources: Sources) -> list[str]:
    key, sep, value = word.partition(":")
    if not sep:
        return [k for k in QUERY_KEYS if k.startswith(word.lower())]
    if key.lower() in ("from", "to", "cc"):
        return _words_out(sources.addresses(value), prefix=f"{key}:")
    if key.lower() == "is":
        return _words_out(_match(value, list(QUERY_STATES)), prefix="is:")
    return []


def _saved_search(word: str, before: list[str], names: list[str]) -> list[str]:
    """A saved search's name is the whole rest of the line, spaces and all (as
    :save-search takes it): with words typed before this one, the names they start offer
    the words still missing, as plain words (those typed were)."""
    if not before:
        return _words_out(_match(word, names))
    typed = " ".join([*before, word]).casefold()
    done = len(" ".join(before)) + 1
    return [name[done:] + " " for name in names if name.casefold().startswith(typed)]


def path_words(typed: str) -> list[str]:
    """The paths `typed` completes to (ui/widgets/path_input.py: `~` kept as typed, hidden
    entries only when asked for, directories ending in "/"), as words of the line: quoted
    when they hold a space, a file followed by one."""
    return [_quote(path) + ("" if path.endswith("/") else " ") for path in complete_path(typed)]


_EXECUTABLES: list[str] = []


def executables() -> list[str]:
    """Command names on PATH (read once: PATH does not change under a running app)."""
    if not _EXECUTABLES:
        names: set[str] = set()
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            try:
                with os.scandir(folder or ".") as entries:
                    names.update(e.name for e in entries if os.access(e.path, os.X_OK))
            except OSError:
                continue
        _EXECUTABLES.extend(sorted(names))
    return _EXECUTABLES


def _match(word: str, choices: list[str]) -> list[str]:
    """Case-insensitive prefix matches first, then names with a part (after "/", "." or
    ":") or any substring matching: `J` finds Junk, `pyth` Lists/python-dev."""
    folded = word.casefold()
    prefix = [c for c in choices if c.casefold().startswith(folded)]
    if prefix or not folded:
        return prefix
    return [c for c in choices if folded in c.casefold()]


def _words_out(words: list[str], prefix: str = "") -> list[str]:
    return [_quote(prefix + w) + " " for w in dict.fromkeys(words)]


def _quote(word: str) -> str:
    # A folder "My Mail" must stay one argument; anything else stays as typed (shlex.quote
    # would also quote "~", which the command then could not expand).
    return shlex.quote(word) if any(c.isspace() or c in "'\"\\" for c in word) else word


def _unquote(word: str) -> str:
    try:
        parts = shlex.split(word)
    except ValueError:  # an open quote: what is inside it so far
        parts = [word.lstrip("'\"")]
    return parts[0] if parts else ""


def _words(line: str) -> tuple[int, list[str]]:
    """Where the last (unfinished) word starts, and every word, the last possibly empty."""
    words: list[str] = []
    start, quote, current = 0, "", ""
    in_word = False
    for index, char in enumerate(line):
        if quote:
            current += char
            if char == quote:
                quote = ""
        elif char.isspace():
            if in_word:
                words.append(current)
                current, in_word = "", False
        else:
            if not in_word:
                start, in_word = index, True
            if char in "'\"":
                quote = char
            current += char
    if in_word:
        words.append(current)
    else:
        start = len(line)
        words.append("")
    return start, [_unquote(w) if w else w for w in words]
