"""The app with a damaged cache or a full disk: a sentence in the status bar and a
notification, never a traceback; the list ends up as the server has it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_cache_damage import damage_a_middle_page
from tests.integration.test_cli import config_text
from tests.integration.test_disk_faults import fill, integrity
from tests.support.accounts import imap_account, other_client, server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tests.ui.test_counts_ui import counts_agree
from tui_mail.core.account.events import CountsChanged
from tui_mail.core.account.service import AccountService, cache_path
from tui_mail.core.errors import DiskFull
from tui_mail.core.store.health import disk_full
from tui_mail.ui.main.account_sync import ServiceEvent


async def _earlier_session(dovecot: DovecotServer, user: MailUser, data_dir: Path) -> Path:
    earlier = AccountService(
        imap_account(dovecot, user, name="work"), data_dir, secret=lambda: user.password
    )
    await earlier.refresh_folders()
    await earlier.sync("INBOX")
    await earlier.close()
    return cache_path(data_dir, earlier.account)


def status_text(screen: object) -> str:
    return str(screen.status.query_one("#status-message").render())  # type: ignore[attr-defined]


async def test_damaged_page_found_at_start_is_set_aside_and_rebuilt(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i:03}") for i in range(300)])
    data_dir = tmp_path / "data"
    damage_a_middle_page(await _earlier_session(dovecot, mail_user, data_dir))

    app = make_app(mail_user, names=("work",), data_dir=data_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await wait_for(pilot, lambda: "cache was rebuilt from the server" in status_text(screen))
        assert "set aside as" in status_text(screen)
        assert any("rebuilt" in n.message for n in app._notifications)
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 300)
    assert app.return_code in (None, 0)
    assert list((data_dir / "cache").glob("*.damaged-*"))


async def test_damage_met_while_reading_rebuilds_refills_and_says_so(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    """Damage where the check at start does not look (a cached body): found on reading."""
    dovecot.deliver(
        mail_user, [make_message(i, subject=f"M{i:03}", body="b" * 3000) for i in range(120)]
    )
    data_dir = tmp_path / "data"
    earlier = AccountService(
        imap_account(dovecot, mail_user, name="work"), data_dir, secret=lambda: mail_user.password
    )
    await earlier.sync("INBOX")
    uids = [m.uid for m in earlier.messages("INBOX")]
    for uid in uids:
        await earlier.fetch_raw("INBOX", uid)  # every body cached
    await earlier.close()
    damage_a_middle_page(cache_path(data_dir, earlier.account), table="bodies")

    app = make_app(mail_user, names=("work",), data_dir=data_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        service = app.services["work"]
        met = None
        for uid in uids:  # what the reader does for each message opened
            raw = await service.fetch_raw("INBOX", uid)  # the server's copy when damaged
            assert raw.endswith(b"b" * 3000)
            if service.store.rebuilt is not None:
                met = uid
                break
        assert met is not None, "no damaged body was met"
        await wait_for(pilot, lambda: "cache was rebuilt from the server" in status_text(screen))
        assert any("rebuilt" in n.message for n in app._notifications)
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 120)
        assert sorted(m.uid for m in service.messages("INBOX")) == sorted(
            server_flags(dovecot, mail_user, "INBOX")
        )


async def test_full_disk_during_sync_is_said_in_the_status_bar(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=384k", "tmpfs", str(disk)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        dovecot.deliver(mail_user, [make_message(i, subject=f"M{i}") for i in range(3000)])
        app = make_app(mail_user, names=("work",), data_dir=disk / "data")
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await settled(pilot, app)
            assert screen.status.state("work") == "disk full"
            assert "is full" in status_text(screen)
            assert any("free some space" in n.message for n in app._notifications)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


async def test_damage_met_by_the_list_itself_reads_empty_then_refills(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    """A page of the message table goes bad while the app runs (the check at start saw
    nothing): the list does not crash the app; it is rebuilt and refilled."""
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i:03}") for i in range(300)])
    data_dir = tmp_path / "data"
    path = await _earlier_session(dovecot, mail_user, data_dir)

    app = make_app(mail_user, names=("work",), data_dir=data_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        store = app.services["work"].store
        damage_a_middle_page(path)
        store.ensure_folder("Elsewhere")  # a commit: readers drop the pages they cached
        screen.messages.reload()
        await wait_for(pilot, lambda: "cache was rebuilt from the server" in status_text(screen))
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 300)
    assert app.return_code in (None, 0)
    assert list((data_dir / "cache").glob("*.damaged-*"))


async def test_a_cache_error_no_handler_caught_ends_the_app_with_the_sentence(
    dovecot: DovecotServer,
    mail_user: MailUser,
    make_app: AppFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The last line of defence: Textual shows the error's sentence (CacheError.__rich__),
    not a traceback with local variables, and the exit status is 1."""
    app = make_app(mail_user, names=("work",), data_dir=tmp_path / "data")

    def fails() -> None:
        raise disk_full(tmp_path / "data" / "cache" / "x.sqlite3")

    with pytest.raises(DiskFull):  # noqa: PT012  (run_test re-raises when the app ends)
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot, app)
            app.call_later(fails)
            await pilot.pause(0.2)
    assert app.return_code == 1
    shown = " ".join(capsys.readouterr().err.split())  # wrapped where the path length says
    assert "is full" in shown and "free some space" in shown
    assert "Traceback" not in shown and "locals" not in shown


