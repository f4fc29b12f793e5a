"""Where passwords and tokens come from, and what the user sees when they cannot be had."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from tests.support.processes import alive, group_members
from tui_mail.config import AccountConfig, OAuth2Config, ServerConfig
from tui_mail.core.auth.credentials import (
    KEYRING_SERVICE,
    get_oauth2_token,
    get_password,
    set_password,
)
from tui_mail.core.errors import CredentialsUnavailable, UsageError

IMAP = ServerConfig("imap.example.org", 993, "tls")


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict, so tests need no D-Bus."""

    priority = -10  # never chosen by keyring on its own

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.entries[(service, username)]


class LockedKeyring(KeyringBackend):
    """A keyring that fails the way a locked desktop keyring does."""

    priority = -10

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"could not store {password}")


@pytest.fixture(autouse=True)
def _restore_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever a test selects with keyring.set_keyring() is undone afterwards.
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def account(**changes: object) -> AccountConfig:
    fields: dict[str, object] = {"name": "work", "email": "me@example.org", "imap": IMAP}
    fields.update(changes)
    return AccountConfig(**fields)  # type: ignore[arg-type]


def failure(call: object, *args: object, **kwargs: object) -> CredentialsUnavailable:
    with pytest.raises(CredentialsUnavailable) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


def everything_shown(error: BaseException) -> str:
    """What a user or a log could see of an error raised by our code: its message, any chained
    exceptions, and the locals of our frames (Textual and pytest tracebacks print them)."""
    shown: list[str] = []
    current: traceback.TracebackException | None = traceback.TracebackException.from_exception(
        error, capture_locals=True
    )
    while current is not None:
        shown.extend(current.format_exception_only())
        for frame in current.stack:
            if "/tui_mail/" in frame.filename:
                shown.extend(f"{name}={value}" for name, value in (frame.locals or {}).items())
        current = current.__cause__ or current.__context__
    return "\n".join(shown)


# password_command


def test_password_command_first_line_without_newline() -> None:
    assert get_password(account(password_command="printf 'secret\\nsecond'")) == "secret"


def test_password_command_keeps_spaces_and_drops_crlf() -> None:
    assert get_password(account(password_command="printf ' s p \\r\\n'")) == " s p "


def test_password_command_runs_in_a_shell() -> None:
    command = 'P=from-shell; echo "$P" | tr a-z A-Z'
    assert get_password(account(password_command=command)) == "FROM-SHELL"


def test_password_command_wins_over_the_keyring(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, "work:me@example.org", "from-keyring")
    assert get_password(account(password_command="echo from-command")) == "from-command"


def test_failing_password_command_shows_command_status_and_stderr_but_not_stdout() -> None:
    command = "echo leaked-$((6 * 7)); echo 'gpg: decryption failed: No secret key' >&2; exit 3"

    error = failure(get_password, account(password_command=command))

    assert str(error) == (
        f'password_command of account "work" ("{command}") failed (exit status 3): '
        "gpg: decryption failed: No secret key"
    )
    assert "leaked-42" not in everything_shown(error)


def test_stderr_that_repeats_the_secret_is_masked() -> None:
    command = "echo hunter2; echo 'read hunter2 but then failed' >&2; exit 1"

    error = failure(get_password, account(password_command=command))

    assert str(error).endswith("failed (exit status 1): read *** but then failed")


def test_password_command_killed_by_a_signal() -> None:
    error = failure(get_password, account(password_command="kill -TERM $$"))

    assert "failed (killed by SIGTERM)" in str(error)


def test_password_command_that_prints_nothing() -> None:
    error = failure(get_password, account(password_command="true"))

    assert str(error) == (
        'password_command of account "work" ("true") printed nothing; '
        "it must print the secret on its first line"
    )


def test_password_command_that_prints_an_empty_first_line() -> None:
    error = failure(get_password, account(password_command="echo; echo line-$((1 + 1))"))

    assert "printed nothing" in str(error)
    assert "line-2" not in everything_shown(error)


def test_password_command_that_is_not_found() -> None:
    error = failure(get_password, account(password_command="no-such-command-tui-mail"))

    assert "failed (exit status 127): " in str(error)
    assert "no-such-command-tui-mail" in str(error).split("127): ")[1]


def test_password_command_timeout_kills_it_and_hides_partial_output() -> None:
    started = time.monotonic()

    command = "printf partial-$((6 * 7)); sleep 5"

    error = failure(get_password, account(password_command=command), timeout=0.3)

    assert time.monotonic() - started < 3
    assert str(error) == (
        f'password_command of account "work" ("{command}") did not finish within 0.3 s '
        "(is it waiting for input? It runs with no input attached)"
    )
    assert "partial-42" not in everything_shown(error)
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None


def test_password_command_gets_no_terminal_input() -> None:
    error = failure(get_password, account(password_command="read line && echo $line"), timeout=5)

    assert "failed (exit status 1)" in str(error)


def test_password_command_with_undecodable_output() -> None:
    error = failure(get_password, account(password_command="printf '\\377\\376'"))

    assert str(error).endswith("printed something that is not UTF-8 text")


# keyring


def test_keyring_password_is_stored_and_read_per_account_and_user(
    memory_keyring: MemoryKeyring,
) -> None:
    work = account(username="me")

    set_password(work, "s3cret")

    assert memory_keyring.entries == {(KEYRING_SERVICE, "work:me"): "s3cret"}
    assert get_password(work) == "s3cret"
    assert keyring.get_password("tui-mail", "work:me") == "s3cret"


