"""A long list's reload applies the few messages that changed (core/account/order_changes.py,
the store's journal core/store/changes.py) instead of reading the whole order again: the
order it ends with is the one a full read gives, under every sort, reversed or not, unread
only or not, after new mail (old dates too), flags, expunges and rows the list dropped."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tui_mail.core.account import message_index
from tui_mail.core.account.message_index import FolderMessages
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.models import Flag
from tui_mail.core.sort import SortKey, SortSpec
from tui_mail.core.store.cache import Store

SENDERS = ["Ann", "bob", "Émile", "", "Zoë", "carol"]


def _row(uid: int, rng: random.Random) -> SummaryRow:
    date = 1_700_000_000 + rng.randrange(0, 50) * 3600  # ties on purpose
    sender = rng.choice(SENDERS)
    subject = rng.choice(["Re: budget", "lunch", "AW: Lunch", "", "Ünïcode", "budget"])
    flags = rng.choice([0, int(Flag.SEEN), int(Flag.SEEN | Flag.FLAGGED), int(Flag.FLAGGED)])
    size = rng.randrange(100, 999)
    address, to = f"{sender.lower()}@x.org", f"to{uid % 7}@x.org"
    return SummaryRow(uid, date, sender, address, to, "", subject, f"<m{uid}@x>", "", "", size,
                      flags, "", 0, 0)  # fmt: skip


def _deliver_now(apply: object) -> None:
    raise AssertionError("a small folder is not read on a background thread here")


@pytest.mark.parametrize("key", list(SortKey))
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("unread_only", [False, True])
def test_a_reload_applies_changes_and_ends_with_the_full_reads_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: SortKey, reverse: bool, unread_only: bool
) -> None:
    monkeypatch.setattr(message_index, "APPLY_OVER", 10)
    rng = random.Random(f"{key}{reverse}{unread_only}")
    store = Store(tmp_path / "c.sqlite3")
    folder = store.ensure_folder("INBOX")
    store.add_summaries(folder, [_row(uid, rng) for uid in range(1, 301)])
    sort = SortSpec(key, reverse)
    listed = FolderMessages(
        "a", store, "INBOX", sort=sort, unread_only=unread_only, deliver=_deliver_now
    )
    reads = 0
    original = store.ordered_uids

    def counted(*args: object, **options: object) -> list[int]:
        nonlocal reads
        reads += 1
        return original(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "ordered_uids", counted)
    next_uid = 301
    for _step in range(25):
        uids = store.uids(folder)
        change = rng.choice(["new", "delete", "seen", "flag", "forget", "nothing"])
        if change == "new":
            count = rng.randrange(1, 4)
            store.add_summaries(folder, [_row(next_uid + i, rng) for i in range(count)])
            next_uid += count
        elif change == "delete":
            store.delete_uids(folder, rng.sample(uids, 3))
        elif change in ("seen", "flag"):
            flag = Flag.SEEN if change == "seen" else Flag.FLAGGED
            store.set_flag_bits(folder, rng.sample(uids, 4), flag, rng.random() < 0.5)
        elif change == "forget":
            gone = rng.sample(listed.uids(), 2)
            listed.forget(gone)
            store.delete_uids(folder, gone)
        listed.refresh()
        fresh = FolderMessages("a", store, "INBOX", sort=sort, unread_only=unread_only)
        assert listed.uids() == fresh.uids(), change
        reads -= 1  # the fresh list's own read
    assert reads == 0  # every reload was applied, none read the order again
    store.close()


def test_a_write_by_another_store_of_the_file_makes_the_list_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_index, "APPLY_OVER", 10)
    rng = random.Random(7)
    store = Store(tmp_path / "c.sqlite3")
    folder = store.ensure_folder("INBOX")
    store.add_summaries(folder, [_row(uid, rng) for uid in range(1, 101)])
    listed = FolderMessages("a", store, "INBOX", deliver=_deliver_now)
    # A write of this store's own under way (its index catching up) would put the look
    # at other writers off to its commit: the reload after that one reads everything.
    deadline = time.monotonic() + 20
    while store.full_text.backlog() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # its last transaction closed
    other = Store(tmp_path / "c.sqlite3")  # another process's sync, say
    other.add_summaries(folder, [_row(500, rng)._replace(date=1_900_000_000)])
    other.close()
    listed.refresh()
    assert listed.uid_at(0) == 500
    assert len(listed) == 101
    store.close()


def test_the_journal_forgets_past_its_size_and_then_says_so(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.sqlite3")
    folder = store.ensure_folder("INBOX")
    version = store.changes.version
    store.set_flag_bits(folder, [1, 2], Flag.SEEN, True)
    assert store.changed_since(folder, version) == {1, 2}
    assert store.changed_since(folder + 1, version) == set()
    store.delete_uids(folder, range(1, 30_000))  # more than it keeps
    assert store.changed_since(folder, version) is None
    assert store.changed_since(folder, store.changes.version) == set()
    store.close()
