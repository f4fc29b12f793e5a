"""The connection doctor against the suite's Dovecot and a local submission server: what a
user reads for success, a wrong port, an untrusted certificate and a wrong password."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.accounts import imap_account
from tests.support.dovecot import DovecotServer, MailUser
from tests.support.setup_servers import LocalCA, free_port, smtp_server
from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.core.doctor import DoctorReport, diagnose_account


@pytest.fixture
def smtp(tmp_path: Path, mail_user: MailUser) -> Iterator[tuple[int, LocalCA]]:
    ca = LocalCA(tmp_path / "smtp-ca")
    with smtp_server(ca, {mail_user.name: mail_user.password}) as (port, _authenticator):
        yield port, ca


@pytest.fixture
def account(
    dovecot: DovecotServer, mail_user: MailUser, smtp: tuple[int, LocalCA]
) -> AccountConfig:
    port, ca = smtp
    base = imap_account(dovecot, mail_user, name="work")
    return dataclasses.replace(
        base, ca_file=ca.bundle_with(dovecot.ca_pem),
        smtp=ServerConfig("localhost", port, "starttls"),
    )  # fmt: skip


def rows(report: DoctorReport) -> list[tuple[str, str, str]]:
    return [(c.protocol, c.step, c.status) for c in report.checks]


def test_everything_passes(account: AccountConfig, mail_user: MailUser) -> None:
    report = diagnose_account(account, lambda: mail_user.password, timeout=5)

    assert rows(report) == [
        ("IMAP", "DNS", "ok"), ("IMAP", "connect", "ok"), ("IMAP", "TLS", "ok"),
        ("IMAP", "certificate", "ok"), ("IMAP", "capabilities", "ok"), ("IMAP", "login", "ok"),
        ("IMAP", "folders", "ok"), ("IMAP", "compression", "ok"), ("IMAP", "IDLE", "ok"),
        ("SMTP", "DNS", "ok"), ("SMTP", "connect", "ok"), ("SMTP", "STARTTLS", "ok"),
        ("SMTP", "TLS", "ok"), ("SMTP", "certificate", "ok"), ("SMTP", "capabilities", "ok"),
        ("SMTP", "login", "ok"),
    ]  # fmt: skip
    assert report.ok and report.exit_code == 0
    text = report.format()
    assert "IMAP  certificate   ok    CN=" in text
    assert "valid for localhost until 3000-01-01" in text
    assert "AUTH LOGIN PLAIN" in text
    assert text.endswith("All checks passed.")
    assert mail_user.password not in text


def test_tls_on_a_plaintext_port(account: AccountConfig, dovecot: DovecotServer) -> None:
    wrong = dataclasses.replace(account, imap=ServerConfig("localhost", dovecot.imap_port, "tls"),
                                smtp=None)  # fmt: skip

    report = diagnose_account(wrong, None, timeout=5)

    failure = report.failures[0]
    assert (failure.step, failure.detail) == (
        "TLS", f"handshake with localhost:{dovecot.imap_port} failed: WRONG_VERSION_NUMBER",
    )  # fmt: skip
    assert failure.fix == (
        f'port {dovecot.imap_port} speaks plaintext first: use security = "starttls" '
        "(port 143), or port 993 for tls"
    )
    assert report.exit_code == 3


def test_starttls_on_an_implicit_tls_port_times_out_with_advice(
    account: AccountConfig, dovecot: DovecotServer
) -> None:
    wrong = dataclasses.replace(
        account, imap=ServerConfig("localhost", dovecot.imaps_port, "starttls"), smtp=None
    )

    report = diagnose_account(wrong, None, timeout=0.5)

    failure = report.failures[0]
    assert failure.step == "greeting"
    assert failure.fix is not None
    assert 'expects TLS from the first byte: use security = "tls" (port 993)' in failure.fix


def test_nothing_listening(account: AccountConfig) -> None:
    closed = free_port()
    wrong = dataclasses.replace(account, imap=ServerConfig("127.0.0.1", closed, "tls"), smtp=None)

    report = diagnose_account(wrong, None, timeout=5)

    assert [(c.step, c.status) for c in report.checks] == [
        ("DNS", "ok"), ("connect", "fail"), ("server", "warn"),
    ]  # fmt: skip
    failure = report.failures[0]
    assert failure.detail == f"127.0.0.1:{closed}: connection refused"
    assert failure.fix is not None and failure.fix.startswith(f"nothing listens on port {closed}")


def test_untrusted_certificate_shows_it_and_suggests_ca_file(
    account: AccountConfig, mail_user: MailUser
) -> None:
    untrusting = dataclasses.replace(account, ca_file=None, smtp=None)

    report = diagnose_account(untrusting, lambda: mail_user.password, timeout=5)

    failure = report.failures[0]
    assert failure.step == "certificate"
    assert failure.detail.startswith("not trusted: unable to get local issuer certificate")
    assert "issued by tui-mail test CA" in failure.detail
    assert failure.fix is not None and "set ca_file" in failure.fix
    assert ("IMAP", "login", "ok") not in rows(report)  # never logs in over an untrusted link


def test_wrong_password(account: AccountConfig) -> None:
    report = diagnose_account(account, lambda: "not-the-password-42", timeout=5)

    failed = {(c.protocol, c.step) for c in report.failures}
    assert failed == {("IMAP", "login"), ("SMTP", "login")}
    imap = report.failures[0]
    assert "rejected the login" in imap.detail
    assert imap.fix is not None and "app password" in imap.fix
    assert report.exit_code == 4
    assert "not-the-password-42" not in report.format()


def test_doctor_command(tmp_path: Path, account: AccountConfig, mail_user: MailUser) -> None:
    secret = tmp_path / "secret"
    secret.write_text(mail_user.password)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[accounts]]\nname = "work"\nemail = "a@example.test"\nusername = "{mail_user.name}"\n'
        f'password_command = "cat {secret}"\nca_file = "{account.ca_file}"\n'
        f'[accounts.imap]\nhost = "localhost"\nport = {account.imap.port}\n'  # type: ignore[union-attr]
    )
    env = dict(os.environ, TUI_MAIL_CONFIG=str(config))

    command = [sys.executable, "-m", "tui_mail", "doctor", "-a", "work"]
    shown = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=60, check=False
    )

    assert shown.returncode == 0, shown.stdout + shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "Connection doctor for account 'work'"
    assert any(line.startswith("IMAP  login         ok    as ") for line in lines)
    assert "SMTP  server        WARN  no [accounts.smtp]: this account cannot send" in lines
    assert lines[-1] == (
        "Passed with 1 warning: SMTP server: no [accounts.smtp]: this account cannot send."
    )
