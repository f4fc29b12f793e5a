"""Does the server announce new mail during IDLE, and how soon? Measured, not assumed.

Dovecot tells an IDLE connection about an APPEND within a second; GNU Mailutils says nothing
until IDLE ends; Courier as Debian ships it looks only every 60 s. The doctor finds out with
the user's own account: one connection IDLEs on a scratch folder made for the purpose, a
second APPENDs a small message there, and the time until the first hears EXISTS is what the
user will see. The scratch folder, and the message with it, is deleted afterwards, and the
folder list is read again to make sure nothing was left behind.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from tui_mail.core.doctor.report import Check, CheckListener
from tui_mail.core.errors import TuiMailError

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.auth.secrets import SecretSource
    from tui_mail.core.imap.session import ImapSession

DEFAULT_WAIT: Final = 70.0
"""Longer than Courier's 60 s check, so a slow announcement is told from none."""
SCRATCH_PREFIX: Final = "tui-mail-doctor-"
_MESSAGE: Final = (
    b"From: tui-mail doctor <doctor@invalid>\r\n"
    b"Subject: tui-mail doctor: new mail test (deleted at once)\r\n"
    b"Message-ID: <doctor-%s@tui-mail.invalid>\r\n"
    b"\r\n"
    b"Written by tui-mail doctor to see how soon the server announces new mail.\r\n"
)


class _Skipped(Exception):
    """The measurement could not be made; the message says why."""


def check_new_mail_delivery(
    emit: CheckListener,
    account: AccountConfig,
    secret: SecretSource,
    *,
    wait: float = DEFAULT_WAIT,
    timeout: float = 10.0,
    cancelled: Callable[[], bool] = lambda: False,
) -> None:
    """Emit one "new mail" check: how soon an IDLE connection hears of an APPEND."""
    from imapclient.exceptions import IMAPClientError  # noqa: PLC0415

    from tui_mail.core.imap.session import ImapSession  # noqa: PLC0415

    listener = ImapSession(account, secret, connect_timeout=timeout, read_timeout=timeout)
    writer = ImapSession(account, secret, connect_timeout=timeout, read_timeout=timeout)
    folder: str | None = None
    leftover: str | None = None
    try:
        listener.connect()
        writer.connect()
        folder = _create_scratch(writer)
        listener.select(folder, readonly=True)
        heard, after_idle = _measure(listener.client, writer, folder, wait, cancelled)
        result = _verdict(account, heard, after_idle, wait)
    except (_Skipped, TuiMailError, IMAPClientError, OSError) as error:
        result = Check("IMAP", "new mail", "skip", f"not measured: {_reason(error)}")
    finally:
        listener.close()
        if folder is not None:
            leftover = _remove_scratch(writer, folder)
        writer.close()
    emit(result)
    if leftover is not None:
        emit(Check("IMAP", "clean-up", "warn", leftover, f"delete the folder {folder!r}"))


def _create_scratch(writer: ImapSession) -> str:
    """A new, empty folder of our own (never the INBOX: the user's other clients would ring).

    Courier keeps every folder under "INBOX.": the personal namespace's prefix is tried too.
    """
    from imapclient.exceptions import IMAPClientError  # noqa: PLC0415

    name = SCRATCH_PREFIX + secrets.token_hex(4)
    candidates = [name]
    if writer.has("NAMESPACE"):
        with contextlib.suppress(IMAPClientError, IndexError, TypeError):
            prefix = writer.client.namespace().personal[0][0]
            prefix = prefix.decode() if isinstance(prefix, bytes) else str(prefix)
            if prefix:
                candidates.insert(0, prefix + name)
    refusal = "CREATE was refused"
    for candidate in candidates:
        try:
            writer.client.create_folder(candidate)
        except IMAPClientError as error:
            refusal = f"the server refused to create a scratch folder ({error})"
            continue
        return candidate
    raise _Skipped(refusal)


def _measure(
    client: Any, writer: ImapSession, folder: str, wait: float, cancelled: Callable[[], bool]
) -> tuple[float | None, bool]:
    """(seconds until EXISTS during IDLE, or None; whether it came once IDLE ended)."""
    client.idle()
    heard: float | None = None
    try:
        writer.append(folder, _MESSAGE % secrets.token_hex(8).encode(), flags=["\\Seen"])
        appended = time.monotonic()
        while (left := appended + wait - time.monotonic()) > 0:
            step = min(left, 1.0)
            started = time.monotonic()
            responses = client.idle_check(timeout=step)
            if _exists(responses):
                heard = time.monotonic() - appended
                break
            if not responses and time.monotonic() - started < step * 0.5:
                raise _Skipped("the connection in IDLE was closed by the server")
            if cancelled():
                raise _Skipped("cancelled")
    finally:
        _text, after = client.idle_done()
    if heard is not None:
        return heard, False
    if _exists(after):
        return None, True
    _text, after_noop = client.noop()
    return None, _exists(after_noop)


def _exists(responses: list[Any]) -> bool:
    return any(isinstance(r, tuple) and len(r) >= 2 and r[1] == b"EXISTS" for r in responses)


def _remove_scratch(writer: ImapSession, folder: str) -> str | None:
    """Delete the scratch folder (its message with it); what is left behind, in words."""
    from imapclient.exceptions import IMAPClientError  # noqa: PLC0415

    try:
        writer.client.delete_folder(folder)
        left = writer.client.list_folders(pattern=folder)
    except (IMAPClientError, OSError) as error:
        return f"could not delete the test folder {folder!r}: {_reason(error)}"
    if left:
        return f"the test folder {folder!r} is still there after DELETE"
    return None


def _verdict(account: AccountConfig, heard: float | None, after_idle: bool, wait: float) -> Check:
    if heard is not None:
        return Check("IMAP", "new mail", "ok", f"shows up within {max(heard, 0.1):.1f} s (IDLE)")
    recheck = account.idle_recheck_seconds
    told = "it tells only when IDLE ends" if after_idle else "not even on NOOP"
    if not after_idle:
        return Check(
            "IMAP",
            "new mail",
            "warn",
            f"a test message was not announced within {wait:g} s ({told})",
            "new mail may show up only when a folder is opened or synced (key g)",
        )
    if recheck:
        return Check(
            "IMAP",
            "new mail",
            "ok",
            f"the server does not announce new mail during IDLE ({told}); "
            f"tui-mail checks every {recheck} s instead",
        )
    return Check(
        "IMAP",
        "new mail",
        "warn",
        f"the server does not announce new mail during IDLE ({told}), and "
        "idle_recheck_seconds = 0: new mail waits for the next IDLE renewal "
        f"({account.idle_interval_minutes} min)",
        f"set idle_recheck_seconds = 60 for account {account.name!r}",
    )


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text or type(error).__name__
