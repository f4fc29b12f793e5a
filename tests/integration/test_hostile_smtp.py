"""An SMTP server that drips its replies or goes silent: `send` ends at the account's
deadline (server_timeout_seconds, here 2 s), the message stays in the outbox, and the
sentence says whether it waits to be retried by itself or may already have arrived.

Before the deadline, aiosmtplib's 60 s timeout bounded each reply alone: a server that
drips every reply (greeting, EHLO, MAIL, RCPT, DATA ...) a byte at a time kept `send`
going for minutes, and one silent after the message for 60 s.
"""

from __future__ import annotations

import asyncio
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.hostile_smtp import HostileSmtp, SmtpScript
from tests.support.measured_run import run_cli
from tests.support.pty_app import PtyApp
from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.core.account.service import AccountService
from tui_mail.core.errors import ServerTimeout
from tui_mail.core.sending.outbox import Outbox
from tui_mail.core.sending.send import NotSent, send
from tui_mail.core.sending.smtp import SmtpTransport

DEADLINE = 2


def _account(server: HostileSmtp, tmp_path: Path) -> AccountConfig:
    return AccountConfig(
        name="drip", email="me@example.test", type="maildir", path=tmp_path / "Mail",
        smtp=ServerConfig("127.0.0.1", server.port, "plain"), allow_insecure=True,
        server_timeout_seconds=DEADLINE,
    )  # fmt: skip


async def _send(server: HostileSmtp, tmp_path: Path) -> tuple[NotSent, float, Outbox]:
    account = _account(server, tmp_path)
    service = AccountService(account, tmp_path / "data", secret=lambda: "unused")
    outbox = Outbox(tmp_path / "outbox")
    message = EmailMessage()
    message["From"], message["To"] = account.email, "you@example.test"
    message["Subject"], message["Message-ID"] = "Drip", "<drip@example.test>"
    message.set_content("Hello.\n")
    started = time.monotonic()
    try:
        with pytest.raises(NotSent) as caught:
            # The bound makes the old behaviour fail here rather than after minutes.
            await asyncio.wait_for(
                send(service, message, outbox=outbox, transport=SmtpTransport(account)),
                DEADLINE + 6,
            )
    finally:
        await service.close()
    return caught.value, time.monotonic() - started, outbox


async def test_a_dripping_server_ends_at_the_deadline_and_the_message_waits(
    tmp_path: Path,
) -> None:
    with HostileSmtp(SmtpScript(drip=0.15)) as server:
        error, elapsed, outbox = await _send(server, tmp_path)
    assert elapsed < DEADLINE + 2
    assert isinstance(error.cause, ServerTimeout) and error.exit_code == 5
    text = str(error)
    assert "The server at 127.0.0.1 stopped answering in time (no complete answer to" in text
    assert f"within {DEADLINE} s); the connection was closed." in text
    assert "It was not sent yet and waits in the outbox" in text
    assert "it is retried by itself" in text
    assert not error.may_have_been_sent
    [entry] = outbox.entries()
    assert entry.state == "queued" and entry.retries_itself
    assert server.seen.messages == []


async def test_silence_after_the_message_is_may_have_been_sent(tmp_path: Path) -> None:
    with HostileSmtp(SmtpScript(silent_after_data=True)) as server:
        error, elapsed, outbox = await _send(server, tmp_path)
        assert len(server.seen.messages) == 1  # the server holds the message
    assert elapsed < DEADLINE + 2
    assert isinstance(error.cause, ServerTimeout) and error.exit_code == 5
    assert "no complete answer to the message (DATA) within 2 s" in str(error)
    assert error.may_have_been_sent and "may have arrived" in str(error)
    [entry] = outbox.entries()
    assert entry.state == "transmitting" and not entry.retries_itself  # resending: user's call


def test_cli_send_to_a_dripping_server_exits_5_in_time(tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_text("Hello.\n")
    for part in ("cur", "new", "tmp"):
        (tmp_path / "Mail" / part).mkdir(parents=True)
    with HostileSmtp(SmtpScript(drip=0.5)) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            '[[accounts]]\nname = "drip"\nemail = "me@example.test"\ntype = "maildir"\n'
            f'path = "{tmp_path / "Mail"}"\nallow_insecure = true\n'
            f"server_timeout_seconds = {DEADLINE}\n"
            f'[accounts.smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "plain"\n'
        )
        run = run_cli(
            ["send", "--to", "you@example.test", "--subject", "Drip", "--body-file", str(body)],
            config=config, data_dir=tmp_path / "data", limit=30,
        )  # fmt: skip
    assert run.code == 5, run.stderr
    assert "stopped answering in time (no complete answer to the greeting within 2 s)" in (
        run.stderr
    )
    assert "waits in the outbox" in run.stderr and "retried by itself" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.seconds < 12


def test_quitting_the_tui_while_the_smtp_server_is_silent_takes_under_a_second(
    tmp_path: Path,
) -> None:
    """The real app in a pty sends a message left in the outbox; the server takes it and
    never answers (deadline 600 s, so only quitting ends the wait). The message stays."""
    for part in ("cur", "new", "tmp"):
        (tmp_path / "Mail" / part).mkdir(parents=True)
    with HostileSmtp(SmtpScript(silent_after_data=True)) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            '[[accounts]]\nname = "drip"\nemail = "me@example.test"\ntype = "maildir"\n'
            f'path = "{tmp_path / "Mail"}"\nallow_insecure = true\n'
            "server_timeout_seconds = 600\n"
            f'[accounts.smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "plain"\n'
        )
        config.chmod(0o600)
        account = _account(server, tmp_path)
        outbox = Outbox.for_account(tmp_path / "data", account)
        raw = b"From: me@example.test\r\nTo: you@example.test\r\nSubject: Q\r\n\r\nHi.\r\n"
        entry = outbox.add(
            raw, sender=account.email, recipients=["you@example.test"], subject="Q",
            message_id="<q@example.test>",
        )  # fmt: skip
        # A try that failed on the network 100 s ago: the courier's next check sends it.
        outbox.update(entry, attempts=1, last_attempt=time.time() - 100, retries_itself=True)
        app = PtyApp(config, tmp_path / "data", cwd=tmp_path)
        try:
            assert app.wait_for(lambda: bool(server.seen.messages), timeout=20)
            app.pump(1.0)
            app.press(b"q")
            seconds = app.exit_time(10)
        finally:
            app.kill()
    assert seconds is not None, "still running 10 s after q"
    assert seconds < 1.0
    [entry] = outbox.entries()
    assert entry.message_id == "<q@example.test>"
