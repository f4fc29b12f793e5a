"""Where a maildir keeps its folders and messages, and what its file names mean.

Two layouts are read, even mixed in one tree:

- Maildir++ (Courier, Dovecot's default, mbsync `SubFolders Maildir++`): the root is the
  INBOX; folder `Lists/python` is the directory `.Lists.python`, names in modified UTF-7.
- nested (mbsync `SubFolders Verbatim`, offlineimap): folder `Lists/python` is the
  directory `Lists/python`; when the root holds no `cur/`, its `INBOX` (any case)
  subdirectory is the INBOX.

Folder names always use "/" as the delimiter, whatever the layout. A message file is
`UNIQUE` in `new/`, or `UNIQUE:2,LETTERS` in `cur/` with the flag letters sorted (D draft,
F flagged, P passed, R replied, S seen, T trashed; lowercase letters are Dovecot keywords,
kept as they are).
"""

from __future__ import annotations

import base64
import functools
import itertools
import os
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tui_mail.config.private import private_dir
from tui_mail.core.errors import UsageError
from tui_mail.core.models import ROLE_BY_NAME, Flag, FolderRole

DELIMITER = "/"
INBOX = "INBOX"
SUBDIRS = ("cur", "new", "tmp")
MAX_DEPTH = 12
"""Nested folders deeper than this are not looked at (a guard against symlink loops)."""

Layout = Literal["maildir++", "nested"]

# Flag <-> the letter a maildir file name holds it as; only these letters are ours to set.
_LETTERS = {
    Flag.DRAFT: "D",
    Flag.FLAGGED: "F",
    Flag.FORWARDED: "P",
    Flag.ANSWERED: "R",
    Flag.SEEN: "S",
    Flag.DELETED: "T",
}
_BITS = {letter: int(flag) for flag, letter in _LETTERS.items()}


_NATURAL = re.compile(r"(\d+)")
_HOST = socket.gethostname().replace("/", "\\057").replace(":", "\\072") or "localhost"
_counter = itertools.count(1)


# -- file names ------------------------------------------------------------------------


def split_name(filename: str) -> tuple[str, str]:
    """`UNIQUE:2,LETTERS` -> (UNIQUE, LETTERS); a name without info has no letters."""
    for separator in (":2,", "!2,"):  # "!" where ":" is not allowed in file names
        base, found, letters = filename.rpartition(separator)
        if found:
            return base, letters
    return filename, ""


def letters_of(filename: str) -> str:
    return split_name(filename)[1]


@functools.lru_cache(maxsize=256)  # few distinct letter sets; a search asks once per file
def flag_mask(letters: str) -> Flag:
    """Flag letters -> the flags they stand for (lowercase keyword letters are not flags)."""
    mask = 0  # plain ints: enum arithmetic is slow, and a search runs this once per file
    for letter in letters:
        mask |= _BITS.get(letter, 0)
    return Flag(mask)


def letters_for(flags: Flag) -> str:
    """Flags -> their letters, sorted as a file name holds them."""
    return "".join(sorted(_LETTERS[flag] for flag in flags))


def change_letters(letters: str, change: str, *, add: bool) -> str:
    """The sorted letters after adding or removing `change`, keeping letters not ours."""
    current = set(letters)
    current = current | set(change) if add else current - set(change)
    return "".join(sorted(current))


def file_name(base: str, letters: str) -> str:
    return f"{base}:2,{letters}"


def delivery_order(base: str) -> tuple[object, ...]:
    """A sort key that puts `1700000000.M9P1.host` before `1700000000.M10P1.host`."""
    return tuple(int(part) if part.isdigit() else part for part in _NATURAL.split(base))


def unique_name(size: int) -> str:
    """A new unique file name: time, microseconds, pid and a counter make it one of a kind."""
    now = time.time()
    micros = int(now * 1_000_000) % 1_000_000
    return f"{int(now)}.M{micros}P{os.getpid()}Q{next(_counter)}.{_HOST},S={size}"


# -- folders ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FolderEntry:
    """One folder found on disk."""

    name: str
    path: Path
    selectable: bool
    """False for a directory that only holds other folders (no cur/)."""


def is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir()


