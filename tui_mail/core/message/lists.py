"""Mailing-list header fields, parsed from untrusted text: List-Id (RFC 2919), List-Post
and List-Unsubscribe (RFC 2369), one-click unsubscription (RFC 8058) and the `mailto:`
URLs they carry (RFC 6068).

Nothing here touches the network: `unsubscribe_plan` only decides what an unsubscription
would be (a prefilled message, a confirmed HTTPS POST, a web page, or a refusal with its
reason), and the caller asks the user before anything happens.

A list's headers are written by whoever sent the message, so every value is bounded
(`MAX_FIELD_CHARS`, `MAX_URIS`, `MAX_URI_CHARS`), URLs with anything but printable ASCII
are dropped, and every text meant for the screen passes through the sanitiser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Literal
from urllib.parse import unquote, urlsplit

from tui_mail.core.message.charsets import decode_header_value
from tui_mail.core.message.sanitize import sanitize_line, sanitize_text

MAX_FIELD_CHARS = 8000
"""Longer header values are cut before parsing (a real one is well under 1000)."""
MAX_URIS = 8
"""URLs kept from one List-Post or List-Unsubscribe field."""
MAX_URI_CHARS = 2048
"""Longer URLs are dropped: no real list needs one, a hostile one hides its end."""
MAX_NAME_CHARS = 80
"""The list's name as shown: longer ones are cut with an ellipsis."""

ONE_CLICK = "List-Unsubscribe=One-Click"
"""The only List-Unsubscribe-Post value RFC 8058 defines, and the body of its POST."""

_LIST_FIELDS = ("list-id", "list-post", "list-unsubscribe", "list-unsubscribe-post")
_UNFOLD = re.compile(r"\r?\n[ \t]*")
_ANGLE = re.compile(r"<([^<>]*)>")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_URI_CHARS = re.compile(r"^[!-~]+$")  # printable ASCII, no space: anything else is dropped
_LIST_ID = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,255}$")  # RFC 2919 dot-atom
# RFC 5322 atext and dots only: an address from a URL must not bring controls or quotes.
_ADDR_SPEC = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9.-]{1,255}$")
_MAX_SUBJECT_CHARS = 500
_MAX_BODY_CHARS = 10_000


@dataclass(frozen=True)
class Mailto:
    """A `mailto:` URL taken apart (RFC 6068): what a prefilled message would hold."""

    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    subject: str = ""
    body: str = ""


@dataclass(frozen=True)
class MailingList:
    """What a message's list header fields say. Empty (falsy `is_list`) for other mail."""

    list_id: str = ""
    """The list's identifier, `python-dev.python.org` (RFC 2919), or ''."""
    description: str = ""
    """The phrase before the List-Id, decoded and sanitised: 'Python development'."""
    post: tuple[str, ...] = ()
    """List-Post URLs in the sender's order of preference."""
    posting_refused: bool = False
    """`List-Post: NO`: the list takes no posts (announcement lists)."""
    unsubscribe: tuple[str, ...] = ()
    """List-Unsubscribe URLs in the sender's order of preference."""
    one_click: bool = False
    """List-Unsubscribe-Post says exactly `List-Unsubscribe=One-Click` (RFC 8058)."""

    @property
    def is_list(self) -> bool:
        return bool(self.list_id or self.post or self.posting_refused or self.unsubscribe)

    @property
    def name(self) -> str:
        """How to name the list to a user: its description, else its id, else ''."""
        name = self.description or self.list_id
        return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"

    @property
    def post_address(self) -> str | None:
        """The address to post to: the first List-Post `mailto:` with an address."""
        for url in self.post:
            mailto = parse_mailto(url)
            if mailto is not None and mailto.to:
                return mailto.to[0]
        return None


@dataclass(frozen=True)
class UnsubscribePlan:
    """How to unsubscribe, decided from the headers alone, before asking anyone.

    `how` is "one-click" (an HTTPS POST of `ONE_CLICK` to `url`, after the user confirms),
    "mailto" (a prefilled message for the user to send), "browser" (a web page to open,
    after the user confirms) or "refused" (`sentence` says why)."""

    how: Literal["one-click", "mailto", "browser", "refused"]
    list_name: str = ""
    url: str = ""
    host: str = ""
    """The URL's host (and port when it has one), as it will be contacted."""
    mailto: Mailto | None = None
    sentence: str = ""


def list_headers(raw: bytes) -> MailingList:
    """The list header fields of a message (its first occurrence of each)."""
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    fields: dict[str, str] = {}
    for name, value in parsed.raw_items():
        key = name.lower()
        if key in _LIST_FIELDS and key not in fields:
            fields[key] = str(value)
    return parse_list_fields(fields)


def parse_list_fields(fields: dict[str, str]) -> MailingList:
    """`fields`: raw values by lowercase field name (folded, encoded words intact)."""
    list_id, description = _parse_list_id(fields.get("list-id", ""))
    post_value = _unfolded(fields.get("list-post", ""))
    post_refused = _strip_comments(post_value).strip().upper() == "NO"
    post_refused = post_refused and "<" not in post_value
    one_click = _unfolded(fields.get("list-unsubscribe-post", "")).strip() == ONE_CLICK
    return MailingList(
        list_id=list_id,
        description=description,
        post=() if post_refused else parse_url_list(post_value),
        posting_refused=post_refused,
        unsubscribe=parse_url_list(fields.get("list-unsubscribe", "")),
        one_click=one_click,
    )


