"""Private files: what tui-mail keeps (caches of mail, the outbox, drafts, tokens, its
config) is for the user alone, also on a shared SSH host.

Directories are created 0700 and files 0600, whatever the umask; whatever an older version
left readable by others is tightened on start (`secure_data_dir`). A config file that others
can write is refused, as ssh refuses such a config: its password_command runs whatever is
written there (`refuse_writable_config`). Mode bits are only ever taken away, never added.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from tui_mail.core.errors import ConfigError

DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600
_OTHERS: Final = 0o077
_OTHERS_WRITE: Final = 0o022
_WALK_DEPTH: Final = 2
"""Below this depth only directories that were open to others are walked: what tui-mail
creates is private from the start, and a POP3 download folder can hold 100,000 files."""


def private_dir(path: Path) -> Path:
    """Create `path` and its missing parents, each mode 0700 (as the XDG spec asks for the
    directories it names). Existing directories are left as they are: they may be the
    user's own (tightening what tui-mail keeps is `secure_data_dir`'s job, at start)."""
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:  # made meanwhile by another thread or process
            continue
        directory.chmod(DIR_MODE)  # mkdir's mode passes through the umask
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists as a file only its owner can read (created empty, 0600).

    Call it before sqlite3.connect: SQLite gives the -wal and -shm files the mode of the
    database file, so they are private too.
    """
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, FILE_MODE)
    except OSError:
        return path  # a symlink, a directory ...: let the caller's own open say what is wrong
    try:
        mode = os.fstat(fd).st_mode
        if mode & _OTHERS:
            os.fchmod(fd, stat.S_IMODE(mode) & ~_OTHERS)
    finally:
        os.close(fd)
    return path


def private_sqlite(path: Path) -> Path:
    """`private_file` for an SQLite database, and its -wal and -shm files tightened: an
    older version left them readable by others."""
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix))
    return path


def tighten(path: Path) -> bool:
    """Take the group's and others' permissions away from `path`; True if it had any.

    Symbolic links are left alone (their target may be anything); so is what is not ours.
    """
    try:
        info = path.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or not info.st_mode & _OTHERS or info.st_uid != os.getuid():
        return False
    try:
        path.chmod(stat.S_IMODE(info.st_mode) & ~_OTHERS)
    except OSError:
        return False
    return True


def tighten_tree(root: Path) -> list[Path]:
    """Tighten `root` and what is in it (see _WALK_DEPTH); the paths that were changed."""
    changed: list[Path] = []
    if not root.is_dir() or root.is_symlink():
        return changed
    loose_root = tighten(root)
    if loose_root:
        changed.append(root)
    stack = [(root, 0, loose_root)]
    while stack:
        directory, depth, loose = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                continue
            was_loose = tighten(path)
            if was_loose:
                changed.append(path)
            if entry.is_dir(follow_symlinks=False) and (loose or was_loose or depth < _WALK_DEPTH):
                stack.append((path, depth + 1, loose or was_loose))
    return changed


def secure_data_dir(root: Path) -> str | None:
    """At start: create the data directory private, or tighten what an older version (or a
    loose umask) left readable by others. The one-line note to show when something changed.
    """
    if not root.exists():
        private_dir(root)
        return None
    changed = tighten_tree(root.resolve())  # a data directory symlinked elsewhere: its target
    if not changed:
        return None
    return (
        f"made {_count(changed)} under {root} private (mode 0700/0600): they were readable "
        "by other users of this computer"
    )


def secure_config(path: Path, *, own_dir: bool) -> str | None:
    """Take others' read permission from the config file (and from its directory when that
    is tui-mail's own); the note to show, if anything changed. Call after
    `refuse_writable_config`: a file others could write is not quietly fixed and used."""
    changed = [p for p in ((path.parent,) if own_dir else ()) + (path,) if tighten(p)]
    if not changed:
        return None
    return f"made {', '.join(map(str, changed))} private: other users could read it"


def refuse_writable_config(path: Path) -> None:
    """ConfigError, with the command that fixes it, for a config file (or the directory it
    is in) that another user may write: its password_command would run what they put there.

    As ssh does (with Debian's user-group-modes): group write is fine when the group is the
    user's own private group, as with a umask of 002. Nothing is said about a file that does
    not exist: load_config says so in its own words."""
    try:
        target = path.resolve()  # a dotfiles symlink: what matters is the file it points at
        for candidate in (target, target.parent):
            info = candidate.stat()
            if info.st_uid not in (os.getuid(), 0):
                raise ConfigError(
                    f"{candidate} belongs to another user, and the configuration runs "
                    "commands (password_command); refusing to use it"
                )
            writable = info.st_mode & _OTHERS_WRITE
            if writable == stat.S_IWGRP and _private_group(info.st_gid):
                continue
            if writable:
                raise ConfigError(
                    f"{candidate} is writable by others, and the configuration runs commands "
                    f"(password_command); refusing to use it. Run: chmod go-w {candidate}"
                )
    except OSError:
        return


def _private_group(gid: int) -> bool:
    """Whether `gid` is this user's own group, with nobody else in it."""
    import grp  # noqa: PLC0415 -- only for a group-writable config, which is rare
    import pwd  # noqa: PLC0415

    try:
        me = pwd.getpwuid(os.getuid())
        group = grp.getgrgid(gid)
    except KeyError:
        return False
    if group.gr_name != me.pw_name or any(member != me.pw_name for member in group.gr_mem):
        return False
    return all(user.pw_gid != gid or user.pw_uid == me.pw_uid for user in pwd.getpwall())


def _count(paths: list[Path]) -> str:
    folders = sum(1 for p in paths if p.is_dir())
    files = len(paths) - folders
    parts = [
        f"{n} {word}{'s' if n != 1 else ''}"
        for n, word in ((files, "file"), (folders, "folder"))
        if n
    ]
    return " and ".join(parts)
