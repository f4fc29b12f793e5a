"""A real first sync against Dovecot, cut short and resumed: its rows are not queued for
the index one by one but indexed in bulk once the pass is complete, and a local search
finds exactly the cached messages that match at every step (cut short, resumed, indexed)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.test_sync_resume import Interrupted, interrupt_after
from tests.support.accounts import imap_account
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.imap.backend import ImapBackend
from tui_mail.core.imap.session import ImapSession
from tui_mail.core.imap.sync import sync_folder
from tui_mail.core.query import parse_query
from tui_mail.core.store.cache import Store


@pytest.fixture
def session(dovecot: DovecotServer, mail_user: MailUser):  # type: ignore[no-untyped-def]
    backend = ImapBackend(imap_account(dovecot, mail_user), lambda: mail_user.password)
    backend.connect()
    yield backend.session
    backend.close()


def _found(store: Store, text: str) -> list[int]:
    return sorted(uid for _folder, uid, _date in CacheView("a", store).find(parse_query(text)))


def _expected(store: Store, word: str) -> list[int]:
    """The cached messages whose subject holds `word` (the only place it is put)."""
    summaries = store.summaries(store.folder_id("INBOX"))
    return sorted(s.uid for s in summaries if word in s.subject.casefold())


def _queued(store: Store) -> int:
    (count,) = store._read.execute("SELECT count(*) FROM search_todo").fetchone()
    return int(count)


def test_a_first_sync_cut_short_resumed_and_indexed_is_searched_exactly(
    dovecot: DovecotServer, mail_user: MailUser, session: ImapSession, tmp_path: Path
) -> None:
    subjects = [f"M{i}" + (" Quarterly" if i % 7 == 0 else "") for i in range(600)]
    dovecot.deliver(mail_user, [make_message(i, subject=s) for i, s in enumerate(subjects)])
    path = tmp_path / "cache.sqlite3"
    store = Store(path)
    with pytest.raises(Interrupted):
        sync_folder(session, store, "INBOX", first_batch=100, progress=interrupt_after(100))
    assert len(store.uids(store.folder_id("INBOX"))) == 100
    assert _queued(store) == 0  # the first pass queued nothing
    assert _found(store, "quarterly") == _expected(store, "quarterly") != []
    # A kill: the store is never closed; the next start opens the same file.
    store._indexer.stop()
    again = Store(path)
    try:
        assert _found(again, "quarterly") == _expected(again, "quarterly")
        sync_folder(session, again, "INBOX")  # resumed, completed
        expected = _expected(again, "quarterly")
        assert len(expected) == 86
        assert _found(again, "quarterly") == expected  # right after: exact
        deadline = time.monotonic() + 30
        while again.full_text.backlog():
            assert time.monotonic() < deadline, "the index never caught up"
            time.sleep(0.02)
        assert _queued(again) == 0
        indexed = again.full_text.find([again.folder_id("INBOX")], parse_query("quarterly"))
        assert indexed is not None
        assert sorted(uid for _f, uid, _d in indexed) == expected
    finally:
        again.close()
        store.close()
