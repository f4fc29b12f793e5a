"""Passwords and OAuth2 access tokens: from the user's own command, else the system keyring.

No secret may reach a message, a log line or an exception: errors about a command show the
command (it is configuration), its exit status and the first line of its stderr, never its
stdout. Failures are raised from frames that no longer hold the secret, and without exception
chains, because tracebacks with locals (Textual's, pytest's) would print it.

keyring is imported on first use: it costs about 100 ms of start-up.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.config.private import private_dir
from tui_mail.core.errors import CredentialsUnavailable, TuiMailError, UsageError
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.process_group import run_in_own_group

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.auth.oauth2 import TokenSet

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


def get_oauth2_token(
    account: AccountConfig, *, timeout: float = COMMAND_TIMEOUT, force_refresh: bool = False
) -> str:
    """A fresh OAuth2 access token: from oauth2.token_command, else the keyring.

    The keyring holds the token set `tui-mail authorize` stored; an access token that has
    expired (or will within REFRESH_MARGIN), or any with `force_refresh` (after the server
    refused it), is refreshed with the refresh token and stored again. A bare access token
    stored by hand is returned as it is.
    """
    command = account.oauth2.token_command if account.oauth2 is not None else None
    if command is not None:
        return _secret_from_command(account, "oauth2.token_command", command, timeout)
    outcome = _oauth2_from_keyring(account, force_refresh)
    if outcome.secret is not None:
        return outcome.secret
    if outcome.problem is None:  # nothing stored, or the keyring failed: the usual words
        return _secret_from_keyring(account, _oauth2_user(account), "OAuth2 token")
    raise CredentialsUnavailable(
        f"cannot refresh the OAuth2 token of account {_name(account)}: {outcome.problem}. "
        f'Sign in again with "tui-mail authorize -a {account.name}"'
    )


def oauth2_token_after_rejection(account: AccountConfig, rejected: str) -> str | None:
    """Another access token to try once after a server refused `rejected`, or None.

    A token from the keyring is refreshed (get_oauth2_token with force_refresh) when it is
    the one stored, so a token revoked or expired early is replaced without the user
    noticing; a token_command is run again (tools such as oama refresh by themselves).
    None when there is nothing different to try; CredentialsUnavailable when the refresh
    itself was refused (the user must sign in again, which is the more useful news).
    """
    # Only a digest stays in this frame: a refusal raised below must not show the token.
    rejected_digest = _digest(rejected)
    del rejected
    command = account.oauth2.token_command if account.oauth2 is not None else None
    if command is None and not _stored_and_refreshable(account, rejected_digest):
        return None  # not ours to refresh: a token given by the caller, or a bare one
    fresh = get_oauth2_token(account, force_refresh=True)
    return None if _digest(fresh) == rejected_digest else fresh


def _stored_and_refreshable(account: AccountConfig, access_digest: str) -> bool:
    from tui_mail.core.auth.oauth2 import TokenSet  # noqa: PLC0415

    stored, _problem = _read_keyring(_oauth2_user(account))
    tokens = TokenSet.from_json(stored or "")
    return (
        tokens is not None
        and bool(tokens.refresh_token)
        and _digest(tokens.access_token) == access_digest
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def store_oauth2_tokens(account: AccountConfig, tokens: TokenSet) -> None:
    """Keep the account's OAuth2 tokens (and client secret, if any) in the system keyring."""
    problem = _store_in_keyring(_oauth2_user(account), tokens.to_json())
    if problem == _NO_KEYRING:
        raise CredentialsUnavailable(
            f"cannot store the OAuth2 tokens for account {_name(account)}: {_NO_KEYRING}. "
            f"{_command_advice(account, 'OAuth2 token')}"
        )
    if problem:
        raise CredentialsUnavailable(
            f"cannot store the OAuth2 tokens for account {_name(account)} in the system "
            f"keyring: {problem}"
        )


def keyring_problem() -> str | None:
    """None when a keyring can store secrets; else why not (e.g. none over SSH)."""
    try:
        import keyring  # noqa: PLC0415 -- see the module docstring
        from keyring.backends import fail, null  # noqa: PLC0415

        backend = keyring.get_keyring()
        if isinstance(backend, null.Keyring | fail.Keyring):
            return _NO_KEYRING
    except Exception as exc:
        return _describe_exception(exc, None)
    return None


def write_secret_file(path: Path, secret: str) -> str:
    """The explicitly chosen fallback when there is no keyring: `secret` in a file only the
    user can read (mode 0600, in a 0700 directory). Returns the password_command reading it.
    """
    if not secret:
        raise UsageError("refusing to store an empty password")
    path = path.expanduser()
    try:
        private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            os.fchmod(stream.fileno(), 0o600)
            stream.write(secret + "\n")
    except OSError as exc:
        raise CredentialsUnavailable(
            f"cannot write the password file {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    finally:
        del secret
    return f"cat -- {shlex.quote(str(path))}"


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
    frame holding the output is gone before anything is raised. On timeout, all that the
    command started is killed (its own process group)."""
    try:
        # The user's own command, as in mutt and aerc.
        completed = run_in_own_group(command, shell=True, timeout=timeout)  # noqa: S604
    except subprocess.TimeoutExpired:
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


# OAuth2 token sets

_refresh_lock = threading.Lock()
"""One refresh at a time: the IDLE and the main connection may both find the token stale."""


def _oauth2_user(account: AccountConfig) -> str:
    return f"{_keyring_user(account)}:oauth2"


def _oauth2_from_keyring(account: AccountConfig, force_refresh: bool) -> _Outcome:
    """The access token, or problem=None when the usual keyring messages apply."""
    from tui_mail.core.auth.oauth2 import TokenSet  # noqa: PLC0415 -- urllib, json: not at start-up

    stored, _problem = _read_keyring(_oauth2_user(account))
    if not stored:
        return _Outcome()
    tokens = TokenSet.from_json(stored)
    if tokens is None:
        return _Outcome(secret=stored)  # a bare access token someone stored by hand
    if not force_refresh and not tokens.expired():
        return _Outcome(secret=tokens.access_token)
    with _refresh_lock:
        # Another thread may have refreshed while this one waited.
        again, _problem = _read_keyring(_oauth2_user(account))
        latest = TokenSet.from_json(again or "") or tokens
        if latest.access_token != tokens.access_token and not latest.expired():
            return _Outcome(secret=latest.access_token)
        return _refresh(account, latest)


def _refresh(account: AccountConfig, tokens: TokenSet) -> _Outcome:
    from tui_mail.core.auth import oauth2  # noqa: PLC0415
    from tui_mail.core.net.tls import client_context  # noqa: PLC0415

    try:
        endpoints = oauth2.endpoints_for(account.oauth2, account.name)
        fresh = oauth2.refresh_tokens(endpoints, tokens, context=client_context(account.ca_file))
    except TuiMailError as error:
        return _Outcome(problem=str(error).rstrip("."))
    problem = _store_in_keyring(_oauth2_user(account), fresh.to_json())
    if problem:
        return _Outcome(problem=f"the new token could not be stored ({problem})")
    return _Outcome(secret=fresh.access_token)


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