def parse_url_list(value: str) -> tuple[str, ...]:
    """The angle-bracketed URLs of an RFC 2369 field, comments and whitespace ignored.

    RFC 2369 lets a long URL be folded across lines inside its brackets: whitespace there
    is not part of it. URLs that are not printable ASCII, or too long, are dropped."""
    text = _strip_comments(_unfolded(value))
    urls: list[str] = []
    for match in _ANGLE.finditer(text):
        url = "".join(match.group(1).split())
        if (
            url
            and len(url) <= MAX_URI_CHARS
            and _URI_CHARS.match(url)
            and _SCHEME.match(url)
            and url not in urls
        ):
            urls.append(url)
            if len(urls) == MAX_URIS:
                break
    return tuple(urls)


def parse_mailto(url: str) -> Mailto | None:
    """A `mailto:` URL (RFC 6068) as recipients, subject and body; None if it is not one.

    Only `to`, `cc`, `subject` and `body` are taken: any other header a URL could set
    (Bcc, From, In-Reply-To ...) is ignored, so a list cannot put words in the user's mouth
    beyond what the compose screen shows. Addresses that do not look like one are dropped."""
    if url[:7].lower() != "mailto:" or len(url) > MAX_URI_CHARS:
        return None
    path, _, query = url[7:].partition("?")
    to = _addresses(path)
    cc: list[str] = []
    subject = body = ""
    for pair in query.split("&") if query else ():
        name, _, value = pair.partition("=")
        name = unquote(name).lower()
        if name == "to":
            to += [a for a in _addresses(value) if a not in to]
        elif name == "cc":
            cc += _addresses(value)
        elif name == "subject" and not subject:
            subject = sanitize_line(_decoded(value))[:_MAX_SUBJECT_CHARS].strip()
        elif name == "body" and not body:
            body = sanitize_text(_decoded(value).replace("\r\n", "\n"))[:_MAX_BODY_CHARS]
    return Mailto(tuple(to), tuple(cc), subject, body)


def unsubscribe_plan(info: MailingList) -> UnsubscribePlan:
    """What "unsubscribe" would do for a message with these list headers.

    In order: RFC 8058 one-click (the list asks for it, and only over HTTPS); else a
    `mailto:` (the user sees and sends the message); else an HTTPS page for the browser.
    A plain-http URL is never requested: anyone on the path could read or change it."""
    name = info.name
    if not info.unsubscribe:
        return UnsubscribePlan(
            "refused",
            name,
            sentence="This message has no List-Unsubscribe header: it names no way to unsubscribe.",
        )
    https = [u for u in info.unsubscribe if _scheme(u) == "https" and _host(u)]
    mailtos = [m for u in info.unsubscribe if (m := parse_mailto(u)) is not None and m.to]
    if info.one_click and https:
        return UnsubscribePlan("one-click", name, url=https[0], host=_host(https[0]))
    if mailtos:
        return UnsubscribePlan("mailto", name, url=info.unsubscribe[0], mailto=mailtos[0])
    if https:
        return UnsubscribePlan("browser", name, url=https[0], host=_host(https[0]))
    http = [u for u in info.unsubscribe if _scheme(u) == "http"]
    if http:
        return UnsubscribePlan(
            "refused",
            name,
            url=http[0],
            host=_host(http[0]),
            sentence=f"This list unsubscribes only over plain http ({_host(http[0])}): "
            "tui-mail will not send that request unencrypted, where anyone on the way "
            "could read or change it. Open the link yourself if you trust it.",
        )
    return UnsubscribePlan(
        "refused",
        name,
        sentence="This message's List-Unsubscribe has no mailto: or https: link tui-mail can use.",
    )


# -- helpers ----------------------------------------------------------------------------


def _unfolded(value: str) -> str:
    return _UNFOLD.sub(" ", value[:MAX_FIELD_CHARS])


def _strip_comments(text: str) -> str:
    """Text without RFC 5322 comments `( ... )` (nested, with quoted pairs), except inside
    angle brackets, where parentheses belong to the URL."""
    out: list[str] = []
    depth = 0
    in_angle = False
    escaped = False
    for char in text:
        if depth:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            continue
        if char == "<":
            in_angle = True
        elif char == ">":
            in_angle = False
        elif char == "(" and not in_angle:
            depth = 1
            continue
        out.append(char)
    return "".join(out)


def _parse_list_id(value: str) -> tuple[str, str]:
    """(the id, the description) of a List-Id field; ('', '') when it is not one."""
    text = _unfolded(value)
    start, end = text.rfind("<"), text.rfind(">")
    if start < 0 or end < start:
        return "", ""
    list_id = text[start + 1 : end].strip()
    if not _LIST_ID.match(list_id):
        return "", ""
    phrase = decode_header_value(_strip_comments(text[:start])).strip()
    if len(phrase) >= 2 and phrase[0] == phrase[-1] == '"':
        phrase = phrase[1:-1].replace('\\"', '"').strip()
    return list_id.lower(), phrase


def _decoded(value: str) -> str:
    return unquote(value, encoding="utf-8", errors="replace")


def _addresses(value: str) -> list[str]:
    found: list[str] = []
    for part in _decoded(value).split(","):
        address = part.strip()
        if _ADDR_SPEC.match(address) and address not in found:
            found.append(address)
    return found[:MAX_URIS]


def _scheme(url: str) -> str:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else ""


def _host(url: str) -> str:
    """The host a URL reaches, plainly (IDNs stay in their xn-- form), with its port."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return ""
    return f"{host}:{port}" if host and port else host
