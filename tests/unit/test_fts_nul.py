"""A NUL in a cached message's text: FTS5's trigram tokenizer stops at one, so the words
after it were missing from the index and local search did not find them (the matcher
does). New documents index them; a cache written before is queued again once."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from tests.unit.test_fts import _row
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.query import parse_query
from tui_mail.core.store.cache import Store

RAW = (
    b"From: Ann <ann@example.org>\r\nTo: me@example.com\r\nSubject: plain\r\n"
    b"Message-ID: <nul@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"before\x00 hiddenword after\r\n"
)


def _settled(store: Store) -> None:
    deadline = time.monotonic() + 20
    while store.full_text.backlog():
        assert time.monotonic() < deadline, "the index never caught up"
        time.sleep(0.02)


def _found(store: Store, text: str) -> list[int]:
    return [hit[1] for hit in CacheView("a", store).find(parse_query(text), ["INBOX"])]


def _filled(path: Path) -> Store:
    store = Store(path)
    folder_id = store.ensure_folder("INBOX")
    store.add_summaries(folder_id, [_row(uid, uid, uid) for uid in range(1, 6)])
    store.save_body(folder_id, 3, RAW)
    _settled(store)
    return store


def test_a_word_after_a_nul_is_found_through_the_index(tmp_path: Path) -> None:
    store = _filled(tmp_path / "cache.sqlite3")
    try:
        assert store.full_text.backlog() == 0  # the index answers, not the matcher
        assert _found(store, "hiddenword") == [3]
        assert _found(store, "body:after") == [3]
        assert _found(store, "before") == [3]
    finally:
        store.close()


def test_a_document_an_older_version_indexed_up_to_its_nul_is_indexed_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cache.sqlite3"
    _filled(path).close()
    # What the last version left: the document with its NUL, indexed up to it, schema 5.
    db = sqlite3.connect(path)
    (doc_id, joined) = db.execute(
        "SELECT id, name || char(10) || addr || char(10) || recipients || char(10) || cc"
        " || char(10) || subject || char(10) || headers || char(10) || body"
        " FROM search_docs WHERE uid = 3"
    ).fetchone()
    assert "\0" not in joined
    old_body = "before\0 hiddenword after\n"
    old_joined = joined[: joined.rindex("\n", 0, joined.index("before"))] + "\n" + old_body
    with db:
        db.execute(
            "INSERT INTO search_index (search_index, rowid, text) VALUES ('delete', ?, ?)",
            (doc_id, joined),
        )
        db.execute("UPDATE search_docs SET body = ? WHERE id = ?", (old_body, doc_id))
        db.execute("INSERT INTO search_index (rowid, text) VALUES (?, ?)", (doc_id, old_joined))
        db.execute("PRAGMA user_version = 5")
    db.close()
    store = Store(path)
    try:
        _settled(store)
        assert _found(store, "hiddenword") == [3]
        (body,) = store._read.execute("SELECT body FROM search_docs WHERE uid = 3").fetchone()
        assert "\0" not in body
        # The index is whole: every word of every document is still found through it.
        assert _found(store, "before") == [3]
    finally:
        store.close()
    # The old document was deleted with the tokens it had been indexed with.
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO search_index (search_index) VALUES ('integrity-check')")