class MaildirLayout:
    """The folders of one maildir tree, and the mapping between names and directories."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def nested_inbox(self) -> Path | None:
        """The INBOX directory of a tree whose root is not itself a maildir."""
        if is_maildir(self.root):
            return None
        try:
            with os.scandir(self.root) as entries:
                for entry in entries:
                    if entry.name.lower() == "inbox" and is_maildir(Path(entry.path)):
                        return Path(entry.path)
        except OSError:
            return None
        return None

    def style(self) -> Layout:
        """The layout new folders get: what the tree already uses, else Maildir++."""
        if not is_maildir(self.root):
            return "nested"
        has_nested = False
        for entry in self._top_entries():
            if entry.name.startswith("."):
                return "maildir++"
            has_nested = has_nested or is_maildir(Path(entry.path))
        return "nested" if has_nested else "maildir++"

    def _top_entries(self) -> Iterator[os.DirEntry[str]]:
        try:
            with os.scandir(self.root) as entries:
                listed = list(entries)
        except OSError:
            return
        for entry in listed:
            if entry.name in SUBDIRS or entry.name in (".", ".."):
                continue
            if entry.is_dir() and (is_maildir(Path(entry.path)) or not entry.name.startswith(".")):
                yield entry

    def folders(self) -> list[FolderEntry]:
        """Every folder, parents without mail of their own included, sorted by name."""
        found: dict[str, FolderEntry] = {}
        inbox = self.root if is_maildir(self.root) else self.nested_inbox
        if inbox is not None:
            found[INBOX] = FolderEntry(INBOX, inbox, True)
        for entry in self._top_entries():
            path = Path(entry.path)
            if entry.name.startswith("."):
                name = DELIMITER.join(decode_mutf7(p) for p in entry.name[1:].split("."))
                if all(name.split(DELIMITER)):
                    found[name] = FolderEntry(name, path, True)
            elif inbox is not None and path == inbox:
                self._walk_nested(path, INBOX, found, 1)
            else:
                self._walk_nested(path, entry.name, found, 1)
        # Maildir++ `.A.B` without `.A`: show A as a parent that holds no mail.
        for name in list(found):
            parts = name.split(DELIMITER)
            for depth in range(1, len(parts)):
                parent = DELIMITER.join(parts[:depth])
                if parent not in found:
                    found[parent] = FolderEntry(parent, self.path_for(parent), False)
        return sorted(found.values(), key=lambda f: f.name)

    def _walk_nested(
        self, path: Path, name: str, found: dict[str, FolderEntry], depth: int
    ) -> None:
        selectable = is_maildir(path)
        children: list[os.DirEntry[str]] = []
        if depth < MAX_DEPTH:
            try:
                with os.scandir(path) as entries:
                    children = [
                        e
                        for e in entries
                        if e.name not in SUBDIRS and not e.name.startswith(".") and e.is_dir()
                    ]
            except OSError:
                children = []
        if selectable and name != INBOX:
            found[name] = FolderEntry(name, path, True)
        for child in children:
            self._walk_nested(Path(child.path), f"{name}{DELIMITER}{child.name}", found, depth + 1)

    def find(self, name: str) -> FolderEntry | None:
        """The folder called `name` as it is on disk now, or None."""
        canonical = INBOX if name.upper() == INBOX else name
        for folder in self.folders():
            if folder.name == canonical:
                return folder
        return None

    def path_for(self, name: str) -> Path:
        """Where a folder called `name` lives (or would be created) in this tree's layout."""
        parts = check_folder_name(name)
        if name.upper() == INBOX:
            return self.nested_inbox or self.root
        if parts[0].upper() == INBOX and self.nested_inbox is not None:
            return self.nested_inbox.joinpath(*parts[1:])
        if self.style() == "maildir++":
            for part in parts:
                if "." in part:
                    raise UsageError(
                        f"Folder names in this maildir cannot contain a dot ({name!r}): its "
                        "Maildir++ layout uses the dot to separate levels."
                    )
            return self.root / ("." + ".".join(encode_mutf7(p) for p in parts))
        return self.root.joinpath(*parts)

    def name_for(self, directory: Path) -> str | None:
        """The folder name of a maildir directory inside this tree (the watcher's question)."""
        try:
            relative = directory.relative_to(self.root)
        except ValueError:
            return None
        parts = relative.parts
        if not parts:
            return INBOX
        if len(parts) == 1 and parts[0].startswith("."):
            return DELIMITER.join(decode_mutf7(p) for p in parts[0][1:].split("."))
        if any(p.startswith(".") or p in SUBDIRS for p in parts):
            return None
        if parts[0].lower() == "inbox" and not is_maildir(self.root):
            return DELIMITER.join((INBOX, *parts[1:]))
        return DELIMITER.join(parts)

    def role(self, name: str) -> FolderRole | None:
        if name == INBOX:
            return FolderRole.INBOX
        parts = name.split(DELIMITER)
        if len(parts) > 2:
            return None  # only top-level (or INBOX/X, [Gmail]/X) names are guessed
        return ROLE_BY_NAME.get(parts[-1].lower())


