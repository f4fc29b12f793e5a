"""Pop3Session: one poplib connection, with the same security policy as the IMAP session.

TLS from the first byte by default (995); `starttls` on 110 refuses to go on when the server
does not offer STLS (never a silent downgrade); plaintext only with `allow_insecure`.
Logins: USER/PASS over TLS; APOP on a plaintext connection when the server offers it (the
password then never crosses the wire); SASL XOAUTH2 or OAUTHBEARER for OAuth2 accounts.
Every command (and the greeting, TLS included) runs under the account's
server_timeout_seconds, enforced by the Watchdog (core/net/watchdog.py); a RETR that keeps
delivering (1 MiB at a time) pushes its deadline on, one that drips does not.
"""

from __future__ import annotations

import base64
import contextlib
import poplib
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeVar

from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    ServerError,
    ServerTimeout,
    UsageError,
)
from tui_mail.core.net.connect import open_failure, starttls_missing
from tui_mail.core.net.deadline import stalled
from tui_mail.core.net.tls import refuse_plaintext, shared_context
from tui_mail.core.net.watchdog import Watchdog

TIMEOUT: Final = 30.0

# poplib refuses lines over 2048 bytes, but mail in the wild has longer ones (HTML on one
# line); RFC 5322's 998 is a "must" senders break. A larger bound still stops a runaway.
poplib._MAXLINE = max(poplib._MAXLINE, 1 << 20)  # type: ignore[attr-defined]

_T = TypeVar("_T")
# A greeting with a <timestamp@host> offers APOP (RFC 1939 section 7).
_APOP_CHALLENGE = re.compile(rb"\+OK[^<]*<[^<>]+@[^<>]+>")
_PROGRESS: Final = 1024 * 1024
"""Bytes received that count as progress: the deadline starts again."""


class _Guarded:
    """Mixed into poplib's classes: the socket goes to the watchdog as soon as it exists
    (the greeting is read in the constructor), TLS handshakes included."""

    _watchdog: Watchdog
    context: Any
    host: str

    def _create_socket(self, timeout: float) -> socket.socket:
        sock: socket.socket = poplib.POP3._create_socket(self, timeout)  # type: ignore[attr-defined]
        self._watchdog.attach(sock)
        if isinstance(self, poplib.POP3_SSL):
            with self._watchdog.covering(sock):
                sock = self.context.wrap_socket(sock, server_hostname=self.host)
            self._watchdog.attach(sock)
        return sock

    def _getline(self) -> tuple[bytes, int]:
        line, octets = poplib.POP3._getline(self)  # type: ignore[attr-defined]
        self._watchdog.received += octets
        if self._watchdog.received >= _PROGRESS:
            self._watchdog.next_message()
        return line, octets


class _GuardedPop3(_Guarded, poplib.POP3):
    def __init__(self, watchdog: Watchdog, host: str, port: int, timeout: float) -> None:
        self._watchdog = watchdog
        super().__init__(host, port, timeout)

    def stls(self, context: Any = None) -> bytes:
        with self._watchdog.covering(self.sock):
            answer: bytes = super().stls(context)
        self._watchdog.attach(self.sock)
        return answer


class _GuardedPop3Ssl(_Guarded, poplib.POP3_SSL):
    def __init__(
        self, watchdog: Watchdog, host: str, port: int, timeout: float, context: Any
    ) -> None:
        self._watchdog = watchdog
        super().__init__(host, port, timeout=timeout, context=context)


