"""OAuth2 for installed apps through a loopback redirect (RFC 8252, with PKCE: RFC 7636).

Google's way for desktop clients: the user opens an authorization URL, signs in, and the
browser is sent back to http://127.0.0.1:PORT/ with a code, which is exchanged at the token
endpoint. A one-shot listener on 127.0.0.1 catches that redirect. Over SSH the browser runs
on another machine: the user forwards the port first (`ssh -L PORT:127.0.0.1:PORT host`),
which is why the port can be fixed in the config.

Hand-written with the stdlib, like oauth2.py: PKCE and the URL are a few lines (secrets,
hashlib, urlencode), and the token request reuses oauth2's https-only form POST.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tui_mail.config import AccountConfig
from tui_mail.core.auth.oauth2 import (
    Endpoints,
    OAuth2Error,
    TokenSet,
    endpoints_for,
    post_form,
    refusal,
    token_set_from,
)
from tui_mail.core.errors import ConnectionFailed, UsageError
from tui_mail.core.message.sanitize import sanitize_line

LOOPBACK_HOST = "127.0.0.1"
SIGN_IN_TIMEOUT = 300.0
"""Seconds to wait for the browser's redirect."""
_POLL = 0.25
"""How often the waiting listener checks for cancellation."""

_DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>tui-mail</title>"
    "<p>{message}</p><p>You can close this window and go back to the terminal.</p>"
)


@dataclass(frozen=True, slots=True)
class _Redirect:
    """What the browser brought back to the listener."""

    query: dict[str, str] = field(repr=False)


class LoopbackSignIn:
    """One sign-in: a listener on 127.0.0.1, the URL to open, then the code exchanged.

    Use as a context manager (the listener is closed on exit); `url` and `instructions()`
    are ready once constructed, `wait()` blocks until the redirect, a refusal or timeout.
    """

    def __init__(self, endpoints: Endpoints, *, port: int | None = None) -> None:
        if endpoints.authorization_endpoint is None:
            raise UsageError(
                'no authorization_endpoint for this account: set provider = "google", or '
                "authorization_endpoint in [accounts.oauth2]"
            )
        if not endpoints.authorization_endpoint.startswith("https://"):
            raise UsageError(
                f"refusing to sign in at {endpoints.authorization_endpoint!r}: it must be https://"
            )
        self.endpoints = endpoints
        chosen = endpoints.redirect_port if port is None else port
        self._server = _listen(chosen or 0)
        self.port: int = self._server.server_address[1]
        self.redirect_uri = f"http://{LOOPBACK_HOST}:{self.port}/"
        self._state = secrets.token_urlsafe(24)
        self._verifier = secrets.token_urlsafe(48)  # 64 characters: RFC 7636 wants 43-128
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self._verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": endpoints.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(endpoints.scopes),
            "state": self._state,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
            # Google gives a refresh token only with offline access, and again only if asked.
            "access_type": "offline",
            "prompt": "consent",
        }
        separator = "&" if "?" in endpoints.authorization_endpoint else "?"
        self.url = endpoints.authorization_endpoint + separator + urlencode(query)

    def __enter__(self) -> LoopbackSignIn:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.server_close()

    def instructions(self) -> str:
        return (
            f"Open this address in a browser and allow access: {self.url} -- the browser is "
            f"then sent back to {self.redirect_uri} on this machine. Working over SSH? Forward "
            f"the port first (ssh -L {self.port}:{LOOPBACK_HOST}:{self.port} HOST) and open "
            "the address on your own computer."
        )

    def wait(
        self,
        *,
        context: ssl.SSLContext,
        timeout: float = SIGN_IN_TIMEOUT,
        cancelled: Callable[[], bool] | None = None,
    ) -> TokenSet:
        """Wait for the redirect, check it, and exchange its code for tokens."""
        # Raised from here, nothing secret is in the locals: the code hides in `redirect`.
        redirect = self._await_redirect(timeout, cancelled)
        problem = _problem_with(redirect, self._state)
        if problem is not None:
            raise OAuth2Error(problem)
        url = self.endpoints.token_endpoint
        reply = post_form(url, self._exchange_form(redirect), context)
        if reply.error is not None:
            raise OAuth2Error(refusal("refused the authorization code", url, reply))
        return token_set_from(reply, url, keep_secret_of=self.endpoints)

    def _exchange_form(self, redirect: _Redirect) -> dict[str, str]:
        form = {
            "grant_type": "authorization_code",
            "code": redirect.query["code"],
            "redirect_uri": self.redirect_uri,
            "client_id": self.endpoints.client_id,
            "code_verifier": self._verifier,
        }
        if self.endpoints.client_secret:
            form["client_secret"] = self.endpoints.client_secret
        return form

    def _await_redirect(self, timeout: float, cancelled: Callable[[], bool] | None) -> _Redirect:
        deadline = time.monotonic() + timeout
        self._server.timeout = _POLL
        while self._server.caught is None:
            if cancelled is not None and cancelled():
                raise OAuth2Error("the sign-in was cancelled; nothing was stored")
            if time.monotonic() >= deadline:
                raise OAuth2Error(
                    f"no answer from the browser within {timeout:g} s; nothing was stored. "
                    f"Start again, open the address shown, and make sure the browser can reach "
                    f"{self.redirect_uri} (over SSH: ssh -L {self.port}:{LOOPBACK_HOST}:"
                    f"{self.port} HOST, and set redirect_port in [accounts.oauth2] to fix the port)"
                )
            self._server.handle_request()
        return self._server.caught


