"""The outbox sends by itself: what failed for want of a network goes when it is due or when
the server is back; what was refused waits for the user. Real aiosmtpd (STARTTLS) for
submission, the suite's Dovecot for the Sent copies."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import trustme

from tests.integration.conftest import ServiceFactory
from tests.integration.test_send import folder_messages, parsed
from tests.support.accounts import imap_account
from tests.support.dovecot import DovecotServer, MailUser
from tests.support.smtp import SmtpServer
from tui_mail.config import AccountConfig
from tui_mail.core.sending.compose import compose_new
from tui_mail.core.sending.courier import OutboxCourier, describe
from tui_mail.core.sending.outbox import Outbox
from tui_mail.core.sending.send import NotSent, send_draft


@pytest.fixture
def account(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer,
    smtp_ca: tuple[trustme.CA, Path],
) -> AccountConfig:  # fmt: skip
    cas = tmp_path / "cas.pem"
    cas.write_bytes(dovecot.ca_pem.read_bytes() + smtp_ca[1].read_bytes())
    secret = tmp_path / "secret"
    secret.write_text(mail_user.password + "\n")
    return dataclasses.replace(
        imap_account(dovecot, mail_user), ca_file=cas, smtp=smtp.server_config(),
        password_command=f"cat {secret}",
    )  # fmt: skip


def make_due(outbox: Outbox) -> None:
    """As if the retry time had come (instead of waiting 30 s)."""
    for entry in outbox.entries():
        outbox.update(entry, last_attempt=entry.last_attempt - 31)


async def test_a_send_that_met_a_down_server_goes_by_itself_exactly_once(
    make_service: ServiceFactory, account: AccountConfig, mail_user: MailUser,
    smtp: SmtpServer, dovecot: DovecotServer, tmp_path: Path,
) -> None:  # fmt: skip
    service = make_service(account, mail_user)
    outbox = Outbox(tmp_path / "outbox")
    courier = OutboxCourier(service, outbox)
    smtp.stop()  # the submission server is down
    draft = compose_new(account, to="zoe@example.org", subject="Later is fine", text="Hi.\n")
    with pytest.raises(NotSent) as caught:
        await send_draft(service, draft, outbox=outbox)
    assert not caught.value.may_have_been_sent
    [entry] = outbox.entries()
    assert entry.retries_itself and "next try in 30 s" in describe(entry, entry.last_attempt)

    nothing = await courier.run("due")  # not due yet, and the server is still down
    assert (nothing.sent, nothing.failed) == ([], [])
    make_due(outbox)
    still_down = await courier.run("due")
    assert [f.entry_id for f in still_down.failed] == [entry.id]
    assert outbox.get(entry.id).attempts == 2  # backing off: next try 60 s later
    assert "still not sent" in still_down.sentences()[0]

    smtp.start_again()
    back = await courier.run("reconnected")  # not due, but the connection came back
    assert [r.message_id for r in back.sent] == [draft.message_id]
    assert back.sentences() == ["Outbox: Sent to zoe@example.org; filed in Sent."]
    assert outbox.entries() == []
    assert [parsed(m.data)["Message-ID"] for m in smtp.messages] == [draft.message_id]
    assert len(folder_messages(dovecot, mail_user, "Sent")) == 1
    again = await courier.run("reconnected")
    assert again.sent == [] and len(smtp.messages) == 1


async def test_a_try_later_reply_retries_but_a_refusal_waits_for_the_user(
    make_service: ServiceFactory, account: AccountConfig, mail_user: MailUser,
    smtp: SmtpServer, tmp_path: Path,
) -> None:  # fmt: skip
    service = make_service(account, mail_user)
    outbox = Outbox(tmp_path / "outbox")
    courier = OutboxCourier(service, outbox)
    smtp.recorder.fail_data = 1  # 451: try again later
    greylisted = compose_new(account, to="zoe@example.org", subject="451", text="Hi.\n")
    with pytest.raises(NotSent):
        await send_draft(service, greylisted, outbox=outbox)
    smtp.users[mail_user.name] = "changed on the server"  # 535: the user must act
    refused = compose_new(account, to="bob@example.org", subject="535", text="Hi.\n")
    with pytest.raises(NotSent):
        await send_draft(service, refused, outbox=outbox)
    waiting = {e.subject: e for e in outbox.entries()}
    assert waiting["451"].retries_itself and not waiting["535"].retries_itself
    assert "waits for you" in describe(waiting["535"])

    smtp.users[mail_user.name] = mail_user.password
    make_due(outbox)
    run = await courier.run("due")
    assert [r.message_id for r in run.sent] == [greylisted.message_id]
    assert [e.subject for e in outbox.entries()] == ["535"]  # untouched until asked

    now = await courier.send_now(waiting["535"].id)
    assert [r.message_id for r in now.sent] == [refused.message_id]
    assert outbox.entries() == []
    assert sorted(parsed(m.data)["Subject"] for m in smtp.messages) == ["451", "535"]


async def test_removing_a_waiting_message_means_it_is_never_sent(
    make_service: ServiceFactory, account: AccountConfig, mail_user: MailUser,
    smtp: SmtpServer, tmp_path: Path,
) -> None:  # fmt: skip
    service = make_service(account, mail_user)
    outbox = Outbox(tmp_path / "outbox")
    courier = OutboxCourier(service, outbox)
    smtp.stop()
    draft = compose_new(account, to="zoe@example.org", subject="Never mind", text="Hi.\n")
    with pytest.raises(NotSent):
        await send_draft(service, draft, outbox=outbox)
    [entry] = courier.waiting()
    courier.remove(entry.id)
    smtp.start_again()
    run = await courier.run("reconnected")
    assert run.sent == [] and smtp.messages == [] and courier.waiting() == []
