"""Take a raw message apart without letting it stall or crash us.

`parse_message` bounds the structure first (`limit_structure`: nesting at `MAX_DEPTH`, parts
at `MAX_PARTS`) and parses big single-part bodies without the stdlib's per-line loop; the
small accessors below read a part's headers, payload, parameters and children without
raising on lying charsets. `tui_mail.core.message.mime` walks what these return to render it.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value

from tui_mail.core.message.quirks import unfold_boundaries

MAX_DEPTH = 20
"""Multipart and message/rfc822 nesting shown; deeper parts are skipped with a note."""
MAX_PARTS = 1000
"""MIME parts looked at; the rest are skipped with a note."""

TOO_DEEP = f"Parts nested more than {MAX_DEPTH} levels deep are not shown"
TOO_MANY_PARTS = f"This message has more than {MAX_PARTS} parts; only the first are shown"

_AS_WRITTEN = compat32.clone(mangle_from_=False)


def header_pairs(msg: Message) -> list[tuple[str, str]]:
    return [(name, str(value)) for name, value in msg.raw_items()]


def payload_bytes(part: Message) -> bytes:
    if part.is_multipart():  # an attached message: its own bytes, not its envelope part's
        children = child_parts(part)
        if part.get_content_maintype() != "message" or not children:
            return b""
        try:
            return children[0].as_bytes(policy=_AS_WRITTEN)
        except (UnicodeError, LookupError, ValueError):  # raw 8-bit, or a charset like "idna"
            pass
        try:
            return children[0].as_string(policy=_AS_WRITTEN).encode("utf-8", "surrogateescape")
        except (UnicodeError, LookupError, ValueError):
            return b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def part_param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
        return "" if value is None else str(collapse_rfc2231_value(value)).strip()
    except (LookupError, UnicodeError, ValueError):  # RFC 2231 charset like "idna"
        return ""


def child_parts(part: Message) -> list[Message]:
    if not part.is_multipart():  # get_payload() of a leaf would decode with its charset label
        return []
    return [child for child in part.get_payload() if isinstance(child, Message)]


_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s";]{1,200}))')
_DELIMITER_LINE = re.compile(rb"\n--([^\r\n]*)")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def limit_structure(raw: bytes) -> tuple[bytes, str | None]:
    """Cut the message before a part nested deeper than MAX_DEPTH or past MAX_PARTS.

    The stdlib parser checks every line against every open boundary, so a few hundred
    nested multiparts make it quadratic (seconds for a few hundred kB), and a few thousand
    exceed the recursion limit. A cheap scan of boundary parameters and delimiter lines
    finds where to stop before the parser ever sees it.
    """
    low = raw.lower()
    if low.count(b"boundary") <= MAX_DEPTH and low.count(b"\n--") <= MAX_PARTS:
        return raw, None
    events = [(m.start(), m.group(1) or m.group(2), True) for m in _BOUNDARY_PARAM.finditer(low)]
    events += [(m.start(), m.group(1).rstrip(), False) for m in _DELIMITER_LINE.finditer(low)]
    events.sort()
    open_boundaries: list[bytes] = []
    parts = 0
    for position, value, declared in events:
        if declared:
            open_boundaries.append(value)
            if len(open_boundaries) > MAX_DEPTH:
                return raw[: low.rfind(b"\n", 0, position) + 1], TOO_DEEP
            continue
        for depth in range(len(open_boundaries) - 1, -1, -1):
            if value == open_boundaries[depth]:
                del open_boundaries[depth + 1 :]  # inner parts left open end here
                parts += 1
                if parts > MAX_PARTS:
                    return raw[: position + 1], TOO_MANY_PARTS
                break
            if value == open_boundaries[depth] + b"--":
                del open_boundaries[depth:]
                break
    return raw, None


def parse_message(raw: bytes) -> Message:
    """Parse with the stdlib; a big single-part body skips the parser's per-line loop.

    The parser reads a leaf body line by line in Python (10 MB of short lines: seconds)
    only to join the lines back together, so the header block is parsed alone and the
    body attached exactly as the parser would have stored it.
    """
    raw = unfold_boundaries(raw)
    parser = BytesParser(policy=compat32)
    separator = _HEADER_END.search(raw)
    if separator is None or len(raw) - separator.end() < 65_536 or raw[:1] in b"\r\n":
        return parser.parsebytes(raw)
    msg = parser.parsebytes(raw[: separator.end()])
    try:
        leftover = msg.get_payload()  # "" when the headers ended at that blank line
    except (LookupError, UnicodeError, ValueError):
        leftover = None
    if leftover != "" or msg.get_content_maintype() in ("multipart", "message"):
        return parser.parsebytes(raw)
    msg.set_payload(raw[separator.end() :].decode("ascii", "surrogateescape"))
    return msg
