"""Submission: handing a finished message to the account's SMTP server, or to a local
sendmail-style command.

The SMTP policy mirrors the IMAP one: security = "starttls" (port 587) upgrades before
anything else is said and refuses a server that does not offer STARTTLS; "tls" (465) is TLS
from the first byte; "plain" (25, or anything unencrypted) only with allow_insecure.
Certificates are verified against the system store plus the account's ca_file.

Recipients are all-or-nothing: every RCPT is tried first and, if the server refuses any,
the transaction is reset before DATA, so nobody gets a message the others did not. Every
failure becomes one of our errors (AuthenticationFailed, TlsError, ConnectionFailed,
RecipientsRefused, MessageTooLarge, ServerError) with what to check; a secret never
reaches a message: the frames holding it are gone before anything is raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import signal
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

from tui_mail.core.auth import credentials
from tui_mail.core.auth.secrets import SecretSource, secret_source
from tui_mail.core.errors import (
    AuthenticationFailed,
    ConfigError,
    ConnectionFailed,
    InsecureConnectionRefused,
    ServerError,
    ServerTimeout,
    TlsError,
    TuiMailError,
    UsageError,
)
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.net.connect import cannot_resolve, refused
from tui_mail.core.net.deadline import within
from tui_mail.core.net.tls import client_context, explain_tls_failure
from tui_mail.core.sending.smtp_text import human as _human
from tui_mail.core.sending.smtp_text import integer as _int
from tui_mail.core.sending.smtp_text import server_text as _server_text

if TYPE_CHECKING:
    import aiosmtplib

    from tui_mail.config import AccountConfig

SUBMIT_TIMEOUT: Final = 60.0
"""Seconds to wait for the server at each step (connect, each reply, the end of DATA); each
step as a whole also has the account's server_timeout_seconds (see core/net/deadline.py)."""
DATA_RATE: Final = 32 * 1024
"""Bytes a second the slowest link is granted for the message, on top of the deadline."""
_AFTER = "the connection was closed"
T = TypeVar("T")
HELO_NAME: Final = "[127.0.0.1]"
"""What EHLO says: an address literal, as Thunderbird does, instead of this machine's name."""

BeforeData = Callable[[], Awaitable[None]]
_SERVER_TEXT_SHOWN = 200  # also in smtp_text
_PASSWORD_METHODS = ("plain", "login", "cram-md5")


