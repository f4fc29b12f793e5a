"""The newest hits first (core/store/fts_newest.py): what a first answer shows is exactly
the start of the whole search's answer (itself the matcher's, tests/unit/test_fts.py),
across folders and accounts, whatever the window walked; and a search can be stopped."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.test_fts import BODIES, DAY, QUERIES, _query, _row, _settled
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.account.local_search import (
    Hit,
    Scope,
    SearchStopped,
    search_local,
    search_newest,
)
from tui_mail.core.query import parse_query
from tui_mail.core.store import fts_newest, full_text
from tui_mail.core.store.cache import Store


def _fill(store: Store) -> None:
    """As tests/unit/test_fts.py's, but the Archive's mail three times as dense in time:
    the same number of newest messages spans other dates in each folder."""
    for folder, offset, step in (("INBOX", 0, DAY // 3), ("Archive", 7, DAY // 9)):
        folder_id = store.ensure_folder(folder)
        rows = [
            _row(uid, uid + offset, uid * 3 + offset, flags=(uid + offset) % 8,
                 when=1_704_067_200 + uid * step)
            for uid in range(1, 61)
        ]  # fmt: skip
        store.add_summaries(folder_id, rows)
        for uid, raw in zip((5, 17, 33), BODIES, strict=True):
            store.save_body(folder_id, uid + offset % 3, raw)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "cache.sqlite3")
    _fill(opened)
    _settled(opened)
    yield opened
    opened.close()


@pytest.fixture
def every_word_broad(monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk is tried for every word (else only for words the index finds often)."""
    monkeypatch.setattr(fts_newest, "BROAD", 0)


def _keys(hits: list[Hit]) -> list[tuple[str, str, int]]:
    return [(hit.account, hit.folder, hit.uid) for hit in hits]


def _dated(hits: list[Hit]) -> list[tuple[int, int]]:
    return [(hit.date, hit.uid) for hit in hits]


@pytest.mark.usefixtures("every_word_broad")
@pytest.mark.parametrize("window", [1, 7, 40, 1000])
@pytest.mark.parametrize("scope", [Scope.FOLDER, Scope.ACCOUNT])
def test_the_first_answer_starts_the_whole_answer(
    store: Store, monkeypatch: pytest.MonkeyPatch, window: int, scope: Scope
) -> None:
    monkeypatch.setattr(fts_newest, "WINDOW", window)
    monkeypatch.setattr(fts_newest, "ENOUGH", 3)
    caches = {"a": CacheView("a", store)}
    shown = complete = 0
    for text in QUERIES:
        query = _query(text)
        everything = search_local(caches, query, scope, account="a", folder="INBOX")
        for count in (1, 4, 30):
            first = search_newest(caches, query, scope, account="a", folder="INBOX", count=count)
            if first is None:
                continue
            hits, whole = first
            if whole:
                assert _dated(hits) == _dated(everything), text
                assert set(_keys(hits)) == set(_keys(everything)), text
                complete += 1
            else:
                assert hits, text
                assert len(hits) <= count, text
                # The same dates in the same order; messages of two folders with the same
                # date and UID may come in either order (as in the whole answer).
                assert _dated(hits) == _dated(everything[: len(hits)]), (text, count)
                assert set(_keys(hits)) <= set(_keys(everything)), text
                shown += 1
    # Both kinds of answer were checked: a part, and (where the window holds the whole
    # folder of 60 messages) all.
    assert shown
    assert complete or window < 60


@pytest.mark.usefixtures("every_word_broad")
def test_across_accounts_the_first_answer_merges_newest_first(tmp_path: Path) -> None:
    stores = [Store(tmp_path / f"{name}.sqlite3") for name in ("work", "home")]
    try:
        for offset, store in enumerate(stores):
            inbox = store.ensure_folder("INBOX")
            # Interleaved dates: each account holds every other budget, newest first.
            store.add_summaries(inbox, [_row(uid, 0, 0, when=1_704_067_200 + 2 * uid + offset)
                                        for uid in range(1, 41)])  # fmt: skip
            _settled(store)
        caches = {"work": CacheView("work", stores[0]), "home": CacheView("home", stores[1])}
        query = parse_query("budget")
        everything = search_local(caches, query, Scope.ALL)
        assert len(everything) == 80
        first = search_newest(caches, query, Scope.ALL, count=10)
        assert first is not None
        hits, whole = first
        assert not whole
        assert _keys(hits) == _keys(everything[:10])
        assert {hit.account for hit in hits} == {"work", "home"}
    finally:
        for store in stores:
            store.close()


def test_a_rare_word_or_an_index_behind_leave_it_to_the_whole_search(store: Store) -> None:
    cache = CacheView("a", store)
    # Few documents hold the word's trigrams: the index alone answers it in milliseconds.
    assert cache.newest(parse_query("tickets")) is None
    assert cache.newest(parse_query("is:unread")) is None  # no word: flags alone
    store._indexer.stop()
    store.add_summaries(store.folder_id("INBOX"), [_row(99, 0, 0)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fts_newest, "BROAD", 0)
        assert cache.newest(parse_query("budget"), ["INBOX"]) is None  # queued: the matcher
        assert cache.newest(parse_query("budget"), ["Archive"]) is not None


def test_a_stopped_search_raises_rather_than_answers(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = CacheView("a", store)
    query = parse_query("budget")
    stop = threading.Event()
    assert cache.find(query, stop=stop) == cache.find(query) != []
    stop.set()
    with pytest.raises(SearchStopped):
        cache.find(query, stop=stop)

    class StopsWhileReading(threading.Event):
        """Set once SQLite is seen reading (the progress handler asks it)."""

        def __init__(self) -> None:
            super().__init__()
            self.asked = 0

        def is_set(self) -> bool:
            self.asked += 1
            return self.asked > 1

    monkeypatch.setattr(full_text, "_STEPS", 1)
    stopping = StopsWhileReading()
    with pytest.raises(SearchStopped):
        cache.find(query, stop=stopping)
    assert stopping.asked > 2  # cut short inside SQLite, not before it began
    assert cache.find(query) != []  # the connection reads on afterwards
