"""The app with offline_days set: the status bar tells the bodies downloaded ahead, and they
are in the cache without the messages turning read on the server."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.integration.test_offline_bodies import cached_bodies, recent_and_old
from tests.support.accounts import imap_account, server_flags
from tests.support.dovecot import DovecotServer, MailUser
from tests.ui.conftest import settled, wait_for
from tests.ui.test_cache_health_ui import status_text
from tui_mail.config import AccountConfig, AppConfig
from tui_mail.core.account.service import AccountService
from tui_mail.ui.app import MailApp


async def test_the_status_bar_tells_the_bodies_downloaded_ahead(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    recent_and_old(dovecot, mail_user, recent=3, old=2)
    unread_before = {
        uid for uid, flags in server_flags(dovecot, mail_user, "INBOX").items() if not flags
    }
    account = dataclasses.replace(imap_account(dovecot, mail_user, name="work"), offline_days=7)
    config = AppConfig(path=tmp_path / "config.toml", accounts=(account,))

    def service(account: AccountConfig, data: Path) -> AccountService:
        made = AccountService(account, data, secret=lambda: mail_user.password)
        # A run this short says nothing by default (the bodies of a few new messages).
        made.offline_bodies.progress_interval = 0
        return made

    app = MailApp(config, data_dir=tmp_path / "data", service_factory=service)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await wait_for(
            pilot,
            lambda: "work: 3 message(s) downloaded for offline use" in status_text(screen),
        )
        assert len(cached_bodies(app.services["work"])) == 3
    assert app.return_code in (None, 0)
    unread_after = {
        uid for uid, flags in server_flags(dovecot, mail_user, "INBOX").items() if not flags
    }
    assert unread_after == unread_before and len(unread_before) == 4