class RecipientsRefused(ServerError):
    """The server refused one or more recipients; nothing was sent to anyone."""

    def __init__(self, message: str, recipients: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.recipients = tuple(recipients)


class TryLater(ServerError):
    """A 4xx reply: the server is busy or not ready and asks to be tried again later."""


class MessageTooLarge(ServerError):
    """The message is bigger than the server accepts."""


class Transport(Protocol):
    """Something that delivers a finished message: SMTP, or a sendmail command."""

    async def submit(
        self,
        wire: bytes,
        sender: str,
        recipients: Sequence[str],
        *,
        before_data: BeforeData | None = None,
    ) -> None:
        """Deliver `wire` (the message as transmitted, without Bcc) to `recipients`.

        `before_data` is awaited just before the message itself starts to travel: after
        that point a failure may mean the message was delivered anyway.
        """


def transport_for(
    account: AccountConfig, secret: SecretSource | None = None, *, timeout: float = SUBMIT_TIMEOUT
) -> Transport:
    """The account's way of sending: its sendmail_command if set, else its SMTP server."""
    if account.local_only:
        return KeepLocalTransport()
    if account.sendmail_command is not None:
        return SendmailTransport(account.sendmail_command, timeout=timeout)
    if account.smtp is None:
        raise UsageError(
            f"Account {account.name!r} cannot send mail: add an [accounts.smtp] table with the "
            "submission server (host, port 587 or 465), or set sendmail_command."
        )
    return SmtpTransport(account, secret, timeout=timeout)


class SmtpTransport:
    """Submission to the account's SMTP server with aiosmtplib, one connection per message."""

    def __init__(
        self,
        account: AccountConfig,
        secret: SecretSource | None = None,
        *,
        timeout: float = SUBMIT_TIMEOUT,
    ) -> None:
        if account.smtp is None:
            raise UsageError(f"Account {account.name!r} has no [accounts.smtp] settings.")
        self.account = account
        self.server = account.smtp
        self.where = f"{self.server.host}:{self.server.port}"
        self._secret = secret or secret_source(account)
        self.timeout = timeout
        self.deadline = float(account.server_timeout_seconds)

    async def submit(
        self,
        wire: bytes,
        sender: str,
        recipients: Sequence[str],
        *,
        before_data: BeforeData | None = None,
    ) -> None:
        import aiosmtplib  # noqa: PLC0415  (80 ms of start-up; only needed to send)

        if self.server.security == "plain" and not self.account.allow_insecure:
            raise InsecureConnectionRefused(
                f"Account {self.account.name!r} asks for a plaintext connection to {self.where}. "
                'That would send your password and mail unencrypted; use security = "starttls" '
                '(port 587) or "tls" (port 465), or set allow_insecure = true if you mean it.'
            )
        if not recipients:
            raise UsageError("The message has no recipients.")
        client = aiosmtplib.SMTP(
            hostname=self.server.host,
            port=self.server.port,
            use_tls=self.server.security == "tls",
            # Never the library's default (None), which silently stays in cleartext when a
            # stripped connection hides STARTTLS; _connect upgrades itself, after checking.
            start_tls=False,
            tls_context=client_context(self.account.ca_file),
            timeout=self.timeout,
            local_hostname=HELO_NAME,
        )
        try:
            await self._connect(client)
            await self._authenticate(client)
            await self._transact(client, wire, sender, recipients, before_data)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.quit(), 5)  # sent already: wait little
        except TuiMailError:
            raise
        except aiosmtplib.SMTPException as error:
            raise self._explain(error) from None
        except ssl.SSLError as error:
            raise explain_tls_failure(
                error, self.server.host, self.server.port, self.server.security
            ) from None
        except OSError as error:
            raise self._explain(error) from None
        finally:
            client.close()

    async def _step(self, what: str, step: Awaitable[T], seconds: float = 0) -> T:
        """One command under the deadline: aiosmtplib's timeout bounds each reply, not a
        server that drips its replies, each just in time."""
        return await within(self.server.host, what, seconds or self.deadline, step, _AFTER)

    async def _connect(self, client: aiosmtplib.SMTP) -> None:
        await self._step("the greeting", client.connect())
        if self.server.security != "starttls":
            return
        await self._step("EHLO", client.ehlo())
        if not client.supports_extension("starttls"):
            raise TlsError(
                f"{self.where} does not offer STARTTLS, and this account requires it "
                '(smtp.security = "starttls"). Refusing to send unencrypted. Check the port: '
                '465 means security = "tls"; a network that strips STARTTLS is an attack.'
            )
        await self._step("STARTTLS", client.starttls())

    async def _authenticate(self, client: aiosmtplib.SMTP) -> None:
        await self._step("EHLO", client.ehlo())
        if not client.supports_extension("auth"):
            return  # a relay that takes mail without a login; MAIL FROM says if not
        problem = await self._log_in(client)
        if problem is not None:
            raise problem

    async def _log_in(self, client: aiosmtplib.SMTP) -> TuiMailError | None:
        """Log in; returns (never raises) an error, so no traceback holds the secret."""
        offered = " ".join(client.server_auth_methods).upper() or "nothing"
        oauth2 = self.account.auth == "oauth2"
        if oauth2 and "xoauth2" not in client.server_auth_methods:
            return AuthenticationFailed(
                f"{self.where} does not offer XOAUTH2 (it offers {offered}); this account "
                'uses auth = "oauth2". Check smtp.host, or use a password or app password.'
            )
        # One attempt with the best method: after a 535 aiosmtplib's login() would try the
        # others too, which counts against lockout limits and can hang on some servers.
        method = next((m for m in _PASSWORD_METHODS if m in client.server_auth_methods), None)
        if not oauth2 and method is None:
            return AuthenticationFailed(
                f"{self.where} offers no password login (it offers {offered}). If that is "
                'XOAUTH2, set auth = "oauth2" with [accounts.oauth2] in the account.'
            )
        secret = await asyncio.to_thread(self._secret)
        problem = await self._attempt(client, method, secret)
        if isinstance(problem, AuthenticationFailed) and oauth2:
            # A token can be revoked or expire early: refresh it and try once more.
            try:
                fresh = await asyncio.to_thread(
                    credentials.oauth2_token_after_rejection, self.account, secret
                )
            except TuiMailError as error:  # the refresh was refused: say so, without secret
                fresh, problem = None, error
            if fresh is not None:
                problem = await self._attempt(client, method, fresh)
            del fresh
        del secret
        return problem

    async def _attempt(
        self, client: aiosmtplib.SMTP, method: str | None, secret: str
    ) -> TuiMailError | None:
        """One login attempt; returns (never raises) the error, so no traceback holds secret."""
        import aiosmtplib  # noqa: PLC0415

        username = self.account.username
        oauth2 = self.account.auth == "oauth2"
        try:
            if oauth2:
                login = client.auth_xoauth2(username, secret)
            elif method == "plain":
                login = client.auth_plain(username, secret)
            elif method == "login":
                login = client.auth_login(username, secret)
            else:
                login = client.auth_crammd5(username, secret)
            await self._step("the login", login)
        except ServerTimeout as error:  # a fresh one: the caught one's frames hold secret
            return ServerTimeout(str(error))
        except aiosmtplib.SMTPAuthenticationError as error:
            said = _server_text(error).replace(secret, "***")
            what = "OAuth2 token" if oauth2 else "password (or app password)"
            return AuthenticationFailed(
                f"{self.where} rejected the login for {username!r} (server said: {said}). "
                f"Check the username and the {what} stored for this account."
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            return self._explain(error)
        finally:
            del secret
        return None

    async def _transact(
        self,
        client: aiosmtplib.SMTP,
        wire: bytes,
        sender: str,
        recipients: Sequence[str],
        before_data: BeforeData | None,
    ) -> None:
        import aiosmtplib  # noqa: PLC0415

        options: list[str] = []
        size = len(re.sub(rb"\r?\n", b"\r\n", wire))
        if client.supports_extension("size"):
            limit = _int(client.esmtp_extensions.get("size", ""))
            if limit and size > limit:
                raise MessageTooLarge(
                    f"The message is {_human(size)}, but {self.where} accepts at most "
                    f"{_human(limit)}. Remove or shrink attachments, or share large files by link."
                )
            options.append(f"SIZE={size}")
        if not wire.isascii() and client.supports_extension("8bitmime"):
            options.append("BODY=8BITMIME")
        encoding = "ascii"
        if not all(address.isascii() for address in [sender, *recipients]):
            if not client.supports_extension("smtputf8"):
                raise UsageError(
                    f"An address has non-ASCII characters before the @, and {self.where} "
                    "does not accept such addresses (no SMTPUTF8)."
                )
            options.append("SMTPUTF8")
            encoding = "utf-8"
        try:
            await self._step("MAIL FROM", client.mail(sender, options=options, encoding=encoding))
        except aiosmtplib.SMTPSenderRefused as error:
            raise self._sender_refused(error, sender) from None
        refused: list[tuple[str, str]] = []
        for recipient in recipients:
            try:
                await self._step("RCPT TO", client.rcpt(recipient, encoding=encoding))
            except aiosmtplib.SMTPRecipientRefused as error:
                refused.append((recipient, _server_text(error)))
        if refused:
            with contextlib.suppress(Exception):
                await self._step("RSET", client.rset())
            raise _recipients_refused(self.where, refused, len(recipients))
        if before_data is not None:
            await before_data()
        try:
            # A deadline that passes here is a broken connection after before_data: the
            # message may have arrived, and core/sending/send.py says so.
            await self._step("the message (DATA)", client.data(wire), self._for_data(size))
        except aiosmtplib.SMTPDataError as error:
            said = _server_text(error)
            if error.code == 552 or "size" in said.lower():
                raise MessageTooLarge(
                    f"{self.where} refused the message as too large ({_human(size)}; server "
                    f"said: {said}). Remove or shrink attachments."
                ) from None
            refusal = TryLater if 400 <= error.code < 500 else ServerError
            raise refusal(f"{self.where} refused the message (server said: {said}).") from None

    def _for_data(self, size: int) -> float:
        return self.deadline + size / DATA_RATE

    def _sender_refused(self, error: aiosmtplib.SMTPSenderRefused, sender: str) -> TuiMailError:
        said = _server_text(error)
        if error.code == 530 or "auth" in said.lower():
            return AuthenticationFailed(
                f"{self.where} requires logging in before sending (server said: {said}), but "
                "did not offer a login. Check smtp.port and smtp.security."
            )
        return ServerError(
            f"{self.where} refused the sender address {sender} (server said: {said}). The "
            "address may not belong to your login; check email and aliases in the account."
        )

    def _explain(self, error: BaseException) -> TuiMailError:
        """A user-facing error for a failure of the connection or an unexpected reply."""
        import aiosmtplib  # noqa: PLC0415

        where = self.where
        cause = error.__cause__
        if isinstance(cause, ssl.SSLError):
            return explain_tls_failure(
                cause, self.server.host, self.server.port, self.server.security
            )
        if isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
            return ConnectionFailed(
                f"{where} did not answer within {self.timeout:g} s. The host may be "
                'unreachable, or the port expects TLS first (security = "tls" on 465).'
            )
        if isinstance(cause, socket.gaierror):
            return cannot_resolve("SMTP", self.server.host)
        if isinstance(cause, ConnectionRefusedError):
            return refused("SMTP", where)
        if isinstance(error, aiosmtplib.SMTPResponseException):
            answer = TryLater if 400 <= error.code < 500 else ServerError
            return answer(f"{where} answered {_server_text(error)}.")
        if isinstance(error, aiosmtplib.SMTPServerDisconnected):
            return ConnectionFailed(f"The connection to {where} was lost while sending.")
        text = sanitize_line(str(getattr(error, "message", "") or error))[:_SERVER_TEXT_SHOWN]
        return ConnectionFailed(f"Sending through {where} failed: {text}.")


class KeepLocalTransport:
    """Delivery to nobody: the demo's way of "sending". The message is filed in Sent like
    any sent message, and the reports say that nothing left the machine."""

    leaves_machine = False

    async def submit(
        self,
        wire: bytes,
        sender: str,
        recipients: Sequence[str],
        *,
        before_data: BeforeData | None = None,
    ) -> None:
        if before_data is not None:
            await before_data()


class SendmailTransport:
    """Delivery by a local command (sendmail, msmtp ...): the message on its stdin, the
    recipients as its arguments after "--"."""

    def __init__(self, command: str, *, timeout: float = SUBMIT_TIMEOUT) -> None:
        self.command = command
        self.timeout = timeout

    async def submit(
        self,
        wire: bytes,
        sender: str,
        recipients: Sequence[str],
        *,
        before_data: BeforeData | None = None,
    ) -> None:
        try:
            argv = shlex.split(self.command)
        except ValueError as error:
            raise ConfigError(
                f"sendmail_command {self.command!r} cannot be read: {error}."
            ) from None
        if not argv:
            raise ConfigError("sendmail_command is empty.")
        argv[0] = str(Path(argv[0]).expanduser())
        if before_data is not None:
            await before_data()
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                "--",
                *recipients,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own group: a timeout ends all it started
            )
        except OSError as error:
            raise ConfigError(
                f"sendmail_command {self.command!r} could not be started: "
                f"{error.strerror or error}."
            ) from None
        try:
            # Local mailers read Unix line endings; CRLF would end up inside the message.
            _out, stderr = await asyncio.wait_for(
                process.communicate(wire.replace(b"\r\n", b"\n")), self.timeout
            )
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # msmtp's passwordeval child too
            await process.wait()
            raise ConnectionFailed(
                f"sendmail_command {self.command!r} did not finish within {self.timeout:g} s."
            ) from None
        if process.returncode != 0:
            first = next(
                (line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()),
                "",
            )
            detail = f": {sanitize_line(first)[:_SERVER_TEXT_SHOWN]}" if first else ""
            raise ServerError(
                f"sendmail_command {self.command!r} failed (exit status {process.returncode})"
                f"{detail}."
            )


def _recipients_refused(
    where: str, refused: list[tuple[str, str]], total: int
) -> RecipientsRefused:
    listed = "; ".join(f"{address} ({said})" for address, said in refused)
    count = (
        "the recipient"
        if total == 1
        else (
            "every recipient" if len(refused) == total else f"{len(refused)} of {total} recipients"
        )
    )
    return RecipientsRefused(
        f"{where} refused {count}: {listed}. Nothing was sent; correct or remove "
        f"{'that address' if len(refused) == 1 else 'those addresses'} and send again.",
        [address for address, _said in refused],
    )