def test_username_defaults_to_email_in_the_keyring_entry(memory_keyring: MemoryKeyring) -> None:
    set_password(account(), "s3cret")

    assert memory_keyring.entries == {(KEYRING_SERVICE, "work:me@example.org"): "s3cret"}


def test_no_password_stored_says_how_to_store_one(memory_keyring: MemoryKeyring) -> None:
    error = failure(get_password, account())

    assert str(error) == (
        'no password stored for account "work" (keyring service "tui-mail", entry '
        '"work:me@example.org"). Store one with "tui-mail set-password -a work", or set '
        'password_command in the account (e.g. password_command = "pass show mail/work")'
    )


def test_no_keyring_backend_suggests_password_command() -> None:
    keyring.set_keyring(fail.Keyring())

    error = failure(get_password, account())

    assert str(error) == (
        'cannot read the password for account "work": no system keyring is available (normal '
        "over SSH or without a desktop session). Set password_command in the account to a "
        'command that prints the password, e.g. password_command = "pass show mail/work", or '
        'store the password with "tui-mail set-password -a work" where a keyring is available'
    )
    assert error.__cause__ is None


def test_storing_without_a_keyring_backend() -> None:
    keyring.set_keyring(fail.Keyring())

    error = failure(set_password, account(), "hunter2")

    assert str(error).startswith(
        'cannot store the password for account "work": no system keyring is available'
    )
    assert 'password_command = "pass show mail/work"' in str(error)
    assert "hunter2" not in everything_shown(error)


def test_the_null_keyring_would_lose_the_password_so_it_counts_as_none() -> None:
    keyring.set_keyring(null.Keyring())

    assert "no system keyring is available" in str(failure(set_password, account(), "hunter2"))
    assert "no system keyring is available" in str(failure(get_password, account()))


def test_locked_keyring() -> None:
    keyring.set_keyring(LockedKeyring())

    error = failure(get_password, account())

    assert str(error).startswith(
        'cannot read the password for account "work" from the system keyring: '
        "KeyringLocked: Failed to unlock the collection. Set password_command"
    )


def test_keyring_error_that_repeats_the_secret_is_masked() -> None:
    keyring.set_keyring(LockedKeyring())

    error = failure(set_password, account(), "hunter2")

    assert str(error) == (
        'cannot store the password for account "work" in the system keyring: '
        "PasswordSetError: could not store ***"
    )
    assert "hunter2" not in everything_shown(error)


def test_empty_password_is_not_stored(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(UsageError, match="empty password"):
        set_password(account(), "")

    assert memory_keyring.entries == {}


# OAuth2


def oauth_account(token_command: str | None) -> AccountConfig:
    return account(auth="oauth2", oauth2=OAuth2Config(token_command))


def test_oauth2_token_from_command() -> None:
    assert get_oauth2_token(oauth_account("printf 'tok-123\\n'")) == "tok-123"


def test_oauth2_token_command_failure_names_the_setting() -> None:
    error = failure(get_oauth2_token, oauth_account("echo 'refresh failed' >&2; exit 2"))

    assert str(error).startswith('oauth2.token_command of account "work" (')
    assert str(error).endswith("failed (exit status 2): refresh failed")


def test_oauth2_token_from_keyring(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, "work:me@example.org:oauth2", "tok-456")

    assert get_oauth2_token(oauth_account(None)) == "tok-456"
    assert get_oauth2_token(account(auth="oauth2")) == "tok-456"


def test_no_oauth2_token_says_to_set_token_command(memory_keyring: MemoryKeyring) -> None:
    error = failure(get_oauth2_token, oauth_account(None))

    assert str(error) == (
        'no OAuth2 token for account "work": set token_command in [accounts.oauth2] to a command '
        'that prints a fresh access token (e.g. token_command = "oama access me@example.org")'
    )


def test_oauth2_without_keyring_backend() -> None:
    keyring.set_keyring(fail.Keyring())

    error = failure(get_oauth2_token, oauth_account(None))

    assert str(error).startswith(
        'cannot read the OAuth2 token for account "work": no system keyring is available'
    )
    assert "token_command" in str(error)


# Start-up cost


def test_importing_config_and_credentials_loads_neither_keyring_nor_textual() -> None:
    code = (
        "import sys, tui_mail.config, tui_mail.core.auth.credentials\n"
        "print(sorted(m for m in ('keyring', 'textual') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("setting", ["password_command", "token_command"])
def test_a_command_that_times_out_leaves_nothing_running(tmp_path: Path, setting: str) -> None:
    pids = tmp_path / "pids"
    # The shell starts a child that would outlive it, then hangs waiting for it.
    command = f"sleep 1000 & echo $$ $! > {pids}; wait"
    if setting == "password_command":
        error = failure(get_password, account(password_command=command), timeout=0.5)
    else:
        oauth = account(auth="oauth2", oauth2=OAuth2Config(token_command=command))
        error = failure(get_oauth2_token, oauth, timeout=0.5)

    assert "did not finish within 0.5 s" in str(error)
    shell, sleeper = (int(pid) for pid in pids.read_text().split())
    deadline = time.monotonic() + 5
    while (alive(sleeper) or group_members(shell)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(sleeper), "the command's `sleep 1000` child is still running"
    assert group_members(shell) == []
    assert os.getpgid(0) != shell  # it ran in a group of its own, not in ours
