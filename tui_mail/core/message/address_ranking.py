"""Addresses for completion: the people in the cache, the user's address book command's
answer, merged into one ranked list. Pure functions; running the command is
`tui_mail.core.account.address_book`.

The command follows the convention of mutt's query_command, which khard (`khard email
--parsable %s`) and abook (`abook --mutt-query %s`) implement: `%s` is replaced by what was
typed (shell-quoted), or it is appended; the answer is one `address<TAB>name[<TAB>more]`
line per match. abook prints a header line first, and other tools blank or comment lines:
any line whose first field is not an address is skipped.

Everything from outside (the command's output, names in the cache) is sanitised: no
escape sequences or control characters reach the screen, whitespace runs become one space.
"""

from __future__ import annotations

import contextlib
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses

from tui_mail.core.message.sanitize import sanitize_line

_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+")
_MAX_NAME = 200
_MAX_ADDRESS = 254  # RFC 5321's limit on a path


@dataclass(frozen=True, slots=True)
class Correspondent:
    """Someone in the cached mail: how often they appear and how recently."""

    name: str
    address: str
    uses: int
    newest: int
    """Position of the newest message naming them, 0 for the newest message cached."""


def query_command(command: str, typed: str) -> str:
    """The shell command line for `typed`: `%s` replaced by it, shell-quoted (every `%s`),
    else it is appended."""
    quoted = shlex.quote(typed)
    return command.replace("%s", quoted) if "%s" in command else f"{command} {quoted}"


def parse_query_output(text: str) -> list[tuple[str, str]]:
    """(name, address) pairs from an address book command's answer, in its order, each
    address once; header, blank and malformed lines are skipped."""
    found: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        fields = line.split("\t")
        address = _clean_address(fields[0])
        if address is None:
            continue
        name = _clean_name(fields[1]) if len(fields) > 1 else ""
        found.setdefault(address.casefold(), (name, address))
    return list(found.values())


def correspondents(rows: Iterable[tuple[str, str, str, str]], own: set[str]) -> list[Correspondent]:
    """Everyone in (from_name, from_addr, to, cc) rows, newest message first, with the
    first name found for them; the user's own addresses (`own`, casefolded) left out."""
    names: dict[str, str] = {}
    spelled: dict[str, str] = {}
    uses: dict[str, int] = {}
    newest: dict[str, int] = {}
    for position, (from_name, from_addr, to, cc) in enumerate(rows):
        pairs = [(from_name, from_addr)]
        with contextlib.suppress(ValueError, IndexError):  # a list the stdlib cannot split
            pairs += getaddresses([to, cc])
        for raw_name, raw_address in pairs:
            address = _clean_address(raw_address)
            if address is None or address.casefold() in own:
                continue
            key = address.casefold()
            uses[key] = uses.get(key, 0) + 1
            newest.setdefault(key, position)
            spelled.setdefault(key, address)
            if not names.get(key):
                names[key] = _clean_name(raw_name)
    return [Correspondent(names[k], spelled[k], uses[k], newest[k]) for k in uses]


def rank(
    typed: str,
    known: Iterable[Correspondent],
    book: Iterable[tuple[str, str]] = (),
    *,
    own: set[str] | frozenset[str] = frozenset(),
    limit: int | None = 50,
) -> list[tuple[str, str]]:
    """(name, address) for `typed`, best first, each address once (casefolded), never one
    of `own`; at most `limit` of them (None: all).

    Matches in order: the address or the name exactly; the start of the address, of the
    name or of a word in it; anywhere in them; then what the address book answered for
    other reasons (a nickname, say). Within each: most used in the cached mail first, then
    the most recent, then the book's entries in its order. The cache's name is kept; the
    book's is used where the cache has none. An empty `typed` lists the most used people.
    """
    wanted = " ".join(typed.split()).casefold()
    people: dict[str, tuple[str, str, int, int]] = {}  # key: (name, address, uses, order)
    for person in known:
        people[person.address.casefold()] = (
            person.name,
            person.address,
            person.uses,
            person.newest,
        )
    from_book: set[str] = set()
    for order, (name, address) in enumerate(book):
        key = address.casefold()
        from_book.add(key)
        if key in people:
            known_name, spelled, uses, newest = people[key]
            people[key] = (known_name or name, spelled, uses, newest)
        else:
            people[key] = (name, address, 0, 10**9 + order)
    scored = []
    for key, (name, address, uses, newest) in people.items():
        if key in own:
            continue
        match = _match(wanted, name.casefold(), key)
        if match is None and key in from_book:
            match = 3
        if match is not None:
            scored.append(((match, -uses, newest), name, address))
    scored.sort(key=lambda item: item[0])
    return [(name, address) for _score, name, address in scored[:limit]]


def _match(wanted: str, name: str, address: str) -> int | None:
    if not wanted:
        return 0
    if wanted in (address, name):
        return 0
    if address.startswith(wanted) or name.startswith(wanted):
        return 1
    if any(word.startswith(wanted) for word in name.split()):
        return 1
    if wanted in address or wanted in name:
        return 2
    return None


def _clean_address(raw: str) -> str | None:
    address = sanitize_line(raw).strip()
    if len(address) > _MAX_ADDRESS or not _ADDRESS.fullmatch(address):
        return None
    return address


def _clean_name(raw: str) -> str:
    name = " ".join(sanitize_line(raw).split())
    if len(name) >= 2 and name[0] == name[-1] == '"':  # quoted in a header
        name = name[1:-1].strip()
    return name[:_MAX_NAME]
