"""Passwords and OAuth2 access tokens: from the user's own command, else the system keyring.

No secret may reach a message, a log line or an exception: errors about a command show the
command (it is configuration), its exit status and the first line of its stderr, never its
stdout. Failures are raised from frames that no longer hold the secret, and without exception
chains, because tracebacks with locals (Textual's, pytest's) would print it.

keyring is imported on first use: it costs about 100 ms of start-up.
"""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_mail.core.errors import CredentialsUnavailable, UsageError
from tui_mail.core.sanitize import sanitize_line

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig

KEYRING_SERVICE = "tui-mail"
COMMAND_TIMEOUT = 30.0
"""Seconds a password_command or token_command may take."""

_STDERR_SHOWN = 200


def get_password(account: AccountConfig, *, timeout: float = COMMAND_TIMEOUT) -> str:
    """The account's password: first line of its password_command, else the keyring entry."""
    if account.password_command is not None:
        return _secret_from_command(account, "password_command", account.password_command, timeout)
    return _secret_from_keyring(account, _keyring_user(account), "password")


def set_password(account: AccountConfig, secret: str) -> None:
    """Store `secret` in the system keyring as the account's password."""
    if not secret:
        raise UsageError("refusing to store an empty password")
    problem = _store_in_keyring(_keyring_user(account), secret)
    del secret  # not in this frame's locals when the error below is shown with them
    if problem == _NO_KEYRING:
        raise CredentialsUnavailable(
            f"cannot store the password for account {_name(account)}: {_NO_KEYRING}. "
            f"{_command_advice(account, 'password')}"
        )
    if problem:
        raise CredentialsUnavailable(
            f"cannot store the password for account {_name(account)} in the system keyring: "
            f"{problem}"
        )


def get_oauth2_token(account: AccountConfig, *, timeout: float = COMMAND_TIMEOUT) -> str:
    """An OAuth2 access token: from oauth2.token_command, else the keyring entry."""
    command = account.oauth2.token_command if account.oauth2 is not None else None
    if command is not None:
        return _secret_from_command(account, "oauth2.token_command", command, timeout)
    return _secret_from_keyring(account, f"{_keyring_user(account)}:oauth2", "OAuth2 token")


