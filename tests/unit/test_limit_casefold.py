"""A limit finds what the search's matcher finds, also where casefold writes a letter out as
ASCII ones (ß as ss, ﬁ as fi, the Kelvin sign as k): SQLite's LIKE never sees those, so
its narrowing must not drop them (GRÜSSE, grüsse and Grüße are one word to the matcher)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.query import matcher, parse_query
from tui_mail.core.store import matching
from tui_mail.core.store.cache import Store

SUBJECTS = [
    "Grüße aus Köln", "GRÜSSE aus Bonn", "grüsse zurück", "Straße", "STRASSE", "strasse",
    "Maßstab", "ẞ GROSS", "Be\u017ft wi\u017fhes", "ﬁle and ﬂow", "oﬃce", "ﬆar", "10 \u212a cold",
    "İstanbul", "ŉ odd", "ǰob", "plain text", "Fuß und Fuss",
]  # fmt: skip
WORDS = [
    "grüsse", "GRÜSSE", "grüße", "Grüße", "grusse", "strasse", "STRASSE", "straße", "ss",
    "massstab", "maßstab", "gross", "best wishes", "wishes", "file", "FILE", "flow", "office",
    "ffi", "star", "st", "10 k", "k cold", "istanbul", "i̇stanbul", "n odd", "\u02bcn", "job", "ǰ",
    "fuss", "fuß und", "plain", "zzz", "s", "i",
]  # fmt: skip


def _row(uid: int, subject: str) -> SummaryRow:
    # The sender too: a plain word looks at every column of the summary.
    sender = subject.split(maxsplit=1)[0]
    return SummaryRow(uid, 1_700_000_000 + uid, sender, f"u{uid}@example.org", "me@example.org",
                      "", subject, f"<{uid}@x>", "", "", 100, 0, "", 0, 0)  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "cache.sqlite3")
    folder = opened.ensure_folder("INBOX")
    opened.add_summaries(folder, [_row(uid, s) for uid, s in enumerate(SUBJECTS, 1)])
    yield opened
    opened.close()


def _matched(store: Store, text: str) -> list[int]:
    """What the matcher alone says of every cached message, newest first."""
    folder_id = store.folder_id("INBOX")
    (rows,) = store._read.execute(
        "SELECT json_group_array(json_array(uid, date, flags, from_name, from_addr, to_addrs,"  # noqa: S608
        f" cc_addrs, subject, message_id, {matching.HAS_BODY})) FROM (SELECT * FROM messages"
        " WHERE folder_id = ? ORDER BY date DESC, uid DESC) m",
        (folder_id,),
    ).fetchone()
    test = matcher(parse_query(text))
    return [row[0] for row in json.loads(rows)
            if test(matching.CachedMessage(store._read, folder_id, row))]  # fmt: skip


@pytest.mark.parametrize("field", ["subject:", "from:", ""])
def test_the_limit_finds_what_the_matcher_finds(store: Store, field: str) -> None:
    view = CacheView("a", store)
    found = 0
    for word in WORDS:
        text = f'{field}"{word}"'
        expected = _matched(store, text)
        assert view.matching("INBOX", parse_query(text)) == expected, text
        found += bool(expected)
    assert found > len(WORDS) // 2  # the words do find things


def test_grusse_is_found_however_it_is_written(store: Store) -> None:
    view = CacheView("a", store)
    for word in ("grüsse", "GRÜSSE", "Grüße"):
        subjects = {SUBJECTS[uid - 1] for uid in view.matching("INBOX", parse_query(word)) or []}
        assert subjects == {"Grüße aus Köln", "GRÜSSE aus Bonn", "grüsse zurück"}, word
    hits = view.matching("INBOX", parse_query("subject:strasse")) or []
    assert {SUBJECTS[uid - 1] for uid in hits} == {"Straße", "STRASSE", "strasse"}


def test_the_table_of_expanding_letters_is_whole() -> None:
    """Every letter beyond ASCII whose casefold holds an ASCII one is in the table, as
    casefold writes it out (a newer Python's Unicode could add one)."""
    expanding = {}
    for code in range(0x80, 0x110000):
        folded = chr(code).casefold()
        if any(char.isascii() for char in folded):
            expanding[chr(code)] = folded
    assert expanding == matching._EXPANDS