def damage_the_folder_table_now(path: Path) -> None:
    """Scribble over every page of the folder table of a cache in use: its rows are
    checkpointed into the file first (else the WAL still holds them), and a commit after
    makes every connection drop the pages it cached."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (page_size,) = db.execute("PRAGMA page_size").fetchone()
    pages = [row[0] for row in db.execute("SELECT pageno FROM dbstat WHERE name = 'folders'")]
    db.close()
    assert pages
    with path.open("r+b") as file:
        for page in pages:
            file.seek((page - 1) * page_size)
            file.write(b"\xa5" * page_size)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("INSERT INTO bodies (folder_id, uid, raw) VALUES (-1, -1, x'00')")
    db.execute("DELETE FROM bodies WHERE folder_id = -1")
    db.close()


async def test_damage_met_by_the_folder_counts_keeps_the_app_up_and_refills(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    """The folder tree's counts are the first read to meet the damage (not the list nor
    the reader): the app stays up, says the cache is being rebuilt, and ends with the
    server's UIDs in the cache and the server's STATUS counts in the tree."""
    dovecot.deliver(
        mail_user,
        [make_message(i, subject=f"M{i:03}") for i in range(300)],
        flags=lambda i: "S" if i % 3 else "",
    )
    dovecot.deliver(mail_user, [make_message(i, subject=f"A{i}") for i in range(7)], "Archive")
    data_dir = tmp_path / "data"
    path = await _earlier_session(dovecot, mail_user, data_dir)
    client = other_client(dovecot, mail_user)
    app = make_app(mail_user, names=("work",), data_dir=data_dir)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await settled(pilot, app)
            await counts_agree(pilot, app, client, "start-up")
            damage_the_folder_table_now(path)
            # What the service posts when counts change: the tree reads the folder table.
            screen.post_message(ServiceEvent(CountsChanged("work", ("INBOX",))))
            await wait_for(
                pilot, lambda: "cache was rebuilt from the server" in status_text(screen)
            )
            assert any("rebuilt" in n.message for n in app._notifications)
            await wait_for(pilot, lambda: len(visible_rows(screen)) == 300)
            service = app.services["work"]
            assert sorted(m.uid for m in service.messages("INBOX")) == sorted(
                server_flags(dovecot, mail_user, "INBOX")
            )
            counts = await counts_agree(pilot, app, client, "the rebuild")
            assert counts["INBOX"] == (300, 100) and counts["Archive"] == (7, 7)
        assert app.return_code in (None, 0)
        assert list((data_dir / "cache").glob("*.damaged-*"))
    finally:
        client.logout()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, to be filled to the last byte."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(disk)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


async def test_full_disk_at_start_opens_the_cache_read_only_and_says_so(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, small_disk: Path
) -> None:
    """The disk filled up while tui-mail was closed: what was cached is still shown, the
    status bar and a notification say the disk is full, and the app stays up."""
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i:03}") for i in range(40)])
    data_dir = small_disk / "data"
    path = await _earlier_session(dovecot, mail_user, data_dir)
    fill(small_disk)
    dovecot.deliver(mail_user, [make_message(99, subject="Arrived meanwhile")])

    app = make_app(mail_user, names=("work",), data_dir=data_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await wait_for(pilot, lambda: screen.status.state("work") == "disk full")
        # IDLE's connection saying "idling" after that (its order varies under load) does
        # not hide the full disk: it lasts until a sync succeeds.
        screen.status.watcher_state("work", "idling")
        assert screen.status.state("work") == "disk full"
        assert len(visible_rows(screen)) == 40  # the cache as it was: nothing new stored
        assert "is full" in status_text(screen) and "read only" in status_text(screen)
        assert any("is full" in n.message and "read only" in n.message for n in app._notifications)
    assert app.return_code in (None, 0)
    (small_disk / "filler").unlink()  # room again: the same cache syncs as usual
    assert integrity(path) == "ok"
    later = AccountService(
        imap_account(dovecot, mail_user, name="work"), data_dir, secret=lambda: mail_user.password
    )
    try:
        assert later.store.disk_full is None
        await later.sync("INBOX")
        assert sorted(m.uid for m in later.messages("INBOX")) == sorted(
            server_flags(dovecot, mail_user, "INBOX")
        )
    finally:
        await later.close()


def test_full_disk_with_no_cache_to_read_says_so_and_exits_1(
    dovecot: DovecotServer, mail_user: MailUser, small_disk: Path, tmp_path: Path
) -> None:
    """Nothing cached yet and no room to start a cache: a sentence and status 1 (the
    interface would show an empty screen that can never fill)."""
    secret_file = tmp_path / "secret"
    secret_file.write_text(mail_user.password + "\n")
    config = tmp_path / "config.toml"
    config.write_text(config_text(dovecot, mail_user, secret_file))
    (small_disk / "d").mkdir(mode=0o700)
    fill(small_disk)
    env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(small_disk / "d"))
    env.pop("TUI_MAIL_DEBUG", None)
    started = subprocess.run(
        [sys.executable, "-m", "tui_mail"], capture_output=True, text=True, env=env,
        stdin=subprocess.DEVNULL, timeout=60, check=False,
    )  # fmt: skip
    assert started.returncode == 1, started.stderr
    assert "is full" in started.stderr and "free some space" in started.stderr
    assert "Traceback" not in started.stderr and "internal error" not in started.stderr


async def test_head_start_on_a_full_disk_leaves_the_telling_to_the_app(
    dovecot: DovecotServer, mail_user: MailUser, small_disk: Path
) -> None:
    """The CLI begins the first sync before the UI is imported; with the cache open read
    only it must not stop the start (it raised DiskFull for a folder not in the cache)."""
    dovecot.deliver(mail_user, [make_message(i) for i in range(5)])
    data_dir = small_disk / "data"
    await _earlier_session(dovecot, mail_user, data_dir)
    fill(small_disk)
    service = AccountService(
        imap_account(dovecot, mail_user, name="work"), data_dir, secret=lambda: mail_user.password
    )
    try:
        assert service.store.disk_full is not None
        service.begin_sync("Elsewhere")  # not in the cache at all
        assert sorted(m.uid for m in service.messages("INBOX")) == sorted(
            server_flags(dovecot, mail_user, "INBOX")
        )
    finally:
        await service.close()
