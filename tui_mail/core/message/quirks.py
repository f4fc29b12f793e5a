"""Real mail the stdlib parser takes apart wrongly, put right before or around it.

Each function answers one habit of real mailers that other mail parsers' test fixtures
keep examples of: raw 8-bit UTF-8 in a file name parameter (RFC 6532), and a boundary
parameter folded inside its quotes. Nothing here raises on any input.
"""

from __future__ import annotations

import re
from email.message import Message
from email.policy import Compat32

from tui_mail.core.message.charsets import decode_header_value

_FOLDED_BOUNDARY = re.compile(
    rb'(?i)boundary\s*=\s*"([^"\r\n]{0,200}(?:\r?\n[ \t]+[^"\r\n]{0,200}){1,8})"'
)
_LINE_BREAK_BEFORE_SPACE = re.compile(rb"\r?\n(?=[ \t])")
_FOLD = re.compile(rb"\r?\n[ \t]+")


class _Keep8bit(Compat32):
    """compat32, but a header keeps its raw 8-bit bytes (as surrogate escapes) when read.

    compat32 hands such a value out as a Header in the "unknown-8bit" charset, whose str()
    is one U+FFFD per byte, so a UTF-8 file name sent raw was lost before it could be
    decoded. `decode_header_value` decodes the escapes (UTF-8, else Windows-1252).
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_KEEP_8BIT = _Keep8bit()


def part_filename(part: Message) -> str | None:
    """The part's file name (``filename=``, else ``name=``), decoded but not yet made safe.

    Raw 8-bit names are decoded as UTF-8 (else Windows-1252), RFC 2231 and RFC 2047
    names as declared. Pass the result through `safe_filename` before using it as a name.
    """
    names = Message(policy=_KEEP_8BIT)  # only the two headers a file name can come from
    for header, value in part.raw_items():
        if header.lower() in ("content-disposition", "content-type"):
            names[header] = value
    try:
        name = names.get_filename()
    except (LookupError, UnicodeError, ValueError):
        return None
    return decode_header_value(name) if name else None


def unfold_boundaries(raw: bytes) -> bytes:
    """Unfold a boundary parameter that a mailer folded inside its quotes.

    The stdlib keeps the line break in the value, so no delimiter line matches and the
    whole structure would be shown as text. Some mailers fold at a space that is part of
    the boundary (RFC 5322 unfolding keeps it), others add the space with the fold; the
    delimiter lines in the body say which, so the value that actually delimits wins. A
    value that matches no delimiter line is left as it was.
    """

    # A regex search of a 10 MB body costs 0.2 s; finding the word in a lowered copy, 10 ms.
    low = raw.lower()
    pieces: list[bytes] = []
    done = 0
    position = low.find(b"boundary")
    while position >= 0:
        match = _FOLDED_BOUNDARY.match(raw, position)
        if match:
            value = match.group(1)
            for candidate in (_LINE_BREAK_BEFORE_SPACE.sub(b"", value), _FOLD.sub(b"", value)):
                if b"\n--" + candidate in raw:
                    pieces += [raw[done : match.start(1)], candidate]
                    done = match.end(1)
                    break
        position = low.find(b"boundary", position + 8)
    return b"".join([*pieces, raw[done:]]) if pieces else raw
