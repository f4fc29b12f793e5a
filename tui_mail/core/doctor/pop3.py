"""The POP3 part of the doctor: log in as the app will (Pop3Session), then count messages.

Connection, TLS and STLS problems come back from Pop3Session already explained (wrong port
for the security mode, untrusted certificate...), so they are reported as the login step's.
"""

from __future__ import annotations

import time

from tui_mail.config import AccountConfig
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.doctor.advice import login_fix
from tui_mail.core.doctor.report import Check, CheckListener, Status
from tui_mail.core.errors import AuthenticationFailed, TuiMailError


def check_pop3(
    emit: CheckListener, account: AccountConfig, secret: SecretSource | None, timeout: float
) -> None:
    if secret is None:
        emit(Check("POP3", "login", "skip", "not tried (no credentials given)"))
        return
    from tui_mail.core.pop3.session import Pop3Session  # noqa: PLC0415

    session = Pop3Session(account, secret, timeout=timeout)
    started = time.perf_counter()
    try:
        session.connect()
    except AuthenticationFailed as error:
        emit(Check("POP3", "login", "fail", str(error), login_fix(account, account.pop3)))
        return
    except TuiMailError as error:
        emit(Check("POP3", "login", "fail", str(error)))
        return
    try:
        where = f"as {account.username} ({account.auth})"
        emit(Check("POP3", "login", "ok", where, None, time.perf_counter() - started))
        try:
            count = len(session.message_numbers())
            uidl = session.uidls() is not None
        except TuiMailError as error:
            emit(Check("POP3", "messages", "fail", str(error)))
            return
        note = "" if uidl else "; no UIDL: every check downloads everything again"
        status: Status = "ok" if uidl else "warn"
        emit(Check("POP3", "messages", status, f"{count} on the server{note}"))
    finally:
        session.close()