class Pop3Session:
    """A logged-in POP3 connection. Deletions happen only at `quit()` (RFC 1939 UPDATE)."""

    def __init__(
        self, account: AccountConfig, secret: SecretSource, *, timeout: float = TIMEOUT
    ) -> None:
        if account.pop3 is None:
            raise UsageError(f'Account "{account.name}" has no [accounts.pop3] settings.')
        self.account = account
        self.server: ServerConfig = account.pop3
        self._secret = secret
        self._timeout = timeout  # one silent read; the deadline bounds each command
        self.deadline = float(account.server_timeout_seconds)
        self._watchdog = Watchdog()
        self._client: poplib.POP3 | None = None
        self.capabilities: dict[str, list[str]] = {}

    @property
    def where(self) -> str:
        return f"{self.server.host}:{self.server.port}"

    @property
    def client(self) -> poplib.POP3:
        if self._client is None:
            raise ConnectionFailed("Not connected to the POP3 server.")
        return self._client

    def connect(self) -> None:
        server = self.server
        if server.security == "plain" and not self.account.allow_insecure:
            raise refuse_plaintext(self.account.name, self.where, tls_port=995, starttls_port=110)
        try:
            with self._guard("the greeting"):
                self._client = self._open()
                self.capabilities = self._read_capabilities()
            self._login()
        except BaseException:
            self.close()
            raise

    def _open(self) -> poplib.POP3:
        server = self.server
        context = shared_context(self.account.ca_file)
        try:
            if server.security == "tls":
                return _GuardedPop3Ssl(
                    self._watchdog, server.host, server.port, self._timeout, context
                )
            client = _GuardedPop3(self._watchdog, server.host, server.port, self._timeout)
            if server.security == "starttls":
                self._client = client
                if "STLS" not in self._read_capabilities():
                    raise starttls_missing("POP3", self.where, "STLS")
                client.stls(context)
            return client
        except (OSError, poplib.error_proto) as error:
            raise open_failure(error, "POP3", server, self._timeout, _text(error)) from None

    def _read_capabilities(self) -> dict[str, list[str]]:
        try:
            return {name.upper(): args for name, args in self.client.capa().items()}
        except poplib.error_proto:
            return {}  # CAPA is optional (RFC 2449); such a server offers no STLS or SASL

    def _login(self) -> None:
        username = self.account.username
        secret = self._secret()  # not under the deadline: it may ask the user
        try:
            with self._guard("the login"):
                if self.account.auth == "oauth2":
                    self._login_oauth2(username, secret)
                elif self.server.security == "plain" and _APOP_CHALLENGE.match(self.client.welcome):
                    self.client.apop(username, secret)
                else:
                    self.client.user(username)
                    self.client.pass_(secret)
        except ServerTimeout as error:  # a fresh one: the caught one's frames hold secret
            raise ServerTimeout(str(error)) from None
        except poplib.error_proto as error:
            raise AuthenticationFailed(
                f"{self.where} rejected the login for {username!r} (server said: "
                f"{_text(error)}). Check the username and the password (or app password) "
                "stored for this account."
            ) from None
        except OSError as error:
            raise ConnectionFailed(
                f"The connection to {self.where} failed during login: {_text(error)}."
            ) from None
        finally:
            del secret

    def _login_oauth2(self, username: str, token: str) -> None:
        mechanisms = {m.upper() for m in self.capabilities.get("SASL", [])}
        if "XOAUTH2" in mechanisms:
            command = "AUTH XOAUTH2 " + xoauth2_response(username, token)
        elif "OAUTHBEARER" in mechanisms:
            command = "AUTH OAUTHBEARER " + oauthbearer_response(username, token)
        else:
            raise AuthenticationFailed(
                f"{self.where} does not offer OAuth2 logins for POP3 (SASL XOAUTH2 or "
                'OAUTHBEARER). Use auth = "password" with an app password for this account.'
            )
        client = self.client
        answer = client._shortcmd(command)  # type: ignore[attr-defined]
        if not answer.startswith(b"+OK"):
            # "+ <error details>": the server waits for an empty line before it says -ERR.
            client._putcmd("")  # type: ignore[attr-defined]
            client._getresp()  # type: ignore[attr-defined]

    def close(self) -> None:
        """Drop the connection without QUIT: deletions marked so far are not carried out."""
        self._watchdog.kill()
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        self._client = None

    def interrupt(self) -> None:
        """From any thread: shut the connection now (even while it is being opened); the
        owner then sees a lost connection. Nothing marked for deletion is deleted."""
        self._watchdog.kill()

    @contextlib.contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """One command (or phase) under the deadline. poplib reports a connection the
        watchdog shut as EOF, OSError or, in CAPA and UIDL, as no answer at all: all of it
        becomes the deadline's sentence."""
        watchdog = self._watchdog
        watchdog.arm(what, self.deadline)
        try:
            yield
        except (OSError, poplib.error_proto, ConnectionFailed):
            if watchdog.expired:
                self.close()
                raise stalled(self.server.host, what, watchdog.seconds_given) from None
            if watchdog.killed:  # interrupt(): not the server's refusal
                self.close()
                raise ConnectionFailed(f"The connection to {self.where} was closed.") from None
            raise
        finally:
            watchdog.disarm()
        if watchdog.expired:
            self.close()
            raise stalled(self.server.host, what, watchdog.seconds_given)

    def quit(self) -> None:
        """QUIT: the server now deletes what was marked, then the connection ends."""
        self._call("QUIT", self.client.quit)
        self._client = None

    def _call(self, what: str, action: Callable[[], _T]) -> _T:
        try:
            with self._guard(what):
                return action()
        except poplib.error_proto as error:
            raise ServerError(f"{self.where} refused {what}: {_text(error)}.") from None
        except OSError as error:
            self.close()
            raise ConnectionFailed(
                f"The connection to {self.where} was lost during {what}: {_text(error)}."
            ) from None

    def uidls(self) -> dict[int, str] | None:
        """Message number -> unique id; None when the server has no UIDL command."""
        try:
            with self._guard("UIDL"):
                answer = self.client.uidl()
        except poplib.error_proto:
            return None
        except OSError as error:
            self.close()
            raise ConnectionFailed(
                f"The connection to {self.where} was lost during UIDL: {_text(error)}."
            ) from None
        listing: dict[int, str] = {}
        for line in answer[1]:
            number, _, uidl = line.decode("ascii", "replace").partition(" ")
            if number.isdigit() and uidl.strip():
                listing[int(number)] = uidl.strip()
        return listing

    def message_numbers(self) -> list[int]:
        answer = self._call("LIST", self.client.list)
        return [int(line.split()[0]) for line in answer[1] if line.split()[:1]]

    def retrieve(self, number: int) -> bytes:
        """Message `number`, with LF line endings as maildir files have them."""
        _response, lines, _octets = self._call(f"RETR {number}", lambda: self.client.retr(number))
        return b"\n".join(lines) + b"\n"

    def delete(self, number: int) -> None:
        self._call(f"DELE {number}", lambda: self.client.dele(number))

    def noop(self) -> None:
        self._call("NOOP", self.client.noop)


def xoauth2_response(username: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (Google's and Microsoft's format)."""
    raw = f"user={username}\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(raw.encode()).decode("ascii")


def oauthbearer_response(username: str, token: str) -> str:
    """The SASL OAUTHBEARER initial response (RFC 7628)."""
    raw = f"n,a={username},\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(raw.encode()).decode("ascii")


def _text(error: BaseException) -> str:
    value = error.args[0] if error.args else error
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text.strip() or type(error).__name__
