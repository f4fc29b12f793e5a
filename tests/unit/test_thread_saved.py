"""A big folder's threads kept in the cache between sessions (core/store/thread_saved.py,
core/account/thread_memory.py): what the next session shows from them is exactly what
threading the folder from scratch shows, and anything that does not fit (damage, another
format, a changed folder) is threaded from scratch instead, never an error."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_mail.core.account import thread_memory
from tui_mail.core.account.background import background_thread
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.sort import DEFAULT_SORT, SortKey, SortSpec
from tui_mail.core.store import thread_saved
from tui_mail.core.store.cache import Store
from tui_mail.core.store.thread_links import key
from tui_mail.core.store.threads import ThreadOrder, thread_messages


@pytest.fixture(autouse=True)
def _save_every_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thread_memory, "SAVE_OVER", 1)
    monkeypatch.setattr(thread_memory, "RESAVE_AFTER", 1)


def drawn(order: ThreadOrder) -> list[str]:
    return [f"{order.guide(i)}{uid}" for i, uid in enumerate(order.uids)]


def _random_rows(rng: random.Random, count: int) -> list[SummaryRow]:
    """Messages dated in UID order (some sharing a date) with ids from a small pool, so
    that duplicates, references to later or missing ids, loops, self-references and
    reference-less "Re:" replies all come up."""
    pool = [f"<{n}@x>" for n in range(count + 5)]
    subjects = ["Plans", "Trip", "Lunch", "Re: Plans", "Re: Trip", "Aw: Lunch", ""]
    rows = []
    date = 1_700_000_000
    for uid in range(1, count + 1):
        date += rng.choice([0, 60, 60, 3600])
        own = rng.choice([*pool[: uid + 3], "", "no-brackets", pool[uid]])
        refs = " ".join(rng.sample(pool, rng.randint(0, 3))) if rng.random() < 0.6 else ""
        reply_to = rng.choice(pool) if rng.random() < 0.2 else ""
        subject = rng.choice(subjects)
        row = SummaryRow(
            uid, date, "Ann", "ann@x", "", "", subject, own, reply_to, refs, 100, 0, "", 0, 0
        )
        rows.append(row)
    return rows


def _from_scratch(store: Store, folder_id: int, sort: SortSpec = DEFAULT_SORT) -> list[str]:
    fields = list(store.thread_fields(folder_id))
    ranks = None
    if sort.key != DEFAULT_SORT.key:
        ranks = {uid: n for n, uid in enumerate(store.ordered_uids(folder_id, sort=sort.natural))}
    return drawn(thread_messages(fields, ranks, reverse=sort.reverse, chronological=True))


def _look(store: Store, folder_id: int, sort: SortSpec = DEFAULT_SORT) -> list[str]:
    """A threaded look as the background thread makes it, then its saving waited for."""
    shown = drawn(thread_memory.remembered_threads(store, folder_id, sort))
    background_thread("thread-saving").submit(lambda: None).result()
    return shown


def _reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The `above_uid` of every read of the folder's headers from now on."""
    read_above: list[int] = []
    reading = store.thread_fields

    def spy(folder: int, *, unread_only: bool = False, above_uid: int = 0) -> Iterator[object]:
        read_above.append(above_uid)
        return reading(folder, unread_only=unread_only, above_uid=above_uid)

    monkeypatch.setattr(store, "thread_fields", spy)
    return read_above


@pytest.mark.parametrize("seed", range(12))
def test_threads_kept_then_extended_in_later_sessions_equal_threading_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    rows = _random_rows(rng, rng.randint(20, 70))
    cuts = sorted(rng.sample(range(1, len(rows)), 3))
    path = tmp_path / "cache.db"
    start = 0
    for session, cut in enumerate([*cuts, len(rows)]):
        store = Store(path)  # a new session: nothing kept in memory
        folder_id = store.ensure_folder("INBOX")
        store.add_summaries(folder_id, rows[start:cut])
        read_above = _reads(store, monkeypatch)
        shown = _look(store, folder_id)
        if session:  # only the new messages were read, the rest came from the cache
            assert read_above == [rows[start - 1].uid]
        assert shown == _from_scratch(store, folder_id)
        again = Store(path)  # the next session, nothing new: the order as it was kept
        read_above = _reads(again, monkeypatch)
        assert _look(again, folder_id) == shown
        assert read_above == []
        sort = SortSpec(SortKey.SUBJECT, reverse=bool(seed % 2))
        by_subject = _look(again, folder_id, sort)
        assert read_above == []  # another order made from the kept links
        assert by_subject == _from_scratch(again, folder_id, sort)
        again.close()
        store.close()
        start = cut


def _folder(tmp_path: Path, count: int = 30) -> tuple[Path, int, list[str]]:
    """A cache whose INBOX's threads were kept by a first session."""
    path = tmp_path / "cache.db"
    store = Store(path)
    folder_id = store.ensure_folder("INBOX")
    store.save_sync_state(folder_id, 7, None, None)
    store.add_summaries(folder_id, _random_rows(random.Random(99), count))
    shown = _look(store, folder_id)
    store.close()
    return path, folder_id, shown


def _damage(path: Path, statement: str) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute(statement)
    db.close()


