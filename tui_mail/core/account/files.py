"""Where an account's files live: its cache (safe to delete) and its offline queue (not);
and what to say when one of them fails in a way nobody caught (`file_problem`, the CLI's
last line of defence, kept with the cache's health checks in core/store/health.py)."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from tui_mail.core.store.health import file_problem

__all__ = ["cache_path", "file_problem", "queue_path"]

if TYPE_CHECKING:
    from pathlib import Path

    from tui_mail.config import AccountConfig


def cache_path(data_dir: Path, account: AccountConfig) -> Path:
    """Where an account's cache lives; the name is made filesystem-safe but stays unique."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", account.name)[:40]
    digest = hashlib.sha256(account.name.encode()).hexdigest()[:8]
    return data_dir / "cache" / f"{safe}-{digest}.sqlite3"


def queue_path(data_dir: Path, account: AccountConfig) -> Path:
    """The account's offline queue: outside the cache folder, which is safe to delete."""
    return data_dir / "queue" / cache_path(data_dir, account).name
