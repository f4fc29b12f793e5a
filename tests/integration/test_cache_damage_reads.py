"""Damage met by a screen's read of a running cache (threads, the unified inbox, a
screen's folder list): the read answers empty instead of raising, the owner hears of it
once (on_damaged), and the next access sets the file aside and starts a new one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.integration.test_cache_damage import damage_a_middle_page
from tui_mail.core.account.message_index import FolderMessages, MergedMessages, ThreadedMessages
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.models import Folder, FolderRole
from tui_mail.core.store.cache import Store


def _filled(path: Path, count: int) -> Store:
    store = Store(path)
    store.replace_folders([Folder("INBOX", "/", FolderRole.INBOX, total=count, unseen=count)])
    folder_id = store.folder_id("INBOX")

    def row(uid: int) -> SummaryRow:
        replying_to = f"<{uid - 1}@x>" if uid % 3 else ""
        subject, message_id = f"Subject {uid % 50}", f"<{uid}@x>"
        return SummaryRow(uid, 1_700_000_000 + uid, "Ann", "ann@example.org", "bob@example.org", "",
                subject, message_id, replying_to, "", 1000, 0, "", 0, 1)  # fmt: skip

    store.add_summaries(folder_id, (row(uid) for uid in range(1, count + 1)))
    return store


def _damage_while_open(path: Path, table: str) -> None:
    """The rows checkpointed into the file, one page scribbled over, then a commit so that
    every open connection drops the pages it cached."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    damage_a_middle_page(path, table)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("INSERT INTO bodies (folder_id, uid, raw) VALUES (-1, -1, x'00')")
    db.execute("DELETE FROM bodies WHERE folder_id = -1")
    db.close()


def test_threads_and_the_unified_inbox_read_empty_on_damage_then_it_is_rebuilt(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cache" / "a.sqlite3"
    store = _filled(path, 3000)
    told: list[str] = []
    store.on_damaged = lambda: told.append("damaged")
    threaded = ThreadedMessages("a", store, "INBOX")
    merged = MergedMessages([FolderMessages("a", store, "INBOX")])
    assert len(threaded) == len(merged) == 3000

    _damage_while_open(path, "messages")
    threaded.refresh()  # json_group_array over every row: meets the damaged page
    assert len(threaded) == 0
    assert told == ["damaged"]
    merged.refresh()  # the store rebuilds at this access: an empty cache
    assert len(merged) == 0
    assert store.rebuilt is not None and store.rebuilt.moved_to.exists()
    assert store.folders() == []  # the new cache, waiting for a sync
    store.close()
