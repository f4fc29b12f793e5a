"""An interrupted first sync heals: phantoms go, and the pass resumes where it stopped.

The interruption is a progress callback that raises after the first committed batch: the
same state a kill leaves (rows committed, sync state not recorded). The kill -9 loop
against a real `tui-mail sync` process is in test_cache_faults.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.accounts import imap_account, other_client
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.core.imap.backend import ImapBackend
from tui_mail.core.imap.flags import parse_flags
from tui_mail.core.imap.session import ImapSession
from tui_mail.core.imap.sync import sync_folder
from tui_mail.core.store.cache import Store


class Interrupted(Exception):
    pass


def interrupt_after(rows: int):  # type: ignore[no-untyped-def]
    def progress(done: int, total: int) -> None:
        if done >= rows:
            raise Interrupted

    return progress


def server_state(
    server: DovecotServer, user: MailUser, folder: str = "INBOX"
) -> dict[int, tuple[int, str]]:
    """UID -> (flag bits, keywords), as the server says: UID SEARCH ALL + FETCH FLAGS."""
    client = other_client(server, user)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, ["FLAGS"]) if uids else {}
        return {
            uid: parse_flags(tuple(f for f in data[b"FLAGS"] if f != b"\\Recent"))
            for uid, data in fetched.items()
        }
    finally:
        client.logout()


def cache_state(store: Store, folder: str = "INBOX") -> dict[int, tuple[int, str]]:
    folder_id = store.folder_id(folder)
    return {m.uid: (int(m.flags), " ".join(m.keywords)) for m in store.summaries(folder_id)}


@pytest.fixture
def session(dovecot: DovecotServer, mail_user: MailUser):  # type: ignore[no-untyped-def]
    backend = ImapBackend(imap_account(dovecot, mail_user), lambda: mail_user.password)
    backend.connect()
    yield backend.session
    backend.close()


def test_interrupted_first_sync_resumes_and_drops_what_the_server_expunged(
    dovecot: DovecotServer, mail_user: MailUser, session: ImapSession, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i}") for i in range(600)])
    store = Store(tmp_path / "cache.sqlite3")
    with pytest.raises(Interrupted):
        sync_folder(session, store, "INBOX", first_batch=100, progress=interrupt_after(100))
    cached_before = store.uids(store.folder_id("INBOX"))
    assert len(cached_before) == 100  # the newest 100, committed before the cut

    # Meanwhile another client expunges 10 cached messages, flags 5, and new mail arrives.
    client = other_client(dovecot, mail_user)
    client.select_folder("INBOX")
    client.delete_messages(cached_before[:10])
    client.expunge()
    client.add_flags(cached_before[20:25], [b"\\Flagged"])
    client.logout()
    dovecot.deliver(mail_user, [make_message(1000 + i, subject=f"N{i}") for i in range(5)])

    session.close()
    session.connect()
    resumed = sync_folder(session, store, "INBOX", first_batch=100)
    assert resumed.method == "resume"
    # Only the headers not cached yet were fetched: 600 - 100 + 5 new, not 595.
    assert resumed.new == 505
    assert resumed.vanished == 10
    assert cache_state(store) == server_state(dovecot, mail_user)

    # Later syncs are incremental (QRESYNC) and still match: no phantom left behind.
    client = other_client(dovecot, mail_user)
    client.select_folder("INBOX")
    victims = sorted(cache_state(store))[100:103]
    client.delete_messages(victims)
    client.expunge()
    client.logout()
    later = sync_folder(session, store, "INBOX")
    assert later.method == "qresync"
    assert cache_state(store) == server_state(dovecot, mail_user)
    store.close()


def test_first_pass_rows_from_another_uidvalidity_are_dropped(
    dovecot: DovecotServer, mail_user: MailUser, session: ImapSession, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i}") for i in range(50)])
    store = Store(tmp_path / "cache.sqlite3")
    with pytest.raises(Interrupted):
        sync_folder(session, store, "INBOX", first_batch=10, progress=interrupt_after(10))
    folder_id = store.folder_id("INBOX")
    # The unfinished pass was made under another UIDVALIDITY: its rows mean nothing now.
    with store._transaction() as db:
        db.execute("UPDATE folders SET partial_uidvalidity = 1 WHERE id = ?", (folder_id,))
    result = sync_folder(session, store, "INBOX", first_batch=10)
    assert result.method == "full"
    assert cache_state(store) == server_state(dovecot, mail_user)
    store.close()


def test_a_cache_of_the_old_layout_loses_its_phantoms_without_refetching(
    dovecot: DovecotServer, mail_user: MailUser, session: ImapSession, tmp_path: Path
) -> None:
    """Caches written before the fix may hold phantoms already: the migration to schema 3
    makes the next sync of each folder a reconciling pass (headers are not fetched again)."""
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i}") for i in range(40)])
    path = tmp_path / "cache.sqlite3"
    store = Store(path)
    sync_folder(session, store, "INBOX")
    folder_id = store.folder_id("INBOX")
    phantom = store.summaries(folder_id)[0]
    store.close()
    client = other_client(dovecot, mail_user)
    client.select_folder("INBOX")
    client.delete_messages([phantom.uid])
    client.expunge()
    client.logout()
    # What version 2 left behind: the row stays, the state says "complete", and the
    # server's HIGHESTMODSEQ is recorded as if the expunge had been seen.
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE folders DROP COLUMN partial_uidvalidity")
    db.execute("UPDATE folders SET highestmodseq = highestmodseq + 1")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()

    store = Store(path)
    session.close()
    session.connect()
    healed = sync_folder(session, store, "INBOX")
    assert (healed.method, healed.new, healed.vanished) == ("resume", 0, 1)
    assert cache_state(store) == server_state(dovecot, mail_user)
    store.close()