# Commands


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a command gave: the secret, or why there is none (never both)."""

    secret: str | None = field(default=None, repr=False)
    problem: str | None = None


def _secret_from_command(account: AccountConfig, setting: str, command: str, timeout: float) -> str:
    outcome = _run_secret_command(command, timeout)
    if outcome.secret is not None:
        return outcome.secret
    raise CredentialsUnavailable(
        f"{setting} of account {_name(account)} ({_quote(command)}) {outcome.problem}"
    )


def _run_secret_command(command: str, timeout: float) -> _Outcome:
    """Run `command` in a shell, as mutt and aerc do; returns instead of raising so that the
    frame holding the output is gone before anything is raised."""
    try:
        completed = subprocess.run(  # noqa: S602 -- the user's own command, as in mutt/aerc
            command,
            shell=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:  # carries partial stdout: never let it escape
        return _Outcome(
            problem=f"did not finish within {timeout:g} s (is it waiting for input? "
            "It runs with no input attached)"
        )
    except OSError as exc:
        return _Outcome(problem=f"could not be started: {exc.strerror or type(exc).__name__}")

    first_line = completed.stdout.split(b"\n", 1)[0].removesuffix(b"\r")
    if completed.returncode != 0:
        stderr = _first_stderr_line(completed.stderr, first_line)
        status = _exit_status(completed.returncode)
        return _Outcome(problem=f"failed ({status})" + (f": {stderr}" if stderr else ""))
    if not first_line:
        return _Outcome(problem="printed nothing; it must print the secret on its first line")
    try:
        return _Outcome(secret=first_line.decode("utf-8"))
    except UnicodeDecodeError:
        return _Outcome(problem="printed something that is not UTF-8 text")


def _first_stderr_line(stderr: bytes, secret: bytes) -> str:
    for raw in stderr.splitlines():
        if raw.strip():
            # A command that echoes what it read (set -x, a verbose wrapper) would leak it here.
            shown = raw.replace(secret, b"***") if secret.strip() else raw
            line = sanitize_line(shown.decode("utf-8", errors="replace")).strip()
            return line if len(line) <= _STDERR_SHOWN else line[: _STDERR_SHOWN - 3] + "..."
    return ""


def _exit_status(returncode: int) -> str:
    if returncode >= 0:
        return f"exit status {returncode}"
    try:
        return f"killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"killed by signal {-returncode}"


# Keyring

_NO_KEYRING = "no system keyring is available (normal over SSH or without a desktop session)"


def _secret_from_keyring(account: AccountConfig, user: str, what: str) -> str:
    secret, problem = _read_keyring(user)
    if secret:
        return secret
    if problem == _NO_KEYRING:
        raise CredentialsUnavailable(
            f"cannot read the {what} for account {_name(account)}: {_NO_KEYRING}. "
            f"{_command_advice(account, what)}"
        )
    if problem:
        raise CredentialsUnavailable(
            f"cannot read the {what} for account {_name(account)} from the system keyring: "
            f"{problem}. {_command_advice(account, what)}"
        )
    if what == "password":
        raise CredentialsUnavailable(
            f"no password stored for account {_name(account)} (keyring service "
            f'"{KEYRING_SERVICE}", entry {_quote(user)}). Store one with "tui-mail set-password '
            f'-a {account.name}", or set password_command in the account '
            f'(e.g. password_command = "pass show mail/{account.name}")'
        )
    raise CredentialsUnavailable(
        f"no OAuth2 token for account {_name(account)}: set token_command in "
        f"[accounts.oauth2] to a command that prints a fresh access token "
        f'(e.g. token_command = "oama access {account.username}")'
    )


def _read_keyring(user: str) -> tuple[str | None, str | None]:
    """(secret, None), (None, None) when nothing is stored, or (None, problem)."""
    try:
        import keyring  # noqa: PLC0415 -- see the module docstring
        from keyring.backends import null  # noqa: PLC0415
        from keyring.errors import NoKeyringError  # noqa: PLC0415

        if isinstance(keyring.get_keyring(), null.Keyring):
            return None, _NO_KEYRING
        return keyring.get_password(KEYRING_SERVICE, user), None
    except NoKeyringError:
        return None, _NO_KEYRING
    except Exception as exc:  # D-Bus, a locked or broken backend: all mean "no secret here"
        return None, _describe_exception(exc, None)


def _store_in_keyring(user: str, secret: str) -> str | None:
    """None when stored, else what went wrong (with any echo of the secret removed)."""
    try:
        import keyring  # noqa: PLC0415 -- see the module docstring
        from keyring.backends import null  # noqa: PLC0415
        from keyring.errors import NoKeyringError  # noqa: PLC0415

        if isinstance(keyring.get_keyring(), null.Keyring):
            return _NO_KEYRING  # the null backend would accept it and forget it
        keyring.set_password(KEYRING_SERVICE, user, secret)
    except NoKeyringError:
        return _NO_KEYRING
    except Exception as exc:
        return _describe_exception(exc, secret)
    return None


def _describe_exception(exc: Exception, secret: str | None) -> str:
    text = str(exc).splitlines()[0] if str(exc).strip() else ""
    if secret:
        text = text.replace(secret, "***")
    text = sanitize_line(text)[:_STDERR_SHOWN].rstrip(" .!")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _command_advice(account: AccountConfig, what: str) -> str:
    if what == "password":
        return (
            f"Set password_command in the account to a command that prints the password, "
            f'e.g. password_command = "pass show mail/{account.name}", or store the password '
            f'with "tui-mail set-password -a {account.name}" where a keyring is available'
        )
    return (
        "Set token_command in [accounts.oauth2] to a command that prints a fresh access token, "
        f'e.g. token_command = "oama access {account.username}"'
    )


def _keyring_user(account: AccountConfig) -> str:
    return f"{account.name}:{account.username}"


def _name(account: AccountConfig) -> str:
    return _quote(account.name)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
