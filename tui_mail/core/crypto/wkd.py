"""Web Key Directory (draft-koch-openpgp-webkey-service): a recipient's key fetched from
their own domain over HTTPS (never plain HTTP), when the account turns it on (`wkd =
true`; off by default, since asking tells the domain whom you are writing to).

A key found is kept in the peers' keyring (autocrypt.py), not the user's, and used only
if it carries the address asked for.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import ssl
from urllib.parse import quote

log = logging.getLogger(__name__)

_ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769"
MAX_KEY_BYTES = 256 * 1024
TIMEOUT_SECONDS = 10.0


def zbase32(data: bytes) -> str:
    """z-base-32 (RFC 6189 section 5.1.6) of `data`, as WKD names its files."""
    bits = int.from_bytes(data, "big")
    length = len(data) * 8
    out = []
    for shift in range(length - 5, -5, -5):
        chunk = (bits >> shift) & 31 if shift >= 0 else (bits << -shift) & 31
        out.append(_ZBASE32[chunk])
    return "".join(out)


def wkd_locations(address: str) -> list[tuple[str, str]]:
    """(host, path) to try, the advanced method first, then the direct one."""
    local, _at, domain = address.strip().rpartition("@")
    domain = domain.lower()
    hashed = zbase32(hashlib.sha1(local.lower().encode("utf-8")).digest())  # noqa: S324 (the spec's hash)
    query = f"?l={quote(local, safe='')}"
    return [
        (f"openpgpkey.{domain}", f"/.well-known/openpgpkey/{domain}/hu/{hashed}{query}"),
        (domain, f"/.well-known/openpgpkey/hu/{hashed}{query}"),
    ]


def fetch_wkd(
    address: str,
    context: ssl.SSLContext,
    *,
    port: int = 443,
    timeout: float = TIMEOUT_SECONDS,
) -> bytes | None:
    """The key the address's domain publishes for it (binary OpenPGP), or None. Only
    HTTPS verified with `context`; redirects are not followed; at most 256 KiB."""
    for host, path in wkd_locations(address):
        connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        try:
            connection.request("GET", path, headers={"User-Agent": "tui-mail"})
            response = connection.getresponse()
            if response.status == 200:
                body = response.read(MAX_KEY_BYTES + 1)
                if 0 < len(body) <= MAX_KEY_BYTES:
                    return body
        except (OSError, ssl.SSLError, http.client.HTTPException) as error:
            log.info("WKD at %s: %s", host, type(error).__name__)
        finally:
            connection.close()
    return None
