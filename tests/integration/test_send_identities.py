"""Identities through the CLI, end to end: the config file as a user writes it, the suite's
Dovecot holding the mail answered, aiosmtpd receiving what is sent."""

from __future__ import annotations

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

from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.smtp import SmtpServer

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer,
    smtp_ca: tuple[trustme.CA, Path],
) -> Run:  # fmt: skip
    cas = tmp_path / "cas.pem"
    cas.write_bytes(dovecot.ca_pem.read_bytes() + smtp_ca[1].read_bytes())
    secret = tmp_path / "secret"
    secret.write_text(mail_user.password + "\n")
    imap_port, smtp_port = dovecot.imaps_port, smtp.server_config().port
    config = tmp_path / "config.toml"
    config.write_text(f"""
[[accounts]]
name = "work"
email = "{mail_user.name}@example.test"
username = "{mail_user.name}"
display_name = "Ada Lovelace"
signature = "Ada\\nAnalytical Engines"
signature_position = "above"
aliases = ["ada@alias.example"]
password_command = "cat {secret}"
ca_file = "{cas}"

[accounts.imap]
host = "localhost"
port = {imap_port}
security = "tls"

[accounts.smtp]
host = "localhost"
port = {smtp_port}
security = "starttls"

[[accounts.identities]]
email = "ada@home.example"
display_name = "Ada at home"
signature = "Love,\\nA."
""")

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


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    content: str = body.get_content()
    return content


def test_a_reply_to_mail_for_an_identity_goes_out_as_it_signed_above_the_quote(
    cli: Run, smtp: SmtpServer, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [make_message(
        1, from_="Bob <bob@example.org>", to="family@lists.example",
        cc=f"Ada <{mail_user.name}@example.test>", delivered_to="ada@home.example",
        body="Dinner?\n", date="Tue, 02 Jan 2024 10:15:00 +0100", subject="Sunday",
    )])  # fmt: skip

    result = cli("reply", "--all", "1", stdin="Yes, at seven.\n")
    assert result.returncode == 0, result.stderr

    [received] = smtp.messages
    assert received.mail_from == "ada@home.example"
    assert received.rcpt_tos == ["bob@example.org", "family@lists.example"]  # not us
    reply = parsed(received.data)
    assert reply["From"] == "Ada at home <ada@home.example>"
    assert text_of(reply) == (
        "Yes, at seven.\n\n-- \nLove,\nA.\n\n"
        "On Tue, 02 Jan 2024 at 10:15, Bob <bob@example.org> wrote:\n> Dinner?\n"
    )


def test_send_from_takes_any_identity_with_its_signature_and_refuses_others(
    cli: Run, smtp: SmtpServer
) -> None:
    sent = cli("send", "--to", "bob@example.org", "--subject", "Hi", "--from",
               "ADA@home.example", stdin="Hello.\n")  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    [received] = smtp.messages
    message = parsed(received.data)
    assert message["From"] == "Ada at home <ada@home.example>"
    assert text_of(message) == "Hello.\n\n-- \nLove,\nA.\n"

    alias = cli("send", "--to", "bob@example.org", "--subject", "Hi", "--from",
                "ada@alias.example", stdin="Hello.\n")  # fmt: skip
    assert alias.returncode == 0, alias.stderr
    message = parsed(smtp.messages[1].data)
    assert message["From"] == "Ada Lovelace <ada@alias.example>"
    assert text_of(message) == "Hello.\n\n-- \nAda\nAnalytical Engines\n"

    refused = cli("send", "--to", "bob@example.org", "--subject", "Hi", "--from",
                  "ceo@example.com", stdin="Hello.\n")  # fmt: skip
    assert refused.returncode != 0
    assert "'ceo@example.com' is not an address of account 'work'" in refused.stderr
    assert "ada@home.example" in refused.stderr and "Traceback" not in refused.stderr
    assert len(smtp.messages) == 2
