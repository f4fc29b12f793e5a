from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.support.accounts import imap_account
from tests.support.dovecot import DovecotServer, MailUser
from tui_mail.config import AccountConfig
from tui_mail.core.account.service import AccountService


@pytest.fixture
def account(dovecot: DovecotServer, mail_user: MailUser) -> AccountConfig:
    return imap_account(dovecot, mail_user)


ServiceFactory = Callable[..., AccountService]


@pytest.fixture
async def make_service(tmp_path: Path) -> AsyncIterator[ServiceFactory]:
    """Services with their own cache directory, closed at the end of the test."""
    made: list[AccountService] = []

    def make(
        account: AccountConfig, user: MailUser, data_dir: Path | None = None
    ) -> AccountService:
        service = AccountService(
            account, data_dir or tmp_path / "data", secret=lambda: user.password
        )
        made.append(service)
        return service

    yield make
    for service in made:
        await service.close()


@pytest.fixture
async def service(
    make_service: ServiceFactory, account: AccountConfig, mail_user: MailUser
) -> AccountService:
    return make_service(account, mail_user)
