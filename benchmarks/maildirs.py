"""Big benchmark INBOXes, written once in parallel and reused by later runs.

Writing a message file costs ~60 us (make_message, then the write on tmpfs), so a
1,000,000-message INBOX is about a minute of one core: worth doing once. The messages go
into a *template* maildir kept in ``/dev/shm/tui-mail-bench-maildirs/`` between runs
(its name carries the fixture's version and the size), and each run moves its ``cur/``
into the user's maildir and back when done (`lend`, `give_back`): a rename, where a
million hard links took minutes and ran /dev/shm out of inodes. Dovecot's own files (its
index, cache and UID list) live beside ``cur/``, so each run's Dovecot starts from
nothing as before. About 4.5 GB of tmpfs for a million messages (750 MB of messages,
each file rounded up to a 4 kB page).

Files are named ``T.M<index>P<worker>.bench,S=..,W=..:2,FLAGS`` with one fixed ``T``:
Dovecot gives new maildir files UIDs in name order (seconds, then the M number), so the
order is the message index whichever worker wrote the file.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tests.support import dovecot
from tests.support.dovecot import make_message

TEMPLATES = Path("/dev/shm/tui-mail-bench-maildirs")  # noqa: S108 (root-only benchmark, reused on purpose)
_STAMP = 1_700_000_000
_DONE = "complete"
FORMAT = 1
"""Raise when the writer below changes what it writes (names, flags, dates)."""


def _version() -> str:
    """Changes when the messages would: make_message's module or FORMAT."""
    source = inspect.getsource(dovecot) + str(FORMAT)
    return hashlib.sha256(source.encode()).hexdigest()[:10]


def template_dir(size: int) -> Path:
    return TEMPLATES / f"{_version()}-{size}"


def _write_range(
    cur: str,
    span: tuple[int, int],
    size: int,
    marker: str,
    flags: Callable[[int], str],
    owner: tuple[int, int],
) -> int:
    """Write messages [start, stop) into ``cur`` owned by uid:gid; the bytes written."""
    start, stop = span
    written = 0
    open_flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for index in range(start, stop):
        message = make_message(index, subject=marker) if index == size - 1 else make_message(index)
        base = (
            f"{_STAMP}.M{index:09d}P{start}.bench,"
            f"S={len(message)},W={dovecot._virtual_size(message)}"
        )
        letters = "" if index == size - 1 else flags(index)  # the marker is unread
        fd = os.open(f"{cur}/{base}:2,{letters}", open_flags, 0o600)
        try:
            view = memoryview(message)
            while view:
                view = view[os.write(fd, view) :]
            os.fchown(fd, *owner)
            sent = dovecot._header_date(message)
            if sent is not None:
                os.utime(fd, (sent, sent))
        finally:
            os.close(fd)
        written += len(message)
    return written


def template(
    size: int, marker: str, flags: Callable[[int], str], workers: int, owner: tuple[int, int]
) -> Path:
    """The template maildir's ``cur/`` for ``size`` messages owned by ``owner`` (uid, gid:
    Dovecot's mail user), written if missing."""
    directory = template_dir(size)
    cur = directory / "cur"
    if (directory / _DONE).exists():
        return cur
    shutil.rmtree(directory, ignore_errors=True)
    cur.mkdir(parents=True)
    step = -(-size // workers)
    ranges = [(start, min(start + step, size)) for start in range(0, size, step)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(_write_range, str(cur), span, size, marker, flags, owner) for span in ranges
        ]
        written = sum(future.result() for future in futures)
    (directory / _DONE).write_text(f"{size} messages, {written} bytes\n")
    return cur


def lend(size: int, cur: Path, owner: tuple[int, int]) -> None:
    """Move the template's ``cur/`` in place of a user's (empty) ``cur``: no copy, and no
    link either (tmpfs counts every hard link against its inodes: /dev/shm here has about
    3 million, and a million-message template already takes one million). The template is
    not complete while lent: a run that dies before `give_back` makes the next one
    write it again."""
    directory = template_dir(size)
    (directory / _DONE).unlink()
    os.rename(directory / "cur", cur)
    os.chown(cur, *owner)


def give_back(size: int, cur: Path) -> None:
    """Return what `lend` moved, as Dovecot left it: it may have renamed files (flags
    changed); a template with a different file count is dropped."""
    directory = template_dir(size)
    os.rename(cur, directory / "cur")
    count = len(os.listdir(directory / "cur"))
    if count == size:
        (directory / _DONE).write_text(f"{size} messages\n")
    else:
        shutil.rmtree(directory, ignore_errors=True)


def disk_usage(path: Path) -> int:
    """Bytes ``path`` takes on its file system (tmpfs rounds every file up to a page)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total
