"""Push on screen: mail another client stores appears in the open list by itself."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_idle import append_from_other_client
from tests.support.accounts import imap_account
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import settled, visible_rows, wait_for
from tui_mail.config import AccountConfig, AppConfig
from tui_mail.core.account.service import AccountService
from tui_mail.ui.app import MailApp


async def test_new_mail_appears_in_the_open_list_without_a_key_press(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [make_message(0, subject="Already here")])
    account = imap_account(dovecot, mail_user, name="work")
    config = AppConfig(path=tmp_path / "config.toml", accounts=(account,))

    def service(account: AccountConfig, data: Path) -> AccountService:
        return AccountService(account, data, secret=lambda: mail_user.password)

    app = MailApp(config, data_dir=tmp_path / "data", service_factory=service)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        assert visible_rows(screen) == ["Already here"]
        await wait_for(pilot, lambda: app.services["work"].connection_state == "idling")

        append_from_other_client(dovecot, mail_user, "Pushed to the screen")
        await wait_for(pilot, lambda: visible_rows(screen)[:1] == ["Pushed to the screen"], 5)
        assert visible_rows(screen) == ["Pushed to the screen", "Already here"]
        await wait_for(pilot, lambda: screen.status.state("work") == "idling")
        assert "new mail in INBOX" in str(screen.status.query_one("#status-message").render())