def loopback_sign_in(
    account: AccountConfig,
    show: Callable[[str], None],
    *,
    client_secret: str | None = None,
    cancelled: Callable[[], bool] | None = None,
    timeout: float = SIGN_IN_TIMEOUT,
) -> TokenSet:
    """The whole loopback sign-in for an account: `show` gets the instructions, then this
    blocks (a UI runs it in a thread worker) until the redirect, refusal, timeout or cancel."""
    from tui_mail.core.net.tls import client_context  # noqa: PLC0415

    endpoints = endpoints_for(account.oauth2, account.name, client_secret=client_secret)
    context = client_context(account.ca_file)
    with LoopbackSignIn(endpoints) as flow:
        show(flow.instructions())
        return flow.wait(context=context, timeout=timeout, cancelled=cancelled)


def _problem_with(redirect: _Redirect, state: str) -> str | None:
    query = redirect.query
    if query.get("state") != state:
        return (
            "the browser came back with a sign-in that this one did not start (the state "
            "parameter does not match); nothing was stored. Start again and use the newest "
            "address shown"
        )
    if "error" in query:
        return _denial(query)
    if not query.get("code"):
        return "the browser came back without an authorization code; start again"
    return None


def _denial(query: dict[str, str]) -> str:
    code = sanitize_line(query.get("error", ""))[:60]
    if code == "access_denied":
        return "access was not allowed in the browser (access_denied); nothing was stored"
    said = sanitize_line(query.get("error_description", ""))[:200]
    return f"the provider refused the sign-in ({code}{': ' + said if said else ''})"


class _Listener(http.server.HTTPServer):
    caught: _Redirect | None = None


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Listener

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items() if v}
        if parts.path != "/" or not ({"code", "error", "state"} & query.keys()):
            self._answer(404, "Not the sign-in address.")  # a favicon, a stray probe
            return
        if self.server.caught is None:
            self.server.caught = _Redirect(query)
        denied = "error" in query
        self._answer(200, "Sign-in refused." if denied else "Signed in to tui-mail.")

    def _answer(self, status: int, message: str) -> None:
        body = _DONE_PAGE.format(message=message).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the query holds the authorization code."""


def _listen(port: int) -> _Listener:
    try:
        return _Listener((LOOPBACK_HOST, port), _Handler)
    except OSError as error:
        raise ConnectionFailed(
            f"cannot listen on {LOOPBACK_HOST}:{port} for the browser's redirect "
            f"({error.strerror or type(error).__name__}); choose another redirect_port in "
            "[accounts.oauth2] (or --redirect-port), or free that one"
        ) from None
