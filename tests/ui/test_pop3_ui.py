"""Local mail in the app: a POP3 account's downloads show up by themselves, and a maildir
that is not there is said in words (not a status stuck at "connecting")."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_pop3 import pop3_account
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import visible_rows, wait_for
from tui_mail.config import AccountConfig, AppConfig
from tui_mail.core.account.service import AccountService
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.screen import MainScreen


def local_app(account: AccountConfig, password: str, tmp_path: Path) -> MailApp:
    config = AppConfig(path=tmp_path / "config.toml", accounts=(account,))

    def service(acc: AccountConfig, data: Path) -> AccountService:
        return AccountService(acc, data, secret=lambda: password)

    return MailApp(config, data_dir=tmp_path / "data", service_factory=service)


async def test_a_new_pop3_account_downloads_and_shows_its_mail(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [make_message(1, subject="Fetched by POP3")])
    account = pop3_account(dovecot, mail_user, tmp_path / "Mail")  # not created yet
    app = local_app(account, mail_user.password, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_for(pilot, lambda: screen.status.state("pop") == "connected")
        await wait_for(pilot, lambda: len(screen.messages.source) == 1)
        assert "Fetched by POP3" in visible_rows(screen)[0]


async def test_a_maildir_that_is_not_there_is_said_in_words(tmp_path: Path) -> None:
    account = AccountConfig(
        name="local", email="me@example.org", type="maildir", path=tmp_path / "no-such-dir"
    )
    app = local_app(account, "", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await wait_for(pilot, lambda: screen.status.state("local") != "connecting")
        message = str(screen.status.query_one("#status-message").render())
    assert "does not exist" in message and "no-such-dir" in message
