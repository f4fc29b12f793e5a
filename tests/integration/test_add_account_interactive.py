"""`tui-mail add-account` with no flags, answered on a real terminal (a pty), against the
suite's Dovecot and a local submission server: what a person types, what they see."""

from __future__ import annotations

import os
import pty
import select
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import DovecotServer, MailUser
from tests.support.setup_servers import LocalCA, read_file_keyring, smtp_server

ROOT = Path(__file__).resolve().parents[2]


class Terminal:
    """The CLI on the child side of a pty (so getpass really turns echo off)."""

    def __init__(self, env: dict[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: becomes tui-mail, with the pty as its terminal
            argv = [sys.executable, "-m", "tui_mail", "add-account"]
            os.execve(sys.executable, argv, env)  # noqa: S606 -- no shell wanted
        self.pid, self.fd = pid, fd
        self.transcript = ""

    def expect(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.transcript:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"never saw {text!r}; the screen shows:\n{self.transcript}"
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: the child has gone
                    chunk = b""
                assert chunk, f"it ended before {text!r}:\n{self.transcript}"
                self.transcript += chunk.decode("utf-8", "replace")

    def answer(self, prompt: str, text: str) -> None:
        self.expect(prompt)
        os.write(self.fd, text.encode() + b"\r")

    def finish(self) -> int:
        with_rest = time.monotonic() + 60
        while time.monotonic() < with_rest:
            ready, _, _ = select.select([self.fd], [], [], 1)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                self.transcript += chunk.decode("utf-8", "replace")
        _pid, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


@pytest.fixture
def smtp_port(tmp_path: Path, mail_user: MailUser) -> Iterator[tuple[int, LocalCA]]:
    ca = LocalCA(tmp_path / "smtp-ca")
    with smtp_server(ca, {mail_user.name: mail_user.password}) as (port, _authenticator):
        yield port, ca


def environment(tmp_path: Path, keyring: str) -> dict[str, str]:
    return dict(
        os.environ, TUI_MAIL_CONFIG=str(tmp_path / "cfg" / "config.toml"),
        TUI_MAIL_DATA_DIR=str(tmp_path / "data"), PYTHON_KEYRING_BACKEND=keyring,
        TUI_MAIL_TEST_KEYRING=str(tmp_path / "keyring.json"), PYTHONPATH=str(ROOT),
        TERM="dumb",
    )  # fmt: skip


def answer_the_server_questions(
    term: Terminal, dovecot: DovecotServer, user: MailUser, smtp: tuple[int, LocalCA]
) -> None:
    port, ca = smtp
    term.answer("Email address: ", f"{user.name}@example.test")
    term.answer("Account name (for -a) [example]: ", "work")
    term.expect("IMAP  not found")
    term.answer("Your name (for From): ", "Ada L")
    term.answer("Use these servers? [Y/n]: ", "n")
    term.answer(f"Login name [{user.name}@example.test]: ", user.name)
    term.answer("IMAP host: ", "localhost")
    term.answer("IMAP security (tls/starttls) [tls]: ", "")
    term.answer("IMAP port: ", str(dovecot.imaps_port))
    term.answer("SMTP host: ", "localhost")
    term.answer("SMTP security (tls/starttls) [tls]: ", "starttls")
    term.answer("SMTP port: ", str(port))
    term.answer("(empty for none): ", str(ca.bundle_with(dovecot.ca_pem)))
    term.answer("Login with (password/oauth2) [password]: ", "")


def test_typed_answers_make_a_tested_account_with_the_password_in_the_keyring(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, smtp_port: tuple[int, LocalCA]
) -> None:
    term = Terminal(environment(tmp_path, "tests.support.setup_servers.FileKeyring"))
    answer_the_server_questions(term, dovecot, mail_user, smtp_port)
    term.answer(f"Password for {mail_user.name}: ", mail_user.password)

    assert term.finish() == 0, term.transcript
    assert "IMAP  login         ok    as " in term.transcript
    assert "SMTP  login         ok    as " in term.transcript
    assert "Saved account 'work'" in term.transcript
    assert mail_user.password not in term.transcript  # getpass kept it off the screen
    config_text = (tmp_path / "cfg" / "config.toml").read_text()
    saved = tomllib.loads(config_text)["accounts"][0]
    assert (saved["name"], saved["display_name"], saved["username"]) == (
        "work", "Ada L", mail_user.name,
    )  # fmt: skip
    assert saved["imap"] == {"host": "localhost", "port": dovecot.imaps_port, "security": "tls"}
    assert saved["smtp"] == {"host": "localhost", "port": smtp_port[0], "security": "starttls"}
    assert mail_user.password not in config_text
    assert read_file_keyring(tmp_path / "keyring.json") == {
        ("tui-mail", f"work:{mail_user.name}"): mail_user.password
    }


def test_without_a_keyring_a_typed_password_command_is_saved(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, smtp_port: tuple[int, LocalCA]
) -> None:
    vault = tmp_path / "vault"
    vault.write_text(mail_user.password + "\n")
    term = Terminal(environment(tmp_path, "keyring.backends.fail.Keyring"))
    answer_the_server_questions(term, dovecot, mail_user, smtp_port)
    term.answer(f"Password for {mail_user.name}: ", mail_user.password)
    term.expect("Cannot use the system keyring: no system keyring is available")
    term.answer("empty for other choices: ", f"cat {vault}")

    assert term.finish() == 0, term.transcript
    assert "Saved account 'work'" in term.transcript
    assert mail_user.password not in term.transcript
    saved = tomllib.loads((tmp_path / "cfg" / "config.toml").read_text())["accounts"][0]
    assert saved["password_command"] == f"cat {vault}"
