"""since:/before: follow the Date header the list shows, on IMAP and on a maildir alike.

The messages are APPENDed to the real Dovecot with an INTERNALDATE (arrival) months away
from their Date header; the same files are then read as a maildir account (Dovecot keeps
INTERNALDATE as the file's mtime), so both backends search exactly the same messages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.conftest import ServiceFactory
from tests.support.accounts import imap_account, other_client
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.config import AccountConfig
from tui_mail.core.account.service import AccountService

# (subject, Date header, arrival): written in one month, arrived in another.
MESSAGES = [
    ("Written in January", "Wed, 10 Jan 2024 12:00:00 +0000", datetime(2024, 6, 1, 12, tzinfo=UTC)),
    ("Written in March", "Fri, 15 Mar 2024 12:00:00 +0000", datetime(2023, 12, 1, 12, tzinfo=UTC)),
    ("Written in June", "Mon, 10 Jun 2024 12:00:00 +0000", datetime(2024, 1, 20, 12, tzinfo=UTC)),
    # Late on 31 March where it was sent: 1 April in UTC, still March as written.
    ("End of March", "Sun, 31 Mar 2024 22:30:00 -0500", datetime(2024, 3, 5, 12, tzinfo=UTC)),
]  # fmt: skip
QUERIES = {
    "since:2024-03-01": ["End of March", "Written in June", "Written in March"],
    "before:2024-03-01": ["Written in January"],
    "since:2024-03-01 before:2024-04-01": ["End of March", "Written in March"],
    "since:2024-04-01": ["Written in June"],
    "before:2024-01-01": [],
}


def append_with_arrival_dates(server: DovecotServer, user: MailUser) -> None:
    client = other_client(server, user)
    try:
        for i, (subject, sent, arrived) in enumerate(MESSAGES):
            client.append("INBOX", make_message(i, subject=subject, date=sent), msg_time=arrived)
        client.select_folder("INBOX", readonly=True)
        # The premise: the server's arrival dates disagree with the Date headers.
        assert sorted(client.search(["SINCE", datetime(2024, 3, 1).date()])) == [1, 4]
    finally:
        client.logout()


@pytest.mark.parametrize("kind", ["imap", "maildir"])
async def test_since_and_before_search_the_date_header_not_the_arrival(
    dovecot: DovecotServer,
    mail_user: MailUser,
    make_service: ServiceFactory,
    tmp_path: Path,
    kind: str,
) -> None:
    append_with_arrival_dates(dovecot, mail_user)
    if kind == "imap":
        service = make_service(imap_account(dovecot, mail_user), mail_user)
    else:
        account = AccountConfig(
            name="local", email="me@example.org", type="maildir", path=mail_user.maildir
        )
        service = AccountService(account, tmp_path / "data")
    try:
        await service.sync("INBOX")
        shown = {m.subject: datetime.fromtimestamp(m.date, UTC) for m in service.messages("INBOX")}
        assert shown["Written in January"].month == 1  # the list shows the Date header
        for query, expected in QUERIES.items():
            found = sorted(m.subject for m in await service.search("INBOX", query))
            assert found == expected, query
    finally:
        await service.close()
