"""RFC 8058 one-click unsubscription: one HTTPS POST of `List-Unsubscribe=One-Click`.

Blocking (run it in a thread). Only HTTPS, certificate and host name verified with the
caller's context (`tls.client_context`, the one mail connections use); no cookies, no
credentials, nothing about the user but the URL the list chose (RFC 8058 section 3.1).
A redirect is followed only when it keeps the method (307/308) and stays on the same host
over HTTPS: a list must not be able to bounce the request to a third party.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from tui_mail.core.net.tls import explain_tls_failure

BODY = b"List-Unsubscribe=One-Click"
TIMEOUT_SECONDS = 20.0
MAX_REDIRECTS = 3
_MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class OneClickResult:
    """What happened, as one sentence for the status bar or stderr."""

    ok: bool
    sentence: str
    status: int | None = None


def post_one_click(
    url: str, context: ssl.SSLContext, *, timeout: float = TIMEOUT_SECONDS
) -> OneClickResult:
    """POST `BODY` to `url` (https only) and say how the server answered."""
    target = url
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(target)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme.lower() != "https" or not parts.hostname or port == -1:
            return OneClickResult(
                False, f"Not unsubscribed: {target[:200]} is not an https: URL; nothing sent."
            )
        host = parts.hostname
        shown = f"{host}:{port}" if port else host
        try:
            status, location = _post(host, port, _path(target), context, timeout)
        except ssl.SSLError as error:
            failure = explain_tls_failure(error, host, port or 443, "tls")
            return OneClickResult(False, f"Not unsubscribed: {failure}")
        except TimeoutError:
            return OneClickResult(False, f"Not unsubscribed: {shown} did not answer in time.")
        except (OSError, http.client.HTTPException) as error:
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            return OneClickResult(False, f"Not unsubscribed: cannot reach {shown} ({reason}).")
        if 200 <= status < 300:
            return OneClickResult(True, f"Unsubscribed: {shown} answered {status}.", status)
        if status in (307, 308) and location:
            following = urljoin(target, location)
            moved = urlsplit(following)
            if moved.scheme.lower() == "https" and moved.hostname == host:
                target = following
                continue
            return OneClickResult(
                False,
                f"Not unsubscribed: {shown} answered {status}, a redirect to "
                f"{moved.hostname or 'elsewhere'}, which tui-mail does not follow.",
                status,
            )
        if 300 <= status < 400:
            return OneClickResult(
                False,
                f"Maybe unsubscribed: {shown} answered {status} (a redirect, not followed); "
                "check that mail from the list stops.",
                status,
            )
        return OneClickResult(False, f"Not unsubscribed: {shown} answered {status}.", status)
    return OneClickResult(False, f"Not unsubscribed: more than {MAX_REDIRECTS} redirects.")


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _post(
    host: str, port: int | None, path: str, context: ssl.SSLContext, timeout: float
) -> tuple[int, str]:
    """(status, Location header) of one POST; the connection is closed afterwards."""
    connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    try:
        connection.request(
            "POST",
            path,
            body=BODY,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "tui-mail",
            },
        )
        response = connection.getresponse()
        response.read(_MAX_RESPONSE_BYTES)
        return response.status, response.getheader("Location") or ""
    finally:
        connection.close()
