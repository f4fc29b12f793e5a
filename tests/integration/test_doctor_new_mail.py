"""The doctor measures how soon the server announces new mail during IDLE, says it
truthfully, and leaves nothing behind on the server."""

from __future__ import annotations

import dataclasses

from tests.integration.test_quiet_idle import quiet_account
from tests.support.accounts import imap_account, other_client
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.quiet_idle_server import QuietIdleServer
from tui_mail.core.doctor import Check, diagnose_account
from tui_mail.core.doctor.idle_probe import check_new_mail_delivery


def server_folders(server: DovecotServer, user: MailUser) -> dict[str, int]:
    client = other_client(server, user)
    try:
        names = [name for _flags, _delim, name in client.list_folders()]
        return {name: client.folder_status(name, ["MESSAGES"])[b"MESSAGES"] for name in names}
    finally:
        client.logout()


def test_dovecot_announces_at_once_and_nothing_is_left_behind(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [make_message(0, subject="Kept")])
    before = server_folders(dovecot, mail_user)
    account = dataclasses.replace(imap_account(dovecot, mail_user, name="work"), smtp=None)

    report = diagnose_account(account, lambda: mail_user.password, timeout=5, idle_wait=10)

    steps = {(c.protocol, c.step): c for c in report.checks}
    idle, new_mail = steps["IMAP", "IDLE"], steps["IMAP", "new mail"]
    assert (idle.status, idle.detail) == ("ok", "supported")
    assert new_mail.status == "ok", new_mail
    assert new_mail.detail.startswith("shows up within ") and new_mail.detail.endswith(" s (IDLE)")
    assert float(new_mail.detail.split()[3]) < 3.0
    assert ("IMAP", "clean-up") not in steps
    assert server_folders(dovecot, mail_user) == before  # no scratch folder, INBOX untouched
    assert "new mail" in report.format()


def probe(server: QuietIdleServer, wait: float, **settings: object) -> Check:
    found: list[Check] = []
    check_new_mail_delivery(found.append, quiet_account(server, **settings), lambda: "pw",
                            wait=wait, timeout=5)  # fmt: skip
    assert len(found) == 1, found
    return found[0]


def test_a_server_quiet_during_idle_is_reported_as_such() -> None:
    with QuietIdleServer() as server:
        check = probe(server, wait=1.5)

        assert (check.status, check.detail) == (
            "ok",
            "the server does not announce new mail during IDLE (it tells only when IDLE "
            "ends); tui-mail checks every 60 s instead",
        )
        assert list(server.mailboxes) == ["INBOX"] and server.count("INBOX") == 0
        assert "APPEND" in server.commands and "DELETE" in server.commands

        without_rechecks = probe(server, wait=0.5, idle_recheck_seconds=0)
        assert without_rechecks.status == "warn"
        assert without_rechecks.fix == "set idle_recheck_seconds = 60 for account 'quiet'"
        assert list(server.mailboxes) == ["INBOX"]


def test_a_server_that_announces_is_measured() -> None:
    with QuietIdleServer(push=True) as server:
        check = probe(server, wait=5)

        assert check.status == "ok" and check.detail.startswith("shows up within 0.")
        assert list(server.mailboxes) == ["INBOX"]


def test_a_refused_scratch_folder_skips_the_step_and_touches_nothing() -> None:
    with QuietIdleServer(refuse_create=True) as server:
        check = probe(server, wait=1)

        assert check.status == "skip"
        assert check.detail.startswith("not measured: the server refused to create a scratch")
        assert list(server.mailboxes) == ["INBOX"] and server.count("INBOX") == 0
        assert "APPEND" not in server.commands
