"""Sending end to end: the suite's Dovecot for the folders, aiosmtpd (STARTTLS) for submission.

The CLI runs as a subprocess, as a user's script would; the outbox cases that need a
failure at a precise point drive the core API directly.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
import trustme

from tests.integration.conftest import ServiceFactory
from tests.support.accounts import imap_account, other_client, server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.smtp import SmtpServer
from tui_mail.config import AccountConfig
from tui_mail.core.errors import UsageError
from tui_mail.core.sending.compose import compose_new
from tui_mail.core.sending.outbox import Outbox
from tui_mail.core.sending.send import NotSent, SendReport, flush_outbox, send, send_draft
from tui_mail.core.sending.smtp import SmtpTransport

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def both_cas(tmp_path: Path, dovecot: DovecotServer, smtp_ca: tuple[trustme.CA, Path]) -> Path:
    """One ca_file that trusts the test IMAP server and the test SMTP server."""
    combined = tmp_path / "cas.pem"
    combined.write_bytes(dovecot.ca_pem.read_bytes() + smtp_ca[1].read_bytes())
    return combined


@pytest.fixture
def account(
    dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer, both_cas: Path
) -> AccountConfig:
    return dataclasses.replace(
        imap_account(dovecot, mail_user), ca_file=both_cas, smtp=smtp.server_config(),
        display_name="Tëst Üser",
    )  # fmt: skip


@pytest.fixture
def cli(tmp_path: Path, account: AccountConfig, mail_user: MailUser) -> Run:
    secret = tmp_path / "secret"
    secret.write_text(mail_user.password + "\n")
    assert account.imap is not None and account.smtp is not None
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[accounts]]\nname = "work"\nemail = "{account.email}"\n'
        f'display_name = "{account.display_name}"\nusername = "{account.username}"\n'
        f'password_command = "cat {secret}"\nca_file = "{account.ca_file}"\n'
        f'[accounts.imap]\nhost = "localhost"\nport = {account.imap.port}\nsecurity = "tls"\n'
        f'[accounts.smtp]\nhost = "localhost"\nport = {account.smtp.port}\n'
        'security = "starttls"\n'
    )

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(tmp_path / "d"))
        return subprocess.run(
            [sys.executable, "-m", "tui_mail", *args], input=stdin, capture_output=True,
            text=True, env=env, timeout=60, check=False,
        )  # fmt: skip

    return run


def parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data.replace(b"\r\n", b"\n"), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def folder_messages(server: DovecotServer, user: MailUser, folder: str) -> list[bytes]:
    client = other_client(server, user)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
        return [fetched[uid][b"BODY[]"] for uid in sorted(fetched)]
    finally:
        client.logout()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    content: str = body.get_content()
    return content


# -- the CLI ------------------------------------------------------------------------------


def test_reply_all_is_sent_filed_in_sent_and_marks_the_original_answered(
    cli: Run, smtp: SmtpServer, dovecot: DovecotServer, mail_user: MailUser,
    account: AccountConfig,
) -> None:  # fmt: skip
    original = make_message(
        1, subject="Re: RE: Plans für Q3", from_="Alice <alice@example.com>",
        reply_to="Team <team@example.com>", to=f"{account.email}, Bob <bob@example.com>",
        cc="Carol <carol@example.com>", message_id="<orig-1@example.com>",
        references="<root@example.com>", body="Shall we meet on Monday?\n",
        date="Tue, 02 Jan 2024 10:15:00 +0100",
    )  # fmt: skip
    dovecot.deliver(mail_user, [original])

    result = cli("reply", "--all", "1", stdin="Monday works for me.\n")
    assert result.returncode == 0, result.stderr
    assert "Sent to team@example.com, bob@example.com, carol@example.com; filed in Sent" in (
        result.stderr
    )

    [received] = smtp.messages
    assert received.rcpt_tos == ["team@example.com", "bob@example.com", "carol@example.com"]
    reply = parsed(received.data)
    assert reply["Subject"] == "Re: Plans für Q3"
    assert reply["To"] == "Team <team@example.com>, Bob <bob@example.com>"
    assert reply["Cc"] == "Carol <carol@example.com>"
    assert reply["In-Reply-To"] == "<orig-1@example.com>"
    assert reply["References"] == "<root@example.com> <orig-1@example.com>"
    assert text_of(reply).startswith(
        "On Tue, 02 Jan 2024 at 10:15, Alice <alice@example.com> wrote:\n"
        "> Shall we meet on Monday?\n\nMonday works for me.\n"
    )
    [filed] = folder_messages(dovecot, mail_user, "Sent")
    assert parsed(filed)["Message-ID"] == reply["Message-ID"]
    assert [flags for flags in server_flags(dovecot, mail_user, "Sent").values()] == [{b"\\Seen"}]
    assert b"\\Answered" in server_flags(dovecot, mail_user, "INBOX")[1]
    listed = cli("outbox", "--json")
    assert json.loads(listed.stdout) == []


def test_forward_as_attachment_carries_the_original_and_marks_it_forwarded(
    cli: Run, smtp: SmtpServer, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    original = make_message(2, subject="Ünïcode report", body="Numbers: 1, 2, 3 — done.\n")
    dovecot.deliver(mail_user, [original])

    result = cli("forward", "--attach-original", "1", "--to", "Dan <dan@example.org>",
                 stdin="FYI, see attached.\n")  # fmt: skip
    assert result.returncode == 0, result.stderr

    [received] = smtp.messages
    forward = parsed(received.data)
    assert forward["Subject"] == "Fwd: Ünïcode report"
    assert text_of(forward) == "FYI, see attached.\n"
    [attached] = list(forward.iter_attachments())
    assert attached.get_content_type() == "message/rfc822"
    inner = attached.get_content()
    assert inner["Subject"] == "Ünïcode report"
    assert inner.get_content() == "Numbers: 1, 2, 3 — done.\n"
    assert b"$Forwarded" in server_flags(dovecot, mail_user, "INBOX")[1]


def test_a_postponed_reply_is_replaced_then_sent_from_drafts(
    cli: Run, smtp: SmtpServer, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [make_message(4, message_id="<q@example.com>", body="Ok?\n")])

    first = cli("reply", "--postpone", "1", stdin="First thoughts.\n")
    assert first.returncode == 0, first.stderr
    first_uid = int(first.stdout)
    assert server_flags(dovecot, mail_user, "Drafts") == {first_uid: {b"\\Draft", b"\\Seen"}}

    second = cli("postpone", "--draft", str(first_uid), "--body-file", "-",
                 stdin="Better thoughts.\n")  # fmt: skip
    assert second.returncode == 0, second.stderr
    second_uid = int(second.stdout)
    [draft] = folder_messages(dovecot, mail_user, "Drafts")
    assert text_of(parsed(draft)) == "Better thoughts.\n"
    assert second_uid != first_uid
    assert smtp.messages == []

    sent = cli("send", "--draft", str(second_uid))
    assert sent.returncode == 0, sent.stderr
    [received] = smtp.messages
    reply = parsed(received.data)
    assert reply["In-Reply-To"] == "<q@example.com>"
    assert text_of(reply) == "Better thoughts.\n"
    assert "X-TUI-Mail-Draft" not in reply
    assert folder_messages(dovecot, mail_user, "Drafts") == []
    assert b"\\Answered" in server_flags(dovecot, mail_user, "INBOX")[1]


def test_a_failed_send_waits_in_the_outbox_and_flush_sends_it_once(
    cli: Run, smtp: SmtpServer, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    smtp.recorder.fail_data = 1
    result = cli("send", "--to", "zoe@example.org", "--subject", "Retry me", stdin="Hello.\n")
    assert result.returncode == 1
    assert "451 4.3.0 Temporary failure" in result.stderr
    assert "waits in the outbox" in result.stderr and "Traceback" not in result.stderr
    assert "it is retried by itself (next in about 30 s while tui-mail runs)" in result.stderr
    [waiting] = json.loads(cli("outbox", "--json").stdout)
    assert waiting["state"] == "queued" and waiting["subject"] == "Retry me"
    assert "451" in waiting["last_error"]
    assert smtp.messages == []

    flushed = cli("outbox", "--flush")
    assert flushed.returncode == 0, flushed.stderr
    assert "Sent to zoe@example.org; filed in Sent." in flushed.stderr
    assert [parsed(m.data)["Subject"] for m in smtp.messages] == ["Retry me"]
    assert json.loads(cli("outbox", "--json").stdout) == []
    assert len(folder_messages(dovecot, mail_user, "Sent")) == 1


def test_a_wrong_smtp_password_exits_4_and_keeps_the_message(
    cli: Run, smtp: SmtpServer, mail_user: MailUser
) -> None:
    smtp.users[mail_user.name] = "not-the-password"
    result = cli("send", "--to", "zoe@example.org", "--subject", "Auth", stdin="Hi.\n")
    assert result.returncode == 4
    assert "rejected the login" in result.stderr
    assert mail_user.password not in result.stderr + result.stdout
    assert len(json.loads(cli("outbox", "--json").stdout)) == 1


def test_dry_run_prints_the_message_and_sends_nothing(
    cli: Run, smtp: SmtpServer, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    result = cli("send", "--dry-run", "--to", "Zoë <zoe@example.org>", "--bcc", "b@example.org",
                 "--subject", "Dry", "--attach", str(photo), stdin="Just looking.\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = parsed(result.stdout.encode())
    assert shown["To"] == "Zoë <zoe@example.org>" and shown["Bcc"] == "b@example.org"
    assert [a.get_content_type() for a in shown.iter_attachments()] == ["image/png"]
    assert smtp.messages == []


def test_an_outbox_that_cannot_be_written_loses_nothing(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "outbox").write_text("a file where the outbox directory should be")
    result = cli("send", "--to", "zoe@example.org", "--subject", "Kept", stdin="Precious text.\n")
    assert result.returncode == 1
    assert "Cannot save the message to the outbox" in result.stderr
    assert "Nothing was sent" in result.stderr
    assert "Precious text." in result.stdout


def test_a_bad_address_is_a_usage_error(cli: Run) -> None:
    result = cli("send", "--to", "zoe@example.org; bob@example.org", "--subject", "x", stdin="")
    assert result.returncode == 2
    assert "separate addresses with commas" in result.stderr


# -- the core: failures at precise points -------------------------------------------------


async def test_a_connection_lost_mid_transfer_is_retried_and_says_so(
    make_service: ServiceFactory, account: AccountConfig, mail_user: MailUser,
    smtp: SmtpServer, tmp_path: Path,
) -> None:  # fmt: skip
    service = make_service(account, mail_user)
    outbox = Outbox(tmp_path / "outbox")
    transport = SmtpTransport(account, secret=lambda: mail_user.password)
    smtp.recorder.drop_data = 1
    draft = compose_new(account, to="zoe@example.org", subject="Flaky", text="Hi.\n")

    with pytest.raises(NotSent) as caught:
        await send_draft(service, draft, outbox=outbox, transport=transport)
    assert caught.value.may_have_been_sent
    assert "may have arrived" in str(caught.value)
    [entry] = outbox.entries()
    assert entry.state == "transmitting" and entry.message_id == draft.message_id

    [report] = await flush_outbox(service, outbox, transport=transport)
    assert isinstance(report, SendReport) and report.resent
    assert [parsed(m.data)["Message-ID"] for m in smtp.messages] == [draft.message_id]
    assert outbox.entries() == []


async def test_a_copy_that_could_not_be_filed_is_filed_later_without_resending(
    make_service: ServiceFactory, account: AccountConfig, mail_user: MailUser,
    smtp: SmtpServer, dovecot: DovecotServer, tmp_path: Path,
) -> None:  # fmt: skip
    outbox = Outbox(tmp_path / "outbox")
    transport = SmtpTransport(account, secret=lambda: mail_user.password)
    wrong_imap = dataclasses.replace(mail_user, password="wrong")
    offline = make_service(account, wrong_imap, tmp_path / "d1")
    draft = compose_new(account, to="zoe@example.org", subject="File me", text="Hi.\n")

    report = await send_draft(offline, draft, outbox=outbox, transport=transport)
    assert not report.done and report.sent_copy is None
    assert "could not be filed in Sent" in report.warnings[0]
    [entry] = outbox.entries()
    assert entry.state == "accepted"

    online = make_service(account, mail_user, tmp_path / "d2")
    [later] = await flush_outbox(online, outbox, transport=transport)
    assert isinstance(later, SendReport) and later.sent_copy == "Sent" and not later.resent
    assert len(smtp.messages) == 1
    assert len(folder_messages(dovecot, mail_user, "Sent")) == 1
    assert outbox.entries() == []


async def test_save_sent_false_files_no_copy(
    make_service: ServiceFactory, account: AccountConfig, mail_user: MailUser,
    smtp: SmtpServer, dovecot: DovecotServer, tmp_path: Path,
) -> None:  # fmt: skip
    no_copy = dataclasses.replace(account, save_sent=False)
    service = make_service(no_copy, mail_user)
    draft = compose_new(no_copy, to="zoe@example.org", subject="Gmail files it", text="Hi.\n")
    transport = SmtpTransport(no_copy, secret=lambda: mail_user.password)
    report = await send_draft(service, draft, outbox=Outbox(tmp_path / "o"), transport=transport)
    assert report.done and report.sent_copy is None and report.warnings == []
    assert len(smtp.messages) == 1
    assert folder_messages(dovecot, mail_user, "Sent") == []


async def test_a_ready_made_message_gets_a_message_id_and_keeps_its_bcc_private(
    make_service: ServiceFactory, account: AccountConfig, mail_user: MailUser,
    smtp: SmtpServer, dovecot: DovecotServer, tmp_path: Path,
) -> None:  # fmt: skip
    service = make_service(account, mail_user)
    transport = SmtpTransport(account, secret=lambda: mail_user.password)
    eml = (
        f"From: {account.email}\nTo: zoe@example.org\nBcc: hidden@example.org\n"
        "Subject: From a file\n\nWritten elsewhere.\n"
    ).encode()
    report = await send(service, eml, outbox=Outbox(tmp_path / "o"), transport=transport)
    [received] = smtp.messages
    assert received.rcpt_tos == ["zoe@example.org", "hidden@example.org"]
    assert b"hidden@example.org" not in received.data and b"\r\n\r\n" in received.data
    sent = parsed(received.data)
    assert sent["Message-ID"] == report.message_id and sent["Date"] is not None
    [filed] = folder_messages(dovecot, mail_user, "Sent")
    assert parsed(filed)["Bcc"] == "hidden@example.org"

    stranger = eml.replace(account.email.encode(), b"ceo@example.com")
    with pytest.raises(UsageError, match="not an address of account"):
        await send(service, stranger, outbox=Outbox(tmp_path / "o"), transport=transport)
    assert len(smtp.messages) == 1
