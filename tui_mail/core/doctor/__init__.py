"""The connection doctor: every step between this machine and a logged-in session, checked
in order, each failure with its likely cause and the fix.

IMAP and SMTP each get: DNS, TCP connect (timed), TLS handshake (version, cipher) or
STARTTLS (offered? then the handshake), the certificate (subject, issuer, expiry, name),
capabilities, then login (through the same ImapSession the app uses), the folder list,
compression (COMPRESS=DEFLATE in use, turned off or not offered) and IDLE, and (doctor
only) how soon new mail is really announced. A POP3 account's server is checked by
logging in through the same Pop3Session the app uses, then counting messages.
The wizard's "test settings" is the same run without the IDLE measurement. No secret is
ever part of a result.
"""

from __future__ import annotations

from collections.abc import Callable

from tui_mail.config import AccountConfig
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.doctor.login import check_imap_login, check_smtp
from tui_mail.core.doctor.report import Check, CheckListener, DoctorReport, Status
from tui_mail.core.doctor.transport import check_transport

__all__ = [
    "DEFAULT_TIMEOUT",
    "Check",
    "CheckListener",
    "DoctorReport",
    "Status",
    "diagnose_account",
]

DEFAULT_TIMEOUT = 10.0


def diagnose_account(
    account: AccountConfig,
    secret: SecretSource | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    on_check: CheckListener | None = None,
    idle_wait: float | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> DoctorReport:
    """Check the account's IMAP (or POP3) and SMTP servers; `secret` None skips the logins.

    With `idle_wait` (seconds; the CLI and the doctor screen give 70) it also measures how
    soon new mail is announced during IDLE (doctor/idle_probe.py), which needs a scratch
    folder for a moment: not for the set-up wizard's quick test. `cancelled()` ends that
    wait early (a screen that closes)."""
    checks: list[Check] = []

    def emit(check: Check) -> None:
        checks.append(check)
        if on_check is not None:
            on_check(check)

    if account.imap is not None and check_transport(emit, "IMAP", account.imap, account, timeout):
        check_imap_login(emit, account, secret, timeout, idle_wait, cancelled)
    if account.pop3 is not None:
        from tui_mail.core.doctor.pop3 import check_pop3  # noqa: PLC0415

        check_pop3(emit, account, secret, timeout)
    if account.smtp is not None:
        check_smtp(emit, account, account.smtp, secret, timeout)
    elif account.local_only:  # the demo: "sending" files the message in Sent
        emit(Check("SMTP", "server", "ok", "none: sent mail is only filed in Sent, locally"))
    elif account.sendmail_command is not None:
        emit(Check("SMTP", "server", "ok", "none: mail is sent with sendmail_command"))
    else:
        emit(
            Check(
                "SMTP",
                "server",
                "warn",
                "no [accounts.smtp]: this account cannot send",
                "add the submission server (e.g. --smtp-host smtp.example.org)",
            )
        )
    return DoctorReport(account.name, tuple(checks))
