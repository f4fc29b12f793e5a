"""The app with a damaged cache or a full disk: a sentence in the status bar and a
notification, never a traceback; the list ends up as the server has it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.test_cache_damage import damage_a_middle_page
from tests.support.accounts import imap_account, server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tui_mail.core.cache_health import CacheDamaged, DiskFull, disk_full
from tui_mail.core.service import AccountService, cache_path


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
            try:
                await service.fetch_raw("INBOX", uid)
            except CacheDamaged as error:
                met = error
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
    shown = capsys.readouterr().err
    assert "is full" in shown and "free some space" in shown
    assert "Traceback" not in shown and "locals" not in shown
