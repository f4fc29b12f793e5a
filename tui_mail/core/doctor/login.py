"""Logging in, as the app will: IMAP through ImapSession, SMTP with AUTH; then folders, IDLE."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from typing import Any

from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.doctor.advice import describe_error, login_fix
from tui_mail.core.doctor.compression import compression_check
from tui_mail.core.doctor.report import Check, CheckListener
from tui_mail.core.doctor.transport import StepFailed, check_transport, open_client
from tui_mail.core.errors import AuthenticationFailed, TuiMailError
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.net.connect import close_quietly, smtp_client
from tui_mail.core.net.tls import client_context


def check_imap_login(
    emit: CheckListener,
    account: AccountConfig,
    secret: SecretSource | None,
    timeout: float,
    idle_wait: float | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> None:
    """Log in, list the folders, look for IDLE; with `idle_wait`, measure how soon new mail
    is announced (idle_probe.py: up to that many seconds, or until `cancelled()`)."""
    if secret is None:
        emit(Check("IMAP", "login", "skip", "not tried (no credentials given)"))
        return
    from tui_mail.core.imap.session import ImapSession  # noqa: PLC0415 -- imapclient is slow to import

    session = ImapSession(
        account, secret, connect_timeout=timeout, read_timeout=timeout, compress=True
    )
    started = time.perf_counter()
    try:
        session.connect()
    except AuthenticationFailed as error:
        emit(Check("IMAP", "login", "fail", str(error), login_fix(account, account.imap)))
        session.close()
        return
    except TuiMailError as error:
        emit(Check("IMAP", "login", "fail", str(error)))
        session.close()
        return
    try:
        emit(
            Check(
                "IMAP",
                "login",
                "ok",
                f"as {account.username} ({account.auth})",
                None,
                time.perf_counter() - started,
            )
        )
        try:
            folders = session.list_folders(with_counts=False)
            roles = sorted(f.role.value for f in folders if f.role is not None)
            emit(
                Check(
                    "IMAP",
                    "folders",
                    "ok",
                    f"{len(folders)} folders" + (f" (roles: {', '.join(roles)})" if roles else ""),
                )
            )
        except TuiMailError as error:
            emit(Check("IMAP", "folders", "fail", str(error)))
        emit(compression_check(session))
        idle = session.has("IDLE")
        if idle:
            # Whether the server really announces new mail is the next step's to say.
            emit(Check("IMAP", "IDLE", "ok", "supported"))
        else:
            every = account.poll_interval_seconds
            emit(Check("IMAP", "IDLE", "warn", f"not supported: new mail is found by polling "
                       f"(every {every} s)"))  # fmt: skip
    finally:
        session.close()
    if idle and idle_wait is not None:
        from tui_mail.core.doctor.idle_probe import check_new_mail_delivery  # noqa: PLC0415

        check_new_mail_delivery(
            emit, account, secret, wait=idle_wait, timeout=timeout, cancelled=cancelled
        )


def check_smtp(
    emit: CheckListener,
    account: AccountConfig,
    server: ServerConfig,
    secret: SecretSource | None,
    timeout: float,
) -> None:
    if not check_transport(emit, "SMTP", server, account, timeout):
        return
    if secret is None:
        emit(Check("SMTP", "login", "skip", "not tried (no credentials given)"))
        return
    context = client_context(account.ca_file)
    started = time.perf_counter()
    try:
        client = (
            open_client("SMTP", server, context, timeout) if server.security != "plain" else None
        )
        if client is None:
            client = smtp_client(
                server.host, server.port, context, implicit_tls=False, timeout=timeout
            )
            client.ehlo()
    except (StepFailed, OSError, smtplib.SMTPException) as error:
        emit(Check("SMTP", "login", "fail", f"could not reconnect: {describe_error(error)}"))
        return
    try:
        problem = _smtp_authenticate(client, account, secret)
    finally:
        close_quietly(client)
    if problem is None:
        emit(
            Check(
                "SMTP",
                "login",
                "ok",
                f"as {account.username} ({account.auth})",
                None,
                time.perf_counter() - started,
            )
        )
    elif problem.startswith("!"):
        emit(
            Check(
                "SMTP",
                "login",
                "warn",
                problem[1:],
                "the server may only relay for its own network; sending may fail",
            )
        )
    else:
        emit(Check("SMTP", "login", "fail", problem, login_fix(account, server)))


def _smtp_authenticate(client: Any, account: AccountConfig, secret: SecretSource) -> str | None:
    """None when logged in; else the problem ("!..." for a warning). Never the secret."""
    if not client.has_extn("auth"):
        return "!the server offers no AUTH at all"
    try:
        if account.auth == "oauth2":
            user = account.username
            token = secret()
            client.auth(
                "XOAUTH2",
                lambda _challenge=None: f"user={user}\1auth=Bearer {token}\1\1",
                initial_response_ok=True,
            )
        else:
            client.login(account.username, secret())
    except TuiMailError as error:  # the secret could not be had
        return str(error)
    except smtplib.SMTPAuthenticationError as error:
        said = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        return f"rejected ({error.smtp_code} {sanitize_line(said)[:200]})"
    except smtplib.SMTPNotSupportedError:
        return f"the server offers no {'XOAUTH2' if account.auth == 'oauth2' else 'password'} login"
    except (smtplib.SMTPException, OSError) as error:
        return f"failed: {describe_error(error)}"
    return None
