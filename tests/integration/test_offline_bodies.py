"""Bodies downloaded ahead for offline use (offline_days), against the real Dovecot: what
the cache holds afterwards, what the server's flags say, and what reads with it gone."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.integration.test_cli import config_text
from tests.integration.test_idle import Recorder, state_is
from tests.support.accounts import imap_account, other_client, server_flags
from tests.support.dovecot import DovecotFactory, DovecotServer, MailUser, make_message
from tui_mail.config import AccountConfig
from tui_mail.core.account.events import OfflineProgress
from tui_mail.core.account.service import AccountService
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.imap.backend import ImapBackend
from tui_mail.core.query import parse_query


class CountingImap(ImapBackend):
    """The IMAP backend, noting every batch asked for and every UID whose body it fetched
    in one (and, with `pause`, taking that long over each batch: a slow link)."""

    fetched: list[int]
    pause = 0.0

    def __init__(self, account: AccountConfig, secret: SecretSource) -> None:
        super().__init__(account, secret)
        self.fetched = []
        self.asked: list[list[int]] = []
        """Every batch asked for, fetched or not."""

    def fetch_raw_many(self, folder: str, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        self.asked.append(uids)
        time.sleep(self.pause)
        for uid, raw in super().fetch_raw_many(folder, uids):
            self.fetched.append(uid)
            yield uid, raw


Opener = Callable[..., tuple[AccountService, CountingImap]]


@pytest.fixture
async def open_service(tmp_path: Path, mail_user: MailUser) -> AsyncIterator[Opener]:
    """Services on one cache directory, each with a CountingImap; closed at the end."""
    made: list[AccountService] = []

    def open_one(
        account: AccountConfig, user: MailUser = mail_user
    ) -> tuple[AccountService, CountingImap]:
        backend = CountingImap(account, lambda: user.password)
        service = AccountService(
            account,
            tmp_path / "data",
            secret=lambda: user.password,
            backend_factory=lambda _a, _s: backend,
        )
        made.append(service)
        return service, backend

    yield open_one
    for service in made:
        await service.close()


def days_ago(days: float) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(days=days))


def recent_and_old(server: DovecotServer, user: MailUser, recent: int, old: int) -> None:
    """`recent` messages of the last days (words rekentwo0, rekentwo1 ... in their bodies
    only), newest last, and `old` ones from 2024 (oldword0 ...)."""
    server.deliver(
        user,
        [
            make_message(100 + i, date=days_ago(recent - i), body=f"Hello rekentwo{i}\n")
            for i in range(recent)
        ]
        + [make_message(i, body=f"Hello oldword{i}\n") for i in range(old)],
        flags=lambda i: "S" if i == 0 else "",  # one read already: it must stay read
    )


def offline(server: DovecotServer, user: MailUser, days: int = 30) -> AccountConfig:
    return dataclasses.replace(imap_account(server, user), offline_days=days)


def cached_bodies(service: AccountService, folder: str = "INBOX") -> dict[int, bytes]:
    """UID -> cached body, for the messages of `folder` whose body is cached."""
    folder_id = service.store.folder_id(folder)
    found = {}
    for message in service.messages(folder):
        body = service.store.body(folder_id, message.uid)
        if body is not None:
            found[message.uid] = body
    return found


def uid_of(service: AccountService, i: int) -> int:
    """The UID of make_message(i) in the cached INBOX, found by its Message-ID."""
    message_id = make_message(i).split(b"\nMessage-ID: ", 1)[1].split(b"\n", 1)[0].decode()
    return next(m.uid for m in service.messages("INBOX") if m.message_id == message_id)


async def test_recent_bodies_are_cached_and_old_ones_not_without_marking_them_read(
    dovecot: DovecotServer, mail_user: MailUser, open_service: Opener
) -> None:
    recent_and_old(dovecot, mail_user, recent=6, old=4)
    dovecot.deliver(mail_user, [make_message(200, date=days_ago(1))], folder="Trash")
    flags_before = server_flags(dovecot, mail_user, "INBOX")
    service, backend = open_service(offline(dovecot, mail_user))
    await service.refresh_folders()
    await service.sync("INBOX")
    await service.sync("Trash")

    done = await service.offline_bodies.download()

    assert done.finished and done.done == 6
    bodies = cached_bodies(service)
    assert len(bodies) == 6
    assert all(b"rekentwo" in body for body in bodies.values())
    assert cached_bodies(service, "Trash") == {}  # thrown away: not downloaded ahead
    assert len(backend.fetched) == 6
    # BODY.PEEK: what was unread on the server is unread still (and the read one read).
    assert server_flags(dovecot, mail_user, "INBOX") == flags_before
    assert any(b"\\Seen" in flags for flags in flags_before.values())
    # Nothing left: a second run asks the server for nothing.
    await service.offline_bodies.download()
    assert len(backend.fetched) == 6


async def test_an_interrupted_download_resumes_with_only_what_is_missing(
    dovecot: DovecotServer, mail_user: MailUser, open_service: Opener
) -> None:
    recent_and_old(dovecot, mail_user, recent=7, old=2)
    account = offline(dovecot, mail_user)
    first, first_backend = open_service(account)
    await first.sync("INBOX")
    first.offline_bodies.batch_messages = 2
    # Two batches, then the app is closed.
    assert await first.link.run(first.offline_bodies.fetch_batch)
    assert await first.link.run(first.offline_bodies.fetch_batch)
    await first.close()
    assert len(first_backend.fetched) == 4
    # Delivered in date order, so the newest have the highest UIDs: fetched first.
    assert min(first_backend.fetched[:2]) > max(first_backend.fetched[2:])

    second, second_backend = open_service(account)
    await second.offline_bodies.download()

    assert len(second_backend.fetched) == 3
    assert not set(first_backend.fetched) & set(second_backend.fetched)
    assert len(cached_bodies(second)) == 7


async def test_cached_ahead_bodies_read_and_are_found_with_the_server_gone(
    dovecot_factory: DovecotFactory, open_service: Opener
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    recent_and_old(server, user, recent=3, old=2)
    service, _backend = open_service(offline(server, user), user)
    await service.sync("INBOX")
    await service.offline_bodies.download()
    uid = uid_of(service, 101)
    summary = service.summary("INBOX", uid)
    assert summary is not None

    server.stop()

    raw = await service.fetch_raw("INBOX", uid)  # no server: from the cache
    assert b"rekentwo1" in raw
    assert service.cache.find(parse_query("rekentwo1")) == [("INBOX", uid, summary.date)]
    assert service.cache.find(parse_query("oldword1")) == []  # old: not cached ahead


async def test_an_account_downloads_nothing_ahead_by_default(
    dovecot: DovecotServer, mail_user: MailUser, open_service: Opener
) -> None:
    recent_and_old(dovecot, mail_user, recent=3, old=0)
    account = imap_account(dovecot, mail_user)
    assert account.offline_days == 0
    service, backend = open_service(account)
    service.offline_bodies.start_delay = 0
    service.start_watching()
    await service.sync("INBOX")
    await asyncio.sleep(1)  # a run would have begun at once and fetched 3 bodies by now

    assert backend.fetched == []
    assert cached_bodies(service) == {}


async def test_in_the_background_the_users_reads_pass_the_download(
    dovecot: DovecotServer, mail_user: MailUser, open_service: Opener
) -> None:
    recent_and_old(dovecot, mail_user, recent=8, old=1)
    service, backend = open_service(offline(dovecot, mail_user))
    events = Recorder(service)
    ahead = service.offline_bodies
    ahead.start_delay, ahead.batch_messages, backend.pause = 0, 1, 0.5
    ahead.progress_interval = 0  # progress after each batch
    service.start_watching()
    await service.sync("INBOX")  # starts the run
    await events.wait(lambda e: isinstance(e, OfflineProgress))
    old_uid = uid_of(service, 0)

    started = time.monotonic()
    assert b"oldword0" in await service.fetch_raw("INBOX", old_uid)
    # Behind one batch at most (0.5 s), not the seven left of the run (3.5 s).
    assert time.monotonic() - started < 2.0
    assert not any(isinstance(e, OfflineProgress) and e.finished for e in events.events)

    end = await events.wait(lambda e: isinstance(e, OfflineProgress) and e.finished, 15)
    assert isinstance(end, OfflineProgress)
    assert end.done == 8 and "8 message(s) downloaded for offline use" in end.sentence()
    assert len(cached_bodies(service)) == 9  # the eight, and the one read


def test_the_cli_downloads_ahead_and_says_so(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    recent_and_old(dovecot, mail_user, recent=3, old=2)
    dovecot.deliver(mail_user, [make_message(300, date=days_ago(2))], folder="Lists")
    secret = tmp_path / "secret"
    secret.write_text(mail_user.password + "\n")
    config = tmp_path / "config.toml"
    text = config_text(dovecot, mail_user, secret)
    config.write_text(text)
    env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(tmp_path / "d"))

    def fetch_offline() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui_mail", "fetch", "--offline"],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip

    off = fetch_offline()
    assert off.returncode != 0 and "offline_days = 0" in off.stderr

    config.write_text(text.replace("[accounts.imap]", "offline_days = 30\n[accounts.imap]"))
    first = fetch_offline()
    assert first.returncode == 0, first.stderr
    # The three recent ones of INBOX and the one of Lists, a folder never opened before.
    assert first.stdout.strip() == "work: 4 message(s) downloaded for offline use"
    again = fetch_offline()
    assert again.stdout.strip() == "work: nothing to download"
    assert not any(b"\\Seen" in f for f in server_flags(dovecot, mail_user, "Lists").values())


async def test_big_messages_and_the_size_limit_are_respected(
    dovecot: DovecotServer, mail_user: MailUser, open_service: Opener
) -> None:
    filler = "x" * 76 + "\n"
    dovecot.deliver(
        mail_user,
        [make_message(i, date=days_ago(5 - i), body=filler * 5000) for i in range(3)]  # ~390 KB
        + [make_message(9, date=days_ago(0.5), body=filler * 8000)],  # ~620 KB, the newest
    )
    account = dataclasses.replace(
        imap_account(dovecot, mail_user, body_cache_max_bytes=500_000),
        offline_days=30,
        offline_max_mb=1,
    )
    service, backend = open_service(account)
    await service.sync("INBOX")

    done = await service.offline_bodies.download()

    # The big one is never fetched; of the others, the two newest fit in 1 MiB.
    assert sorted(backend.fetched) == [uid_of(service, 1), uid_of(service, 2)]
    assert done.finished and done.done == 2
    assert "offline_max_mb" in done.sentence()


async def test_a_message_expunged_meanwhile_does_not_stop_the_download(
    dovecot: DovecotServer, mail_user: MailUser, open_service: Opener
) -> None:
    recent_and_old(dovecot, mail_user, recent=4, old=0)
    service, backend = open_service(offline(dovecot, mail_user))
    await service.sync("INBOX")
    gone = uid_of(service, 102)
    client = other_client(dovecot, mail_user)  # another client deletes it: still cached here
    client.select_folder("INBOX")
    client.delete_messages([gone])
    client.expunge()
    client.logout()
    dovecot.deliver(mail_user, [make_message(1)], folder="Other")  # old: nothing to download
    await service.sync("Other")  # INBOX is selected anew: the message is gone there

    done = await asyncio.wait_for(service.offline_bodies.download(), 30)

    assert done.done == 3 and len(cached_bodies(service)) == 3
    assert gone not in backend.fetched


def offline_timers() -> list[threading.Thread]:
    """Threads waiting to begin a download ahead (OfflineBodies.kick's timer)."""
    threads = threading.enumerate()
    return [t for t in threads if t.name.startswith("offline bodies") and t.is_alive()]


async def test_quitting_stops_the_download_ahead_at_once(
    dovecot: DovecotServer, mail_user: MailUser, open_service: Opener
) -> None:
    """Quitting (abandon) in the START_DELAY after a sync: no run is left waiting to begin,
    none begins later, and the server is asked for no body."""
    recent_and_old(dovecot, mail_user, recent=5, old=0)
    service, backend = open_service(offline(dovecot, mail_user))
    service.offline_bodies.start_delay = 1.0
    service.start_watching()
    await service.sync("INBOX")  # a run is to begin in a second
    assert offline_timers()

    started = time.monotonic()
    service.abandon()
    assert time.monotonic() - started < 1.0  # quitting stays quick
    service.offline_bodies.kick()  # a watcher's late sync, say: after the quit, nothing
    await asyncio.sleep(0.1)  # a cancelled timer's thread ends at once
    assert offline_timers() == []
    await asyncio.sleep(1.5)  # past when the run would have begun
    assert backend.asked == []
    assert cached_bodies(service) == {}


async def test_a_short_run_in_the_background_says_nothing(
    dovecot: DovecotServer, mail_user: MailUser, open_service: Opener
) -> None:
    """The bodies of a little new mail: the new mail was told, its download is not."""
    recent_and_old(dovecot, mail_user, recent=3, old=0)
    service, _backend = open_service(offline(dovecot, mail_user))
    events = Recorder(service)
    service.offline_bodies.start_delay = 0
    service.start_watching()
    await service.sync("INBOX")
    deadline = time.monotonic() + 10
    while len(cached_bodies(service)) < 3:
        assert time.monotonic() < deadline, "the bodies were not downloaded"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # the run's end
    assert not [e for e in events.events if isinstance(e, OfflineProgress)]
    last = service.offline_bodies.last
    assert last is not None and last.finished and last.done == 3


async def test_the_download_stops_with_the_server_and_goes_on_after_the_reconnect(
    dovecot_factory: DovecotFactory, open_service: Opener
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    recent_and_old(server, user, recent=8, old=0)
    service, backend = open_service(offline(server, user), user)
    events = Recorder(service)
    ahead = service.offline_bodies
    ahead.start_delay, ahead.batch_messages, backend.pause = 0, 1, 0.3
    ahead.progress_interval = 0
    service.start_watching()
    await events.wait(state_is("idling"))
    await service.sync("INBOX")
    await events.wait(lambda e: isinstance(e, OfflineProgress))

    server.stop()
    await events.wait(state_is("offline"), 20)
    paused = await events.wait(lambda e: isinstance(e, OfflineProgress) and e.finished)
    assert isinstance(paused, OfflineProgress) and "paused" in paused.sentence()
    assert 0 < len(cached_bodies(service)) < 8

    server.start()
    service.reconnect_now()
    deadline = time.monotonic() + 20
    while len(cached_bodies(service)) < 8:
        assert time.monotonic() < deadline, f"{len(cached_bodies(service))} of 8 cached"
        await asyncio.sleep(0.1)
    assert len(backend.fetched) == len(set(backend.fetched)) == 8  # none fetched twice
