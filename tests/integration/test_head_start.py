"""The head start (core/account/head_start.py): the CLI begins the first folder's sync before the
UI is imported; the app's later connect() and sync() join it. Real Dovecot."""

from __future__ import annotations

import dataclasses
import time

import pytest

from tests.integration.conftest import ServiceFactory
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.config import AccountConfig
from tui_mail.core.errors import AuthenticationFailed


async def test_the_app_joins_the_sync_begun_before_it(
    dovecot: DovecotServer, mail_user: MailUser, account: AccountConfig,
    make_service: ServiceFactory,
) -> None:  # fmt: skip
    dovecot.deliver(mail_user, [make_message(i, subject=f"Early {i}") for i in range(450)])
    service = make_service(account, mail_user)
    service.begin_sync("INBOX")
    # The UI is being imported meanwhile: the newest rows land in the cache, and the rest
    # waits for someone to watch (parsing it would slow the UI's start-up).
    deadline = time.monotonic() + 10
    while not service.messages("INBOX", limit=1) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(service.messages("INBOX", limit=500)) == 200

    await service.connect()
    seen: list[tuple[int, int]] = []
    result = await service.sync("INBOX", lambda done, total: seen.append((done, total)))
    assert result.new == 450 and result.total == 450  # one sync, not a second one after it
    assert seen[0][0] >= 200 and seen[-1] == (450, 450)  # the latest figures came at once
    assert sorted(m.subject for m in service.messages("INBOX", limit=500))[:2] == [
        "Early 0", "Early 1"]  # fmt: skip
    again = await service.sync("INBOX")  # later syncs are ordinary ones
    assert again.new == 0


async def test_a_refused_login_reaches_the_app_at_connect(
    mail_user: MailUser, account: AccountConfig, make_service: ServiceFactory
) -> None:
    wrong = dataclasses.replace(mail_user, password="not the password")
    service = make_service(account, wrong)
    service.begin_sync("INBOX")
    with pytest.raises(AuthenticationFailed):
        await service.connect()


async def test_a_cached_folder_gets_no_head_start_and_an_unjoined_one_does_not_hang_close(
    dovecot: DovecotServer, mail_user: MailUser, account: AccountConfig,
    make_service: ServiceFactory,
) -> None:  # fmt: skip
    dovecot.deliver(mail_user, [make_message(i) for i in range(300)])
    first = make_service(account, mail_user)
    first.begin_sync("INBOX")
    started = time.monotonic()
    await first.close()  # never joined: released, finished, closed
    assert time.monotonic() - started < 2.9  # not the 3 s (HOLD_SECONDS) of a held sync
    cached = make_service(account, mail_user)  # same cache directory: the folder is known
    cached.begin_sync("INBOX")
    assert cached.link.head_start is None  # the first screen needs no network: none begun
