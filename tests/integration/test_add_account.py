"""`tui-mail add-account` by flags, as a script would run it, against the suite's Dovecot and
a local submission server; then the saved account is used for real."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import DovecotServer, MailUser
from tests.support.setup_servers import LocalCA, read_file_keyring, smtp_server

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def smtp(tmp_path: Path, mail_user: MailUser) -> Iterator[tuple[int, LocalCA]]:
    ca = LocalCA(tmp_path / "smtp-ca")
    with smtp_server(ca, {mail_user.name: mail_user.password}) as (port, _authenticator):
        yield port, ca


@pytest.fixture
def cli(tmp_path: Path) -> Run:
    def run(*args: str, stdin: str = "", keyring: str = "file") -> subprocess.CompletedProcess[str]:
        backend = {
            "file": "tests.support.setup_servers.FileKeyring",
            "none": "keyring.backends.fail.Keyring",
        }[keyring]
        env = dict(
            os.environ, TUI_MAIL_CONFIG=str(tmp_path / "cfg" / "config.toml"),
            TUI_MAIL_DATA_DIR=str(tmp_path / "data"), PYTHON_KEYRING_BACKEND=backend,
            TUI_MAIL_TEST_KEYRING=str(tmp_path / "keyring.json"), PYTHONPATH=str(ROOT),
        )  # fmt: skip
        return subprocess.run(
            [sys.executable, "-m", "tui_mail", *args], input=stdin, capture_output=True,
            text=True, env=env, timeout=120, check=False,
        )  # fmt: skip

    return run


def server_flags(dovecot: DovecotServer, user: MailUser, smtp_port: int, ca: LocalCA) -> list[str]:
    return [
        "--email", f"{user.name}@example.test", "--name", "work", "--display-name", "Ada L",
        "--username", user.name,
        "--imap-host", "localhost", "--imap-port", str(dovecot.imaps_port),
        "--imap-security", "tls",
        "--smtp-host", "localhost", "--smtp-port", str(smtp_port), "--smtp-security", "starttls",
        "--ca-file", str(ca.bundle_with(dovecot.ca_pem)), "--yes",
    ]  # fmt: skip


def test_added_by_flags_tested_saved_and_usable(
    cli: Run, tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser,
    smtp: tuple[int, LocalCA],
) -> None:  # fmt: skip
    port, ca = smtp

    added = cli("add-account", *server_flags(dovecot, mail_user, port, ca), "--password-stdin",
                stdin=mail_user.password + "\n")  # fmt: skip

    assert added.returncode == 0, added.stderr
    assert "IMAP  login         ok    as " in added.stderr
    assert "SMTP  login         ok    as " in added.stderr
    assert "Saved account 'work'" in added.stderr
    config_text = (tmp_path / "cfg" / "config.toml").read_text()
    saved = tomllib.loads(config_text)["accounts"][0]
    assert saved["imap"] == {"host": "localhost", "port": dovecot.imaps_port, "security": "tls"}
    assert saved["smtp"]["security"] == "starttls"
    assert saved["display_name"] == "Ada L"
    assert mail_user.password not in config_text
    assert mail_user.password not in added.stdout + added.stderr
    assert read_file_keyring(tmp_path / "keyring.json") == {
        ("tui-mail", f"work:{mail_user.name}"): mail_user.password
    }

    folders = cli("folders")
    assert folders.returncode == 0, folders.stderr
    assert folders.stdout.splitlines()[0].startswith("INBOX")


def test_a_wrong_password_saves_nothing(
    cli: Run, tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser,
    smtp: tuple[int, LocalCA],
) -> None:  # fmt: skip
    port, ca = smtp

    added = cli("add-account", *server_flags(dovecot, mail_user, port, ca), "--password-stdin",
                stdin="wrong-password-123\n")  # fmt: skip

    assert added.returncode == 4
    assert "IMAP  login         FAIL" in added.stderr
    assert added.stderr.splitlines()[-1].startswith(
        "tui-mail: the IMAP login test failed (localhost:"
    )
    assert "nothing was saved" in added.stderr
    assert "wrong-password-123" not in added.stdout + added.stderr
    assert not (tmp_path / "cfg" / "config.toml").exists()
    assert read_file_keyring(tmp_path / "keyring.json") == {}


def test_without_a_keyring_it_says_so_and_offers_the_alternatives(
    cli: Run, tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser,
    smtp: tuple[int, LocalCA],
) -> None:  # fmt: skip
    port, ca = smtp
    flags = server_flags(dovecot, mail_user, port, ca)

    refused = cli("add-account", *flags, "--password-stdin", stdin=mail_user.password + "\n",
                  keyring="none")  # fmt: skip

    assert refused.returncode == 4
    assert refused.stderr.splitlines()[-1] == (
        "tui-mail: cannot store the password: no system keyring is available (normal over SSH "
        "or without a desktop session). Nothing was saved. Use --password-command CMD (e.g. "
        "'pass show mail/x'), or, knowing it is stored unencrypted, --password-file PATH"
    )
    assert not (tmp_path / "cfg" / "config.toml").exists()

    secret_file = tmp_path / "secrets" / "work"
    added = cli("add-account", *flags, "--password-stdin", "--password-file", str(secret_file),
                stdin=mail_user.password + "\n", keyring="none")  # fmt: skip

    assert added.returncode == 0, added.stderr
    assert secret_file.read_text() == mail_user.password + "\n"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    config_text = (tmp_path / "cfg" / "config.toml").read_text()
    assert f'password_command = "cat -- {secret_file}"' in config_text
    assert mail_user.password not in config_text
    assert cli("folders", keyring="none").returncode == 0


def test_password_command_is_saved_and_no_secret_is_stored(
    cli: Run, tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser,
    smtp: tuple[int, LocalCA],
) -> None:  # fmt: skip
    port, ca = smtp
    vault = tmp_path / "vault"
    vault.write_text(mail_user.password + "\n")

    added = cli("add-account", *server_flags(dovecot, mail_user, port, ca),
                "--password-command", f"cat {vault}")  # fmt: skip

    assert added.returncode == 0, added.stderr
    saved = tomllib.loads((tmp_path / "cfg" / "config.toml").read_text())["accounts"][0]
    assert saved["password_command"] == f"cat {vault}"
    assert read_file_keyring(tmp_path / "keyring.json") == {}
    assert cli("folders").returncode == 0


def test_no_password_source_in_a_script_is_a_usage_error(cli: Run, tmp_path: Path) -> None:
    added = cli("add-account", "--email", "ada@example.test", "--imap-host", "localhost",
                "--no-smtp", "--yes")  # fmt: skip

    assert added.returncode == 2
    assert "no password source: pass --password-command CMD" in added.stderr
    assert not (tmp_path / "cfg" / "config.toml").exists()


def test_oauth2_provider_without_a_client_id_says_how_to_get_one(cli: Run, tmp_path: Path) -> None:
    added = cli("add-account", "--email", "ada@outlook.com", "--yes")

    assert added.returncode == 2
    assert "found by preset" in added.stderr
    assert added.stderr.splitlines()[-1] == (
        "tui-mail: OAuth2 needs your own registered application: pass --client-id ID (see the "
        "README for registering one), or --token-command CMD for a tool that prints access "
        "tokens (e.g. oama), or --auth password"
    )
    assert not (tmp_path / "cfg" / "config.toml").exists()
