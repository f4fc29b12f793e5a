"""The whole answer's order and its index look-up (core/store/fts_search.py): hits sorted
in Python rather than by SQL come out exactly as SQL's ORDER BY date DESC, uid DESC put
them, whatever order the index hands them over in; the few trigrams looked up still
cover every word; words of one or two letters found through the index's vocabulary
(core/store/fts_short.py) are exactly what the matcher finds."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.support.dovecot import make_message
from tests.unit.test_fts import _indexed, _matcher
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.query import parse_query
from tui_mail.core.store import fts_short
from tui_mail.core.store.cache import Store
from tui_mail.core.store.fts_search import newest_first, split, trigrams


def _expected(found: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """(date, uid) newest first: what SQL's ORDER BY gave (folders of a tie in any order)."""
    return [(date, uid) for _folder, uid, date in sorted(found, key=lambda h: (-h[2], -h[1]))]


def test_hits_of_one_folder_come_out_newest_first_in_any_input_order() -> None:
    chance = random.Random(17)
    for order in ("ascending", "descending", "shuffled"):
        # Dates before 1970 and past 2106, UIDs past 32 bits, many equal dates.
        dates = [chance.choice((-86_400, 0, 5, 1_700_000_000, 2**33, 2**40)) for _ in range(500)]
        uids = chance.sample(range(1, 2**34), 500)
        found = sorted(zip((7,) * 500, uids, dates, strict=True), key=lambda h: (h[2], h[1]))
        if order == "descending":
            found.reverse()
        elif order == "shuffled":
            chance.shuffle(found)
        hits = newest_first([h[1] for h in found], [h[2] for h in found], None, 7)
        assert [(date, uid) for _f, uid, date in hits] == _expected(found), order
        assert {folder for folder, _uid, _date in hits} == {7}
        assert sorted(hits) == sorted(found)  # every hit, once


def test_hits_of_many_folders_keep_their_folder() -> None:
    chance = random.Random(4)
    # The same UIDs and dates in several folders (a message copied): ties across folders.
    found = [
        (folder, uid, 1_700_000_000 + uid // 3) for folder in (1, 2, 9) for uid in range(1, 200)
    ]
    chance.shuffle(found)
    hits = newest_first([h[1] for h in found], [h[2] for h in found], [h[0] for h in found], 1)
    assert sorted(hits) == sorted(found)
    assert [(date, uid) for _f, uid, date in hits] == _expected(found)


def test_a_negative_uid_is_still_sorted() -> None:
    found = [(1, -5, 10), (1, 3, 10), (1, 2, 11)]
    hits = newest_first([h[1] for h in found], [h[2] for h in found], None, 1)
    assert hits == [(1, 2, 11), (1, 3, 10), (1, -5, 10)]


def test_trigrams_cover_every_letter_of_each_word_piece() -> None:
    assert trigrams(["quarterly"]) == ["qua", "rte", "rly"]
    assert trigrams(["abcd"]) == ["abc", "bcd"]
    assert trigrams(["ab", "x"]) == []  # too short: the documents are read instead
    for word in ("design review", "a<bcd>efgh", "ümlaut-straße", "004242", "abcdefg"):
        grams = trigrams([word])
        for piece in (p for p in word.replace("<", " ").replace(">", " ").split() if len(p) >= 3):
            covered = set()
            for gram in grams:
                start = piece.find(gram)
                while start >= 0:
                    covered |= set(range(start, start + 3))
                    start = piece.find(gram, start + 1)
            assert covered == set(range(len(piece))), (word, piece, grams)


SHORT_QUERIES = ["bu", "b", "u", "zq", "q", "qz", "é", "ü", "subject:bu", "from:q",
                 "body:zq", "bu is:flagged", "b zq", "x<bu", "ab", "zz", "x"]  # fmt: skip


def _short_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "cache.sqlite3")
    for name, offset in (("INBOX", 0), ("Archive", 100)):
        folder = store.ensure_folder(name)
        rows = [
            # Short words at the very end of a text, inside words, alone (a name "q").
            _row(offset + 1, subject="Plan bu", name="q"),
            _row(offset + 2, subject="xb", flags=4),
            _row(offset + 3, subject="Budget", name="Ann"),
            _row(offset + 4, subject="Grüße é", name="x<bu"),
            _row(offset + 5, subject="nothing here"),
            _row(offset + 6, subject="cached body"),
            # Enough messages without the short words that the index is the fast way.
            *(_row(offset + 10 + i, subject="nothing here") for i in range(40)),
        ]
        store.add_summaries(folder, rows)
        # A cached body whose text ends with the word: its document ends with it.
        store.save_body(folder, offset + 6, make_message(6, body="see zq"))
    deadline = time.monotonic() + 20
    while store.full_text.backlog():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return store


def _row(uid: int, *, subject: str, name: str = "", flags: int = 0) -> SummaryRow:
    return SummaryRow(
        uid, 1704067200 + uid * 60, name, f"p{uid}@example.org", "me@example.com", "",
        subject, f"<{uid}@x>", "", "", 100, flags, "", 0, 0,
    )  # fmt: skip


@pytest.mark.parametrize("most", [fts_short.MOST_TERMS, 1])
def test_words_of_one_or_two_letters_find_what_the_matcher_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, most: int
) -> None:
    monkeypatch.setattr(fts_short, "MOST_TERMS", most)  # 1: too many pieces, read them all
    store = _short_store(tmp_path)
    try:
        (body,) = store._read.execute("SELECT body FROM search_docs WHERE body != ''").fetchone()
        assert body.endswith("zq")  # the case the index alone would miss
        narrowed = set()
        folders = [store.folder_id("INBOX"), store.folder_id("Archive")]
        for text in SHORT_QUERIES:
            query = parse_query(text)
            expected = _matcher(store, query)
            assert _indexed(store, query) == expected, text
            pieces = fts_short.short_pieces([w for _e, w in split(query)[0]])  # type: ignore[index]
            if fts_short.groups(store._read, pieces, folders) is not None:
                narrowed.add(text)
        # Rare short words through the index's vocabulary; "x" (in every address) not.
        rare = {"bu", "b", "zq", "q", "é", "ü", "subject:bu", "body:zq", "from:q", "zz"}
        if most > 1:
            assert rare <= narrowed and "x" not in narrowed
        else:  # one trigram allowed: some read the documents
            assert narrowed < set(SHORT_QUERIES)
    finally:
        store.close()
