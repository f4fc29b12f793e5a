"""Errors a user can act on.

Each carries a message written for the person at the keyboard (what failed and what to
check) and the CLI exit code it maps to. None of them may carry a secret.
"""

from __future__ import annotations

from typing import Any


class TuiMailError(Exception):
    """Base class: `str(error)` is a complete, user-facing sentence."""

    exit_code = 1


class ConfigError(TuiMailError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class UsageError(TuiMailError):
    """The command line asked for something that does not exist (account, folder, UID)."""

    exit_code = 2


class ConnectionFailed(TuiMailError):
    """The server could not be reached, or dropped the connection."""

    exit_code = 3


class TlsError(ConnectionFailed):
    """TLS could not be established or verified, or STARTTLS was required but not offered."""

    exit_code = 3


class InsecureConnectionRefused(ConnectionFailed):
    """A plaintext connection was asked for without `allow_insecure = true`."""

    exit_code = 3


class AuthenticationFailed(TuiMailError):
    """The server rejected the credentials, or none could be obtained."""

    exit_code = 4


class CredentialsUnavailable(AuthenticationFailed):
    """No secret could be obtained (keyring unusable, password_command failed)."""

    exit_code = 4


class ServerError(TuiMailError):
    """The server answered NO or BAD to a command."""

    exit_code = 1


class ServerMisbehaved(ConnectionFailed):
    """The server broke the protocol in a way no retry on this connection can mend: an
    answer that is not IMAP, a line or literal beyond every sane size, nesting without end.
    The connection is closed; like a lost connection, the next command opens a new one."""

    exit_code = 5


class ServerTimeout(ServerMisbehaved):
    """The server did not finish an answer within its deadline (stalled, or dripping)."""

    exit_code = 5


class CacheError(TuiMailError):
    """The cache could not be used: a sentence for the user, with the way forward."""

    exit_code = 1

    def __rich__(self) -> Any:
        """What Textual shows if one escapes every handler: it then ends the app with this
        sentence (exit status 1) instead of a traceback with local variables."""
        from rich.text import Text  # noqa: PLC0415  (the CLI never needs rich)

        return Text(f"tui-mail: {self}")


class CacheDamaged(CacheError):
    """SQLite found the cache damaged while in use; it is set aside and rebuilt."""


class DiskFull(CacheError):
    """No room left on the disk that holds a file tui-mail must write."""


class CacheReadOnly(CacheError):
    """The cache file, or its folder, cannot be written."""

    exit_code = 2
