"""Remembering that the cache passed its open-time check (core/store/health.py DeepCheck),
so that the next open need not check it again while the file is exactly as tui-mail left it.

The check looks for damage done while tui-mail was not looking (a disk, a crash, a copy cut
short, another program): about 0.1 s for 100,000 messages, which every `tui-mail sync`
waited for at its first read (a re-sync's wall is 0.3-0.6 s in all). Damage met by
tui-mail's own reads and writes is seen by SQLite anyway (CacheConnection).

So a store that closes cleanly after a passed check writes `<cache>.checked`: the file's
device, inode, size and modification time as it leaves them. The next open skips the check
when all of them are the same, no WAL file is left over (a crash, or another process still
writing) and the last real check is under a day old (bit rot under an unchanged file is
found within a day). Any write by anyone changes the modification time: to tell a write in
the same clock tick as tui-mail's last one (file times move in ticks of a few ms) from
none, the close moves the file's time on by one nanosecond, a time no tick can produce.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from tui_mail.config.private import private_file

FRESH_FOR = 86_400.0
"""Seconds after a real check during which a file left unchanged is not checked again."""


def memo_path(path: Path) -> Path:
    return path.with_name(path.name + ".checked")


def _identity(path: Path) -> list[int]:
    status = path.stat()
    return [status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns]


def wal_left(path: Path) -> bool:
    """Whether a non-empty WAL lies beside the database: a crash, or a writer still at it."""
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def trusted(path: Path) -> float | None:
    """When the file was last really checked, if it is unchanged since a clean close after
    that check (and the check is fresh); None: check it."""
    try:
        memo = json.loads(memo_path(path).read_text())
        if wal_left(path):
            return None  # not closed cleanly, or another process is writing it
        identity = _identity(path)
    except (OSError, ValueError):
        return None
    if not isinstance(memo, dict) or memo.get("file") != identity:
        return None
    checked = memo.get("checked")
    if not isinstance(checked, float) or not 0 <= time.time() - checked < FRESH_FOR:
        return None
    return checked


def remember(path: Path, checked: float | None) -> None:
    """After the store closed (its writes checkpointed into the file): remember the file as
    it is now if it passed a check at `checked` (None: forget any earlier memo)."""
    memo = memo_path(path)
    if checked is None:
        forget(path)
        return
    partial = memo.with_name(memo.name + ".new")
    try:
        status = path.stat()
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1))
        text = json.dumps({"file": _identity(path), "checked": checked})
        private_file(partial).write_text(text)
        partial.replace(memo)
    except OSError:  # a full disk, a file gone: the next open checks, as without a memo
        forget(path)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)  # not left behind, empty, on a full disk


def forget(path: Path) -> None:
    with contextlib.suppress(OSError):
        memo_path(path).unlink()
