"""Big benchmark INBOXes, written once in parallel and reused by later runs.

Writing a message file costs ~60 us (make_message, then the write on tmpfs), so a
1,000,000-message INBOX is about a minute of one core: worth doing once. The messages go
into a *template* maildir kept in ``/dev/shm/tui-mail-bench-maildirs/`` between runs
(its name carries the fixture's version and the size), and each run hard-links the
files into its own user's ``cur/``: Dovecot only ever renames or deletes its links
(flag changes), so the template stays as written, and a run's Dovecot indexes start
from nothing as before. ``--fresh-maildirs`` removes the templates.

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


def _version() -> str:
    """Changes when the messages would: make_message's module or this writer."""
    source = inspect.getsource(dovecot) + inspect.getsource(_write_range)
    return hashlib.sha256(source.encode()).hexdigest()[:10]


def template_dir(size: int) -> Path:
    return TEMPLATES / f"{_version()}-{size}"


def _write_range(
    cur: str, start: int, stop: int, size: int, marker: str, flags: Callable[[int], str]
) -> int:
    """Write messages [start, stop) into ``cur``; the bytes written."""
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
            sent = dovecot._header_date(message)
            if sent is not None:
                os.utime(fd, (sent, sent))
        finally:
            os.close(fd)
        written += len(message)
    return written


def template(size: int, marker: str, flags: Callable[[int], str], workers: int) -> Path:
    """The template maildir's ``cur/`` for ``size`` messages, written if missing."""
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
            pool.submit(_write_range, str(cur), start, stop, size, marker, flags)
            for start, stop in ranges
        ]
        written = sum(future.result() for future in futures)
    (directory / _DONE).write_text(f"{size} messages, {written} bytes\n")
    return cur


def link_into(source: Path, target: Path, uid: int, gid: int) -> None:
    """Hard-link every file of ``source`` into ``target`` owned by uid:gid (the template
    is chowned once, the first time: a link shares its owner)."""
    names = os.listdir(source)
    first = source / names[0] if names else None
    if first is not None and (first.stat().st_uid, first.stat().st_gid) != (uid, gid):
        for name in names:
            os.chown(source / name, uid, gid)
    src, dst = f"{source}/", f"{target}/"
    link = os.link
    for name in names:
        link(src + name, dst + name)


def disk_usage(path: Path) -> int:
    """Bytes ``path`` takes on its file system (tmpfs rounds every file up to a page)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


def remove_templates() -> None:
    shutil.rmtree(TEMPLATES, ignore_errors=True)
