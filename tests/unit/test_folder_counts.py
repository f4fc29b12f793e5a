"""The cache's folder counts (shifted by actions, set from STATUS) and the list's
"To: ..." for the user's own mail: pure logic, no server."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_store import row
from tui_mail.core.message.correspondents import recipients_label
from tui_mail.core.models import Flag, Folder, FolderRole
from tui_mail.core.store.cache import Store


def counts(store: Store) -> dict[str, tuple[int | None, int | None]]:
    return {f.name: (f.total, f.unseen) for f in store.folders()}


def test_counts_shift_set_and_never_go_below_zero(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache.sqlite3")
    store.replace_folders([
        Folder("INBOX", "/", FolderRole.INBOX, total=3, unseen=2),
        Folder("Archive", "/", FolderRole.ARCHIVE, total=0, unseen=0),
        Folder("Never", "/", None),  # listed without counts
    ])  # fmt: skip
    store.shift_folder_counts("INBOX", -1, -1)
    store.shift_folder_counts("Archive", 1, 1)
    store.shift_folder_counts("Never", 1, 1)  # nothing known: stays unknown
    assert counts(store) == {"INBOX": (2, 1), "Archive": (1, 1), "Never": (None, None)}
    store.shift_folder_counts("INBOX", -5, -5)
    assert counts(store)["INBOX"] == (0, 0)
    store.set_folder_counts({"INBOX": (7, 4), "Never": (1, 0)})
    assert counts(store) == {"INBOX": (7, 4), "Archive": (1, 1), "Never": (1, 0)}
    store.close()


def test_tally_counts_only_cached_messages_and_their_unread(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache.sqlite3")
    folder = store.ensure_folder("INBOX")
    seen = int(Flag.SEEN)
    store.add_summaries(folder, [row(1, 10, flags=seen), row(2, 20), row(3, 30)])
    assert store.tally(folder, [1, 2, 99]) == (2, 1)
    assert store.tally(folder, []) == (0, 0)
    assert store.tally(folder, range(1, 1200)) == (3, 2)  # past one SQL chunk
    store.close()


def test_recipients_label_shows_names_else_addresses() -> None:
    assert recipients_label('"Ada Lovelace" <ada@example.org>, bob@example.org') == (
        "To: Ada Lovelace, bob@example.org"
    )
    assert recipients_label("") == "To: (no recipient)"
