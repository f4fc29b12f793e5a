"""A big folder's list: its first rows at once, the rest of its order from a background
thread (core/account/message_index.py), the UIDs parsed in chunks (ordering.py), and a big
cache read before its open-time check is over (health.DeepCheck)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tui_mail.core.account import message_index
from tui_mail.core.account.message_index import ORDER_HEAD, FolderMessages
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.sort import SortKey, SortSpec
from tui_mail.core.store import check_memo, health, ordering
from tui_mail.core.store.cache import Store


def _row(uid: int) -> SummaryRow:
    # Dates run against UIDs in places, so the order is not simply the UIDs reversed.
    date = 1_700_000_000 + (uid * 7919) % 100_000
    return SummaryRow(uid, date, f"n{uid}", f"u{uid}@x.org", "", "", f"s{uid}", f"<m{uid}@x>",
                      "", "", 10, 1, "", 0, 0)  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "c.sqlite3")
    store.add_summaries(store.ensure_folder("INBOX"), [_row(uid) for uid in range(1, 2001)])
    return store


class Handover:
    """A list's `deliver`: keeps what the background thread hands over until run()."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []
        self.arrived = threading.Event()

    def __call__(self, apply: Callable[[], None]) -> None:
        self.pending.append(apply)
        self.arrived.set()

    def run(self) -> None:
        assert self.arrived.wait(10), "the order never came back from the background"
        self.arrived.clear()
        applies, self.pending = self.pending, []
        for apply in applies:
            apply()


def test_a_big_folder_shows_its_first_rows_then_the_whole_order(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_index, "BACKGROUND_ORDER_OVER", 1000)
    everything = FolderMessages("a", store, "INBOX").uids()
    assert len(everything) == 2000
    handover = Handover()
    messages = FolderMessages("a", store, "INBOX", deliver=handover)
    assert messages.uids() == everything[:ORDER_HEAD]
    first = messages.row(0)
    assert first is not None
    assert first.ref.uid == everything[0]
    handover.run()
    assert messages.uids() == everything
    assert messages.index_of(first.ref) == 0

    # A refresh of the big folder keeps the shown order until the new one is read.
    folder = store.folder_id("INBOX")
    store.add_summaries(folder, [_row(5000)._replace(date=1_800_000_000)])
    messages.refresh()
    assert len(messages) == 2000
    handover.run()
    assert len(messages) == 2001
    assert messages.uid_at(0) == 5000


def test_a_small_folder_is_ordered_at_once_even_with_deliver(store: Store) -> None:
    handover = Handover()
    messages = FolderMessages("a", store, "INBOX", deliver=handover)
    assert len(messages) == 2000
    assert not handover.pending


def test_ordered_uids_reads_only_the_first_rows_when_limited(store: Store) -> None:
    folder = store.folder_id("INBOX")
    assert store.ordered_uids(folder, limit=5) == store.ordered_uids(folder)[:5]


def test_uids_parse_the_same_in_chunks() -> None:
    uids = list(range(1, 600_000, 3))
    joined = ",".join(map(str, uids))
    assert len(joined) > 2 * ordering._PARSE_CHUNK
    assert ordering.parse_uids(joined) == uids == json.loads(f"[{joined}]")
    assert ordering.parse_uids(None) == []
    assert ordering.parse_uids("7") == [7]


def _slow_check(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The open-time check runs (no memo vouches for the file) only once the returned
    event is set."""
    monkeypatch.setattr(check_memo, "trusted", lambda path: None)
    release = threading.Event()
    original = health.DeepCheck._run

    def slow(self: health.DeepCheck) -> None:
        release.wait(10)
        original(self)

    monkeypatch.setattr(health.DeepCheck, "_run", slow)
    return release


def test_a_big_cache_is_read_before_its_check_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Store(tmp_path / "c.sqlite3")
    first.add_summaries(first.ensure_folder("INBOX"), [_row(1), _row(2)])
    first.close()
    release = _slow_check(monkeypatch)
    monkeypatch.setattr(health.DeepCheck, "READS_WAIT_UNDER", 0)
    store = Store(tmp_path / "c.sqlite3")
    read: list[list[int]] = []
    reader = threading.Thread(target=lambda: read.append(store.ordered_uids(1)))
    reader.start()
    reader.join(5)
    read_while_checking = list(read)
    release.set()
    reader.join(10)
    store.close()
    assert read_while_checking in ([[2, 1]], [[1, 2]])


def test_a_small_cache_is_read_only_after_its_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Store(tmp_path / "c.sqlite3")
    first.add_summaries(first.ensure_folder("INBOX"), [_row(1)])
    first.close()
    release = _slow_check(monkeypatch)
    store = Store(tmp_path / "c.sqlite3")
    read: list[list[int]] = []
    reader = threading.Thread(target=lambda: read.append(store.ordered_uids(1)))
    reader.start()
    reader.join(0.3)
    assert not read
    release.set()
    reader.join(10)
    assert read == [[1]]
    store.close()


def test_a_big_folder_sorted_by_a_new_key_shows_the_newest_until_its_index_is_made(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_index, "BACKGROUND_ORDER_OVER", 1000)
    by_date = FolderMessages("a", store, "INBOX").uids()
    by_subject = SortSpec(SortKey.SUBJECT)
    assert not store.sort_ready(SortKey.SUBJECT)
    handover = Handover()
    messages = FolderMessages("a", store, "INBOX", deliver=handover, sort=by_subject)
    assert messages.uids() == by_date[:ORDER_HEAD]
    handover.run()
    assert store.sort_ready(SortKey.SUBJECT)
    assert messages.uids() == FolderMessages("a", store, "INBOX", sort=by_subject).uids()
    assert messages.uids() != by_date
    # The index made, the next list by that key starts with its own first rows.
    again = FolderMessages("a", store, "INBOX", deliver=Handover(), sort=by_subject)
    assert again.uids() == messages.uids()[:ORDER_HEAD]
