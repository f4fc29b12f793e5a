"""Submission against a real aiosmtpd server in-process, with TLS from trustme certificates.

The harness (SmtpServer, Recorder, new_ca ...) is in tests/support/smtp.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import stat
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
import trustme

from tests.support.processes import alive
from tests.support.smtp import TOKEN, USER, SmtpServer, free_port, smtp_account
from tui_mail.config import AccountConfig, OAuth2Config, ServerConfig
from tui_mail.core.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    InsecureConnectionRefused,
    ServerError,
    TlsError,
)
from tui_mail.core.sending.compose import FileAttachment, build_message, compose_new, envelope
from tui_mail.core.sending.send import without_bcc
from tui_mail.core.sending.smtp import (
    MessageTooLarge,
    RecipientsRefused,
    SendmailTransport,
    SmtpTransport,
)

# -- tests --------------------------------------------------------------------------------


@pytest.fixture
def starttls_server(smtp_ca: tuple[trustme.CA, Path]) -> Iterator[SmtpServer]:
    with SmtpServer(smtp_ca[0], "starttls") as server:
        yield server


async def test_starttls_submission_delivers_exactly_the_message(
    starttls_server: SmtpServer, smtp_ca: tuple[trustme.CA, Path], tmp_path: Path
) -> None:
    account = smtp_account(starttls_server, smtp_ca[1])
    report = tmp_path / "Résumé 2026.pdf"
    report.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    draft = compose_new(
        account, to="Zoë Ümlaut <zoe@example.org>", bcc="hidden@example.org",
        subject="Grüße — ünïcode subject", text="Hällo, a line with ümlauts.\n",
    )  # fmt: skip
    draft.attachments.append(FileAttachment.from_path(report))
    message = build_message(account, draft)
    raw = message.as_bytes()
    sender, recipients = envelope(message)

    await SmtpTransport(account).submit(without_bcc(raw), sender, recipients)

    [received] = starttls_server.messages
    assert received.mail_from == USER
    assert received.rcpt_tos == ["zoe@example.org", "hidden@example.org"]
    assert received.login == USER.encode()
    assert received.data.replace(b"\r\n", b"\n") == without_bcc(raw).replace(b"\r\n", b"\n")
    assert received.data.isascii()
    assert b"hidden@example.org" not in received.data
    parsed = message_from_bytes(received.data.replace(b"\r\n", b"\n"), policy=default_policy)
    assert str(parsed["Subject"]) == "Grüße — ünïcode subject"
    assert str(parsed["To"]) == "Zoë Ümlaut <zoe@example.org>"
    assert str(parsed["From"]) == f"Sénder Ünïcode <{USER}>"
    assert parsed["Message-ID"].endswith("@example.test>")
    assert parsed["Date"] is not None
    body = parsed.get_body(("plain",))
    assert body is not None and body.get_content() == "Hällo, a line with ümlauts.\n"
    [attached] = list(parsed.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_filename() == "Résumé 2026.pdf"
    assert attached.get_content() == report.read_bytes()


async def test_starttls_not_offered_is_refused_and_nothing_is_sent(
    smtp_ca: tuple[trustme.CA, Path],
) -> None:
    with SmtpServer(smtp_ca[0], "plain", offer_auth=False) as bare:
        account = smtp_account(bare, smtp_ca[1], smtp=ServerConfig("localhost", bare.port,
                                                                   "starttls"))  # fmt: skip
        with pytest.raises(TlsError, match="does not offer STARTTLS") as caught:
            await SmtpTransport(account).submit(b"Subject: x\r\n\r\nhi\r\n", USER, ["a@b.org"])
        assert "Refusing to send unencrypted" in str(caught.value)
        assert bare.messages == []


async def test_implicit_tls_on_a_second_listener(smtp_ca: tuple[trustme.CA, Path]) -> None:
    with SmtpServer(smtp_ca[0], "tls") as implicit:
        account = smtp_account(implicit, smtp_ca[1])
        await SmtpTransport(account).submit(b"Subject: tls\r\n\r\nhi\r\n", USER, ["a@b.org"])
        [received] = implicit.messages
        assert received.data.startswith(b"Subject: tls")


async def test_wrong_password_is_an_authentication_error_without_the_password(
    starttls_server: SmtpServer, smtp_ca: tuple[trustme.CA, Path]
) -> None:
    account = smtp_account(starttls_server, smtp_ca[1], password_command="echo hunter2-wrong")
    with pytest.raises(AuthenticationFailed) as caught:
        await SmtpTransport(account).submit(b"Subject: x\r\n\r\nhi\r\n", USER, ["a@b.org"])
    message = str(caught.value)
    assert f"rejected the login for {USER!r}" in message
    assert "535" in message
    assert "hunter2-wrong" not in message
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert starttls_server.messages == []


async def test_xoauth2_sends_the_token_from_the_credentials_layer(
    starttls_server: SmtpServer, smtp_ca: tuple[trustme.CA, Path]
) -> None:
    account = smtp_account(starttls_server, smtp_ca[1], auth="oauth2", password_command=None,
                           oauth2=OAuth2Config(token_command=f"echo {TOKEN}"))  # fmt: skip
    await SmtpTransport(account).submit(b"Subject: oauth\r\n\r\nhi\r\n", USER, ["a@b.org"])
    assert [m.login for m in starttls_server.messages] == [USER.encode()]
    expired = dataclasses.replace(account, oauth2=OAuth2Config(token_command="echo expired"))
    with pytest.raises(AuthenticationFailed, match=r"rejected the login .* OAuth2 token"):
        await SmtpTransport(expired).submit(b"Subject: x\r\n\r\nhi\r\n", USER, ["a@b.org"])


async def test_a_refused_recipient_is_named_and_nobody_gets_the_message(
    starttls_server: SmtpServer, smtp_ca: tuple[trustme.CA, Path]
) -> None:
    starttls_server.recorder.refuse = {"nobody@example.org"}
    account = smtp_account(starttls_server, smtp_ca[1])
    with pytest.raises(RecipientsRefused) as caught:
        await SmtpTransport(account).submit(
            b"Subject: x\r\n\r\nhi\r\n", USER, ["ok@example.org", "nobody@example.org"]
        )
    assert caught.value.recipients == ("nobody@example.org",)
    assert "refused 1 of 2 recipients: nobody@example.org (550 5.1.1" in str(caught.value)
    assert "Nothing was sent" in str(caught.value)
    assert caught.value.exit_code == 1
    assert starttls_server.messages == []


async def test_a_message_over_the_size_limit_is_refused_before_it_travels(
    smtp_ca: tuple[trustme.CA, Path],
) -> None:
    with SmtpServer(smtp_ca[0], "starttls", data_size_limit=2000) as small:
        account = smtp_account(small, smtp_ca[1])
        with pytest.raises(MessageTooLarge, match=r"is 5 kB, but .* accepts at most 2 kB"):
            await SmtpTransport(account).submit(b"Subject: x\r\n\r\n" + b"a" * 5000, USER,
                                                ["a@b.org"])  # fmt: skip
        assert small.messages == []


async def test_an_untrusted_certificate_is_a_clear_tls_error(
    starttls_server: SmtpServer,
) -> None:
    account = smtp_account(starttls_server, None)
    with pytest.raises(TlsError, match=r"is not trusted .*set ca_file"):
        await SmtpTransport(account).submit(b"Subject: x\r\n\r\nhi\r\n", USER, ["a@b.org"])
    assert starttls_server.messages == []


async def test_plaintext_only_with_allow_insecure(smtp_ca: tuple[trustme.CA, Path]) -> None:
    with SmtpServer(smtp_ca[0], "plain", offer_auth=False) as relay:
        refused = smtp_account(relay, None)
        with pytest.raises(InsecureConnectionRefused, match="allow_insecure"):
            await SmtpTransport(refused).submit(b"Subject: x\r\n\r\nhi\r\n", USER, ["a@b.org"])
        allowed = smtp_account(relay, None, allow_insecure=True)
        await SmtpTransport(allowed).submit(b"Subject: x\r\n\r\nhi\r\n", USER, ["a@b.org"])
        assert len(relay.messages) == 1


async def test_a_server_that_never_answers_times_out_with_advice() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        account = AccountConfig(name="out", email=USER, password_command="echo x",
                                smtp=ServerConfig("127.0.0.1", port, "tls"))  # fmt: skip
        with pytest.raises(ConnectionFailed, match=r"did not answer within 0\.5 s"):
            await SmtpTransport(account, timeout=0.5).submit(b"x", USER, ["a@b.org"])


async def test_a_closed_port_says_the_connection_was_refused(
    smtp_ca: tuple[trustme.CA, Path],
) -> None:
    account = AccountConfig(name="out", email=USER, password_command="echo x",
                            smtp=ServerConfig("127.0.0.1", free_port(), "starttls"))  # fmt: skip
    with pytest.raises(ConnectionFailed, match=r"refused the connection: check smtp\.port"):
        await SmtpTransport(account).submit(b"x", USER, ["a@b.org"])


async def test_sendmail_command_gets_the_message_on_stdin_and_recipients_as_arguments(
    tmp_path: Path,
) -> None:
    script = tmp_path / "fake-sendmail"
    script.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat > {tmp_path}/stdin\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    await SendmailTransport(f"{script} -oi").submit(
        b"Subject: local\r\n\r\nline one\r\n", USER, ["a@b.org", "c@d.org"]
    )
    assert (tmp_path / "args").read_text() == "-oi -- a@b.org c@d.org\n"
    assert (tmp_path / "stdin").read_bytes() == b"Subject: local\n\nline one\n"

    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\necho 'sendmail: fatal: no such user' >&2\nexit 67\n")
    failing.chmod(failing.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(ServerError, match=r"failed \(exit status 67\): sendmail: fatal: no such"):
        await SendmailTransport(str(failing)).submit(b"x\r\n", USER, ["a@b.org"])


async def test_a_sendmail_command_that_hangs_is_ended_with_all_it_started(tmp_path: Path) -> None:
    script = tmp_path / "hanging-sendmail"
    # Like msmtp waiting on its passwordeval child: the child would outlive a plain kill.
    script.write_text(f"#!/bin/sh\nsleep 1000 &\necho $! > {tmp_path}/child\nwait\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)

    with pytest.raises(ConnectionFailed, match=r"did not finish within 0\.5 s"):
        await SendmailTransport(str(script), timeout=0.5).submit(b"x\r\n", USER, ["a@b.org"])

    child = int((tmp_path / "child").read_text())
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not alive(child), "the command's `sleep 1000` child is still running"