def check_folder_name(name: str) -> list[str]:
    """The parts of a folder name, refusing anything that could leave the maildir."""
    parts = name.split(DELIMITER)
    for part in parts:
        if (
            not part
            or part in (".", "..")
            or part.startswith(".")
            or part in SUBDIRS
            or "\x00" in part
            or "\\" in part
        ):
            raise UsageError(
                f"{name!r} cannot be a folder name here: use names separated by "
                f"{DELIMITER!r}, without empty parts, leading dots, or cur/new/tmp."
            )
    return parts


# -- modified UTF-7 (RFC 3501 5.1.3), as Dovecot writes Maildir++ directory names -------


def decode_mutf7(text: str) -> str:
    """`Entw&APw-rfe` -> `Entwürfe`; text that is not valid modified UTF-7 stays as it is."""
    if "&" not in text:
        return text
    out: list[str] = []
    position = 0
    while position < len(text):
        start = text.find("&", position)
        if start < 0:
            out.append(text[position:])
            break
        out.append(text[position:start])
        end = text.find("-", start)
        if end < 0:
            return text
        chunk = text[start + 1 : end]
        if not chunk:
            out.append("&")
        else:
            padded = chunk.replace(",", "/") + "=" * (-len(chunk) % 4)
            try:
                out.append(base64.b64decode(padded, validate=True).decode("utf-16-be"))
            except (ValueError, UnicodeDecodeError):
                return text
        position = end + 1
    return "".join(out)


def encode_mutf7(text: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in text:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


# -- writing ---------------------------------------------------------------------------


def make_maildir(path: Path, *, marker: bool) -> None:
    """Create cur/, new/ and tmp/ (and Maildir++'s `maildirfolder` marker for subfolders)."""
    for sub in SUBDIRS:
        private_dir(path / sub)
    if marker:
        (path / "maildirfolder").touch(mode=0o600)


def deliver(
    folder: Path,
    message: bytes,
    letters: str | None = None,
    *,
    when: float | None = None,
    durable: bool = False,
) -> tuple[str, str]:
    """Write a message the maildir way: into tmp/, then renamed into place in one step.

    `letters` None delivers into new/ (unseen by any client yet); otherwise into cur/ with
    those flags. `when` sets the file time (the message's INTERNALDATE). `durable` syncs
    the file to disk first: needed before a POP3 server is told to delete its copy.
    Returns (subdir, file name).
    """
    base = unique_name(len(message))
    temporary = folder / "tmp" / base
    # 0600 like every mail client's delivery: messages are private.
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as stream:
        stream.write(message)
        if durable:
            stream.flush()
            os.fsync(stream.fileno())
    if when is not None:
        os.utime(temporary, (when, when))
    subdir, name = ("new", base) if letters is None else ("cur", file_name(base, letters))
    os.rename(temporary, folder / subdir / name)
    return subdir, name


def scan(folder: Path) -> dict[str, tuple[str, str]]:
    """Unique name -> (subdir, file name) for every message; names only, no file is opened."""
    found: dict[str, tuple[str, str]] = {}
    for subdir in ("new", "cur"):  # cur last: a message caught mid-move counts where it went
        try:
            with os.scandir(folder / subdir) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith(".") or not entry.is_file():
                        continue
                    found[split_name(name)[0]] = (subdir, name)
        except FileNotFoundError:
            continue
    return found
