"""Thunderbird's autoconfig (clientConfig XML), fetched over verified HTTPS only.

Format: https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from tui_mail.config import AuthMethod, Security
from tui_mail.core.discovery.model import SECURITY_RANK, Protocol

_SOCKET_TYPES: dict[str, Security] = {"SSL": "tls", "TLS": "tls", "STARTTLS": "starttls",
                                      "PLAIN": "plain"}  # fmt: skip
_OAUTH2 = "OAuth2"


class NotAutoconfig(Exception):
    """The document is not a usable clientConfig; the message says why."""


@dataclass(frozen=True, slots=True)
class AutoconfigServer:
    protocol: Protocol
    host: str
    port: int
    security: Security
    username: str | None
    oauth2: bool
    """The document lists OAuth2 among this server's authentication methods."""


def autoconfig_urls(email: str, domain: str) -> tuple[str, ...]:
    """Where Thunderbird looks, in its order, HTTPS only."""
    address = quote(email, safe="@")
    return (
        f"https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={address}",
        f"https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
    )


def parse_autoconfig(
    document: bytes, email: str, *, allow_plain: bool = False
) -> tuple[AutoconfigServer | None, AutoconfigServer | None]:
    """The best IMAP and SMTP servers in a clientConfig document (implicit TLS first).

    defusedxml refuses entity tricks (billion laughs, external entities) outright.
    """
    try:
        root = fromstring(document)
    except (ParseError, DefusedXmlException) as error:
        raise NotAutoconfig(f"not valid XML ({type(error).__name__})") from None
    if _local(root.tag) != "clientConfig":
        raise NotAutoconfig(f"the root element is <{_local(root.tag)}>, not <clientConfig>")
    provider = next((e for e in root if _local(e.tag) == "emailProvider"), None)
    if provider is None:
        raise NotAutoconfig("no <emailProvider> in the document")
    incoming = [
        _server(e, "imap", email) for e in provider
        if _local(e.tag) == "incomingServer" and e.get("type") == "imap"
    ]  # fmt: skip
    outgoing = [
        _server(e, "smtp", email) for e in provider
        if _local(e.tag) == "outgoingServer" and e.get("type") == "smtp"
    ]  # fmt: skip
    return _best(incoming, allow_plain), _best(outgoing, allow_plain)


def parse_pop3(
    document: bytes, email: str, *, allow_plain: bool = False
) -> AutoconfigServer | None:
    """The best `incomingServer type="pop3"` in a document parse_autoconfig accepted."""
    provider = next(e for e in fromstring(document) if _local(e.tag) == "emailProvider")
    servers = [
        _server(e, "pop3", email) for e in provider
        if _local(e.tag) == "incomingServer" and e.get("type") == "pop3"
    ]  # fmt: skip
    return _best(servers, allow_plain)


def auth_methods(*servers: AutoconfigServer | None) -> tuple[AuthMethod, ...]:
    """OAuth2 first when the document offers it, else passwords."""
    if any(s is not None and s.oauth2 for s in servers):
        return ("oauth2", "password")
    return ("password",)


def _best(servers: list[AutoconfigServer | None], allow_plain: bool) -> AutoconfigServer | None:
    usable = [s for s in servers if s is not None and (allow_plain or s.security != "plain")]
    # Stable sort: among equally secure servers the document's own order wins.
    usable.sort(key=lambda s: SECURITY_RANK[s.security])
    return usable[0] if usable else None


def _server(element: Element, protocol: Protocol, email: str) -> AutoconfigServer | None:
    texts: dict[str, str] = {}
    methods: list[str] = []
    for child in element:
        name = _local(child.tag)
        text = (child.text or "").strip()
        if name == "authentication":
            methods.append(text)
        elif name not in texts:
            texts[name] = text
    host = _expand(texts.get("hostname", ""), email).lower()
    security = _SOCKET_TYPES.get(texts.get("socketType", "").upper())
    try:
        port = int(texts.get("port", ""))
    except ValueError:
        return None
    if not _plausible_host(host) or security is None or not 0 < port < 65536:
        return None
    username = _expand(texts["username"], email) if texts.get("username") else None
    return AutoconfigServer(protocol, host, port, security, username, _OAUTH2 in methods)


def _expand(template: str, email: str) -> str:
    local, _, domain = email.rpartition("@")
    return (
        template.replace("%EMAILADDRESS%", email)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
    )


def _plausible_host(host: str) -> bool:
    if not host or len(host) > 253 or "%" in host:
        return False
    return all(c.isalnum() or c in "-._:" for c in host)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
