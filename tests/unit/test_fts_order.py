"""The whole answer's order and its index look-up (core/store/fts_search.py): hits sorted
in Python rather than by SQL come out exactly as SQL's ORDER BY date DESC, uid DESC put
them, whatever order the index hands them over in; and the few trigrams looked up still
cover every word."""

from __future__ import annotations

import random

from tui_mail.core.store.fts_search import newest_first, trigrams


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
