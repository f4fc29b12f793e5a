"""OAuth2 for mail: the device-code grant (RFC 8628, made for terminals) and refresh tokens.

The client is the user's own registration (a public client: its ID goes in the config; a
client secret, where a provider insists on one, goes to the credential store with the
tokens). Endpoints come from a provider preset or from the config. Tokens and device codes
never appear in a message, a repr or a traceback's locals: failures are raised from frames
that hold only redacted objects.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tui_mail.config import AccountConfig, OAuth2Config, OAuth2Provider
from tui_mail.core.errors import AuthenticationFailed, ConnectionFailed, UsageError
from tui_mail.core.message.sanitize import sanitize_line

HTTP_TIMEOUT = 20.0
REFRESH_MARGIN = 120.0
"""Seconds before expiry at which a token counts as expired, so it never dies mid-command."""
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_MAX_ANSWER = 64 * 1024


@dataclass(frozen=True, slots=True)
class ProviderEndpoints:
    device_authorization_endpoint: str | None
    token_endpoint: str
    scopes: tuple[str, ...]
    register_at: str
    """Where users register their own client, for error messages and the README."""
    authorization_endpoint: str | None = None
    """The browser sign-in page of the loopback-redirect flow, where the provider wants it."""


PROVIDERS: Mapping[OAuth2Provider, ProviderEndpoints] = {
    "microsoft": ProviderEndpoints(
        "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        (
            "https://outlook.office.com/IMAP.AccessAsUser.All",
            "https://outlook.office.com/SMTP.Send",
            "offline_access",
        ),
        "https://entra.microsoft.com (App registrations; allow public client flows)",
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    ),
    # Google's device flow does not grant the mail scope: installed apps use the loopback
    # redirect (RFC 8252), so no device endpoint here.
    "google": ProviderEndpoints(
        None,
        "https://oauth2.googleapis.com/token",
        ("https://mail.google.com/",),
        "https://console.cloud.google.com/apis/credentials (a Desktop app client)",
        "https://accounts.google.com/o/oauth2/v2/auth",
    ),
}


class OAuth2Error(AuthenticationFailed):
    """The provider refused, or the sign-in could not be completed; says what to do."""


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Everything needed to talk to one provider for one account."""

    client_id: str
    token_endpoint: str
    device_authorization_endpoint: str | None
    scopes: tuple[str, ...]
    client_secret: str | None = field(default=None, repr=False)
    """Only for providers that insist on one for installed apps (Google)."""
    authorization_endpoint: str | None = None
    """The browser sign-in page (loopback-redirect flow)."""
    redirect_port: int | None = None
    """The loopback port chosen by the user (for an SSH forward); None for any free one."""

    @property
    def uses_loopback(self) -> bool:
        """Sign in through a browser redirect to 127.0.0.1 rather than a device code."""
        return self.authorization_endpoint is not None and (
            self.device_authorization_endpoint is None or self.redirect_port is not None
        )


def endpoints_for(
    config: OAuth2Config | None, account_name: str, *, client_secret: str | None = None
) -> Endpoints:
    """The account's endpoints: its own settings over its provider's; UsageError if unusable."""
    config = config or OAuth2Config()
    preset = PROVIDERS.get(config.provider) if config.provider else None
    if not config.client_id:
        where = f" (register one at {preset.register_at})" if preset else ""
        raise UsageError(
            f"account {account_name!r} has no OAuth2 client_id: set client_id in "
            f"[accounts.oauth2] to your own registered application's ID{where}, or set "
            "token_command to a command that prints access tokens"
        )
    token = config.token_endpoint or (preset.token_endpoint if preset else None)
    if token is None:
        raise UsageError(
            f"account {account_name!r} has no OAuth2 token endpoint: set provider = "
            '"google" or "microsoft", or token_endpoint, in [accounts.oauth2]'
        )
    device = config.device_authorization_endpoint or (
        preset.device_authorization_endpoint if preset else None
    )
    scopes = config.scopes or (preset.scopes if preset else ())
    authorize = config.authorization_endpoint or (preset.authorization_endpoint if preset else None)
    if config.device_authorization_endpoint and not config.authorization_endpoint:
        authorize = None  # the device flow was asked for by name
    return Endpoints(config.client_id, token, device, scopes, client_secret, authorize,
                     config.redirect_port)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What the credential store keeps for an OAuth2 account."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    """Wall-clock time (time.time()) the access token stops working; None if not said."""
    client_secret: str | None = field(default=None, repr=False)
    """Only for providers that insist on one for installed apps (Google)."""

    def expired(self, now: float | None = None, margin: float = REFRESH_MARGIN) -> bool:
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) >= self.expires_at - margin

    def to_json(self) -> str:
        data = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "client_secret": self.client_secret,
        }
        return json.dumps({k: v for k, v in data.items() if v is not None})

    @classmethod
    def from_json(cls, text: str) -> TokenSet | None:
        """None for anything that is not a stored token set (a bare access token, say)."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            return None
        expires = data.get("expires_at")
        return cls(
            access_token=data["access_token"],
            refresh_token=_str_or_none(data.get("refresh_token")),
            expires_at=float(expires) if isinstance(expires, int | float) else None,
            client_secret=_str_or_none(data.get("client_secret")),
        )