@pytest.mark.parametrize(
    "statement",
    [
        # a blob cut short, one with a byte changed, an empty one
        "UPDATE thread_saved_data SET data = substr(data, 1, length(data) - 9)",
        "UPDATE thread_saved_data SET data = substr(data, 1, 40) || x'ff' || substr(data, 42)",
        "UPDATE thread_saved_data SET data = x''",
        "DELETE FROM thread_saved_data WHERE id % 2 = 1",  # the order gone, the links left
        "UPDATE thread_saved SET format = 'another layout'",
        "UPDATE thread_saved SET count = count - 1",  # says less than the folder holds
        "DROP TRIGGER thread_saved_removal",  # a tool dropped it: the rows cannot be trusted
        "DROP TRIGGER thread_saved_reset",
        "DROP TABLE thread_removed",
    ],
)
def test_a_kept_state_that_does_not_fit_is_threaded_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, statement: str
) -> None:
    path, folder_id, shown = _folder(tmp_path)
    _damage(path, statement)
    store = Store(path)
    assert store.rebuilt is None  # never a reason to set the cache aside
    read_above = _reads(store, monkeypatch)
    assert _look(store, folder_id) == shown
    assert read_above == [0]  # threaded from scratch
    store.close()
    again = Store(path)  # the look kept its threads again, whole
    read_above = _reads(again, monkeypatch)
    assert _look(again, folder_id) == shown
    assert read_above == []
    again.close()


def test_kept_links_that_do_not_fit_their_extension_are_threaded_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, folder_id, _shown = _folder(tmp_path)
    store = Store(path)
    later = [row._replace(date=row.date + 10**7) for row in _random_rows(random.Random(4), 40)]
    store.add_summaries(folder_id, later[30:])
    tried: list[int] = []

    def unfit(*_args: object) -> None:
        tried.append(1)
        raise IndexError("a container out of range")

    monkeypatch.setattr(thread_memory, "grow", unfit)
    read_above = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert tried and read_above == [30, 0]  # extended, then read whole when it did not fit
    assert shown == _from_scratch(store, folder_id)
    store.close()


def test_a_few_new_messages_are_not_written_again_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thread_memory, "RESAVE_AFTER", 5)
    path, folder_id, _shown = _folder(tmp_path)
    later = [row._replace(date=row.date + 10**7) for row in _random_rows(random.Random(4), 40)]
    store = Store(path)
    for end in (33, 35, 36):  # 3, 5, then 6 new since what the cache has
        store.add_summaries(folder_id, later[30:end])
        _look(store, folder_id)
        saved = store.saved_threads.saved(folder_id)
        assert saved is not None and saved.size == (30 if end < 35 else 35)
    store.close()
    store = Store(path)  # a new session extends what was written with what came since
    read_above = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert read_above == [35]
    assert shown == _from_scratch(store, folder_id)
    store.close()


def test_a_changed_folder_is_threaded_again_and_its_new_state_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, folder_id, _shown = _folder(tmp_path)
    store = Store(path)
    store.delete_uids(folder_id, [5])  # a removal: taken out where exact, else read whole
    read_above = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert read_above in ([], [0])
    assert shown == _from_scratch(store, folder_id)
    # A message older than the newest kept (a late copy): read whole again, then kept.
    old = _random_rows(random.Random(3), 1)[0]._replace(uid=5, date=1_600_000_000)
    store.add_summaries(folder_id, [old])
    store.close()
    store = Store(path)
    read_above = _reads(store, monkeypatch)
    shown = _look(store, folder_id)
    assert read_above == [0]
    assert shown == _from_scratch(store, folder_id)
    store.close()


def test_a_uidvalidity_reset_forgets_the_kept_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, folder_id, _shown = _folder(tmp_path)
    _damage(path, "UPDATE folders SET uidvalidity = 8")  # as if written by another client
    store = Store(path)
    read_above = _reads(store, monkeypatch)
    _look(store, folder_id)
    assert read_above == [0]
    store.reset_folder(folder_id)  # what a sync does on a new UIDVALIDITY
    (kept,) = store._read.execute("SELECT count(*) FROM thread_saved").fetchone()
    assert kept == 0
    store.close()


def test_a_folder_in_its_first_pass_is_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    store = Store(path)
    folder_id = store.ensure_folder("INBOX")
    store.begin_first_pass(folder_id, 7)  # older messages are still to come
    store.add_summaries(folder_id, _random_rows(random.Random(5), 10))
    _look(store, folder_id)
    (kept,) = store._read.execute("SELECT count(*) FROM thread_saved").fetchone()
    assert kept == 0
    store.close()


def test_a_schema_5_cache_gets_the_table_and_keeps_its_rows(tmp_path: Path) -> None:
    path, folder_id, shown = _folder(tmp_path)
    db = sqlite3.connect(path)
    db.executescript(
        "DROP TRIGGER thread_saved_removal; DROP TRIGGER thread_saved_reset;"
        " DROP TABLE thread_saved; DROP TABLE thread_saved_data; DROP TABLE thread_removed;"
        " PRAGMA user_version = 5;"
    )
    db.close()
    store = Store(path)
    assert store.rebuilt is None
    (version,) = store._read.execute("PRAGMA user_version").fetchone()
    assert version == 6
    assert store.count(folder_id) == 30
    assert _look(store, folder_id) == shown
    store.close()
    store = Store(path)
    assert store.saved_threads.saved(folder_id) == thread_saved.Saved(30, 30)
    store.close()


def test_keys_are_the_same_in_another_process() -> None:
    """A new process seeds the string hash anew: the kept keys must not depend on it."""
    values = ["<1.abc@mail.example.com>", "Café tomorrow?", ""]
    script = f"from tui_mail.core.store.thread_links import key;print([key(v) for v in {values!r}])"
    found = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    assert found.strip() == str([key(value) for value in values])
    assert key("") == 0