@dataclass(frozen=True, slots=True)
class DeviceAuthorization:
    """What the user must do in a browser, and what the poller needs."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_at: float
    """On the `clock` given to start_device_authorization."""
    interval: float
    device_code: str = field(repr=False)

    def instructions(self) -> str:
        text = f"Open {self.verification_uri} in a browser and enter the code {self.user_code}"
        if self.verification_uri_complete:
            text += f" (or open {self.verification_uri_complete})"
        return text + "."


Clock = Callable[[], float]
Sleep = Callable[[float], None]


def start_device_authorization(
    endpoints: Endpoints, *, context: ssl.SSLContext, clock: Clock = time.monotonic
) -> DeviceAuthorization:
    """Ask the provider for a user code (RFC 8628 section 3.1)."""
    url = endpoints.device_authorization_endpoint
    if url is None:
        raise UsageError(
            "no device_authorization_endpoint for this account: set provider, or "
            "device_authorization_endpoint in [accounts.oauth2]"
        )
    form = {"client_id": endpoints.client_id, "scope": " ".join(endpoints.scopes)}
    if endpoints.client_secret:
        form["client_secret"] = endpoints.client_secret
    reply = post_form(url, form, context)
    del form
    if reply.error is not None:
        raise OAuth2Error(refusal("refused to start the sign-in", url, reply))
    authorization = _device_authorization(reply.answer, clock())
    if authorization is None:
        raise OAuth2Error(f"{url} gave an answer without the device code fields of RFC 8628")
    return authorization


def _device_authorization(answer: dict[str, Any], now: float) -> DeviceAuthorization | None:
    codes = {k: answer.get(k) for k in ("device_code", "user_code", "expires_in")}
    # Google says verification_url, the RFC says verification_uri.
    uri = answer.get("verification_uri") or answer.get("verification_url")
    if not all(isinstance(v, str | int) and v for v in codes.values()) or not isinstance(uri, str):
        return None
    complete = answer.get("verification_uri_complete")
    interval = answer.get("interval", 5)
    return DeviceAuthorization(
        user_code=sanitize_line(str(codes["user_code"])),
        verification_uri=sanitize_line(uri),
        verification_uri_complete=sanitize_line(complete) if isinstance(complete, str) else None,
        expires_at=now + float(codes["expires_in"] or 0),
        interval=float(interval) if isinstance(interval, int | float) and interval > 0 else 5.0,
        device_code=str(codes["device_code"]),
    )


def poll_device_authorization(
    endpoints: Endpoints,
    authorization: DeviceAuthorization,
    *,
    context: ssl.SSLContext,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    cancelled: Callable[[], bool] | None = None,
) -> TokenSet:
    """Wait for the user to approve (RFC 8628 section 3.4-3.5); their tokens, or OAuth2Error.

    Honours authorization_pending and slow_down (interval + 5 s), stops at expiry, on
    access_denied, and when `cancelled()` turns true (checked before each poll).
    """
    interval = authorization.interval
    url = endpoints.token_endpoint
    while True:
        if cancelled is not None and cancelled():
            raise OAuth2Error("the sign-in was cancelled")
        if clock() + interval > authorization.expires_at:
            raise OAuth2Error(
                "the sign-in code expired before it was approved; start again and approve it "
                "in the browser within the time shown"
            )
        sleep(interval)
        reply = post_form(url, _device_form(endpoints, authorization), context)
        if reply.error is None:
            return token_set_from(reply, url, keep_secret_of=endpoints)
        if reply.error == "authorization_pending":
            continue
        if reply.error == "slow_down":
            interval += 5.0  # RFC 8628 section 3.5
            continue
        if reply.error == "expired_token":
            raise OAuth2Error("the sign-in code expired before it was approved; start again")
        if reply.error == "access_denied":
            raise OAuth2Error("the sign-in was declined in the browser; nothing was stored")
        raise OAuth2Error(refusal("refused the sign-in", url, reply))


def refresh_tokens(endpoints: Endpoints, tokens: TokenSet, *, context: ssl.SSLContext) -> TokenSet:
    """A new access token from the refresh token; keeps the old refresh token if none is sent."""
    if not tokens.refresh_token:
        raise OAuth2Error("the stored OAuth2 token has expired and there is no refresh token")
    url = endpoints.token_endpoint
    reply = post_form(url, _refresh_form(endpoints, tokens), context)
    if reply.error is not None:
        raise OAuth2Error(refusal("refused to refresh the access token", url, reply))
    fresh = token_set_from(reply, url, keep_secret_of=tokens)
    if fresh.refresh_token is None:
        fresh = TokenSet(fresh.access_token, tokens.refresh_token, fresh.expires_at,
                         tokens.client_secret)  # fmt: skip
    return fresh


def device_sign_in(
    account: AccountConfig,
    show: Callable[[DeviceAuthorization], None],
    *,
    client_secret: str | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> TokenSet:
    """The whole device-code sign-in for an account: `show` gets the code to display, then
    this blocks (a UI runs it in a thread worker) until approval, refusal or expiry."""
    from tui_mail.core.net.tls import client_context  # noqa: PLC0415

    endpoints = endpoints_for(account.oauth2, account.name, client_secret=client_secret)
    context = client_context(account.ca_file)
    authorization = start_device_authorization(endpoints, context=context)
    show(authorization)
    return poll_device_authorization(endpoints, authorization, context=context,
                                     cancelled=cancelled)  # fmt: skip


# HTTP


@dataclass(frozen=True, slots=True)
class _Reply:
    answer: dict[str, Any] = field(repr=False)
    error: str | None
    """None on success; the OAuth2 error code (or a description of the failure)."""
    description: str = ""


def _device_form(endpoints: Endpoints, authorization: DeviceAuthorization) -> dict[str, str]:
    form = {"grant_type": DEVICE_GRANT, "device_code": authorization.device_code,
            "client_id": endpoints.client_id}  # fmt: skip
    if endpoints.client_secret:
        form["client_secret"] = endpoints.client_secret
    return form


def _refresh_form(endpoints: Endpoints, tokens: TokenSet) -> dict[str, str]:
    form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token or "",
            "client_id": endpoints.client_id}  # fmt: skip
    secret = endpoints.client_secret or tokens.client_secret
    if secret:
        form["client_secret"] = secret
    return form


def post_form(url: str, form: dict[str, str], context: ssl.SSLContext) -> _Reply:
    """POST a form and read a JSON answer; never raises for an HTTP or OAuth2 error."""
    if not url.startswith("https://"):
        raise UsageError(f"refusing to send OAuth2 requests to {url!r}: it must be https://")
    request = urllib.request.Request(  # noqa: S310 -- https only, checked above
        url, data=urlencode(form).encode(), method="POST",
        headers={"Accept": "application/json", "User-Agent": "tui-mail"},
    )  # fmt: skip
    del form
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT) as response:
            body = response.read(_MAX_ANSWER)
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(_MAX_ANSWER), error.code
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise ConnectionFailed(
                f"the certificate of {url} is not trusted ({reason.verify_message})"
            ) from None
        raise ConnectionFailed(f"cannot reach {url}: {reason}") from None
    except (OSError, ValueError) as error:
        raise ConnectionFailed(f"cannot reach {url}: {type(error).__name__}") from None
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return _Reply({}, f"HTTP {status} without a JSON answer")
    error_code = answer.get("error")
    if status >= 400 or error_code:
        description = answer.get("error_description")
        return _Reply(
            {},
            sanitize_line(str(error_code or f"HTTP {status}"))[:100],
            sanitize_line(description)[:300] if isinstance(description, str) else "",
        )
    return _Reply(answer, None)


def token_set_from(reply: _Reply, url: str, *, keep_secret_of: Endpoints | TokenSet) -> TokenSet:
    """The tokens in a successful reply. Raised from here, nothing secret shows in the locals:
    the answer hides in `reply`, the client secret in `keep_secret_of`."""
    tokens = _tokens_from(reply.answer, keep_secret_of.client_secret)
    if isinstance(tokens, str):
        raise OAuth2Error(f"{url} {tokens}")
    return tokens


def _tokens_from(answer: dict[str, Any], client_secret: str | None) -> TokenSet | str:
    kind = answer.get("token_type", "Bearer")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        return f"gave a {sanitize_line(str(kind))[:40]!r} token; mail servers take Bearer tokens"
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        return "answered without an access_token"
    lifetime = answer.get("expires_in")
    expires_at = time.time() + float(lifetime) if isinstance(lifetime, int | float) else None
    return TokenSet(access, _str_or_none(answer.get("refresh_token")), expires_at, client_secret)


def refusal(what: str, url: str, reply: _Reply) -> str:
    said = reply.error or "an error"
    if reply.description:
        said += f": {reply.description}"
    advice = ""
    if reply.error == "invalid_grant":
        advice = "; sign in again with tui-mail authorize"
    elif reply.error in ("invalid_client", "unauthorized_client"):
        advice = "; check client_id (and client secret), and that the application allows this flow"
    elif reply.error == "invalid_scope":
        advice = "; the provider does not grant these scopes to this kind of sign-in"
    return f"{url} {what} ({said}){advice}"


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
