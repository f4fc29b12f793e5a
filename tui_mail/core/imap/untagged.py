"""Untagged responses read and parsed by us, where imapclient's line reader cannot.

imapclient's `idle_check` (and imaplib's `_get_line`) read one line per response. A
response with a literal (`* LIST () "/" {5}` then `Café`, as Dovecot 2.3 sends a folder
name with 8-bit characters in a NOTIFY event, even without UTF8=ACCEPT) then becomes two
"responses", the second of which does not start with `* ` and makes imapclient raise: the
watcher would drop its connection on every such event. So the account watcher reads its
IDLE answers here: whole responses (a line, and each literal it announces, and the rest of
the line after it), parsed into the shapes imapclient gives (`(3, b"EXISTS")`,
`(b"STATUS", name, (b"MESSAGES", 1, ...))`, `(b"OK", b"text")`), so the rest of the
watcher is unchanged.

Everything here is data from the server: names stay bytes until the caller decodes them,
sizes are capped, and a response that does not parse is skipped, never raised on.
"""

from __future__ import annotations

import logging
import re
import select
from typing import Any, Final

log = logging.getLogger(__name__)

MAX_LITERAL: Final = 64 * 1024
"""Untagged answers during IDLE are folder names and counts: a bigger literal is hostile."""
MAX_RESPONSE: Final = 1024 * 1024
"""...and so is a response that goes on announcing literals past this many bytes."""
MAX_BATCH: Final = 1000
"""Responses taken at one look: a server flooding the watcher cannot grow a list for ever."""
_LITERAL = re.compile(rb"\{(\d{1,9})\+?\}\r?\n?$")
_ATOM_END: Final = frozenset(b" ()\r\n")
_STATUS_WORDS: Final = (b"OK", b"NO", b"BAD", b"BYE", b"PREAUTH")

Parsed = Any
"""imapclient's shapes: tuples of bytes, ints, None and nested tuples."""


class Unparsable(ValueError):
    """A response that is not what IMAP allows here."""


class ConnectionClosed(Exception):
    """The server closed the connection (EOF) while a response was being read."""


def read_response(imap: Any) -> bytes:
    """One whole response from imaplib's connection `imap`: its line with each literal
    inlined as sent (`{5}\\r\\n` and five bytes), without the final CRLF."""
    parts: list[bytes] = []
    while True:
        line: bytes = imap.readline()
        if not line:
            raise ConnectionClosed
        parts.append(line)
        match = _LITERAL.search(line)
        if match is None or not line.endswith(b"\n"):
            break
        size = int(match.group(1))
        if size > MAX_LITERAL:
            raise Unparsable(f"a literal of {size} bytes in an untagged response")
        literal: bytes = imap.read(size)
        if len(literal) < size:
            raise ConnectionClosed
        parts.append(literal)
        if sum(map(len, parts)) > MAX_RESPONSE:
            raise Unparsable(f"an untagged response of over {MAX_RESPONSE} bytes")
    return b"".join(parts).rstrip(b"\r\n")


def pending_responses(imap: Any, timeout: float) -> list[bytes]:
    """What the server says within `timeout` seconds (nothing: []), as whole responses.

    Waits with poll() on the socket unless bytes already wait in imaplib's buffer (a TLS
    record can bring two responses; poll() sees only the socket). Raises ConnectionClosed
    at EOF."""
    sock = imap.sock
    found: list[bytes] = []
    if not _buffered(imap) and not _readable(sock, timeout):
        return found
    while True:
        found.append(read_response(imap))
        # A flood is taken a bounded batch at a time (the rest waits in the socket).
        if len(found) >= MAX_BATCH or not (_buffered(imap) or _readable(sock, 0)):
            return found


def _buffered(imap: Any) -> bool:
    """Whether imaplib's buffered reader holds bytes already (without blocking)."""
    sock = imap.sock
    before = sock.gettimeout()
    sock.setblocking(False)
    try:
        return bool(imap.file.peek(1))
    except OSError:  # TLS wants more bytes: nothing whole is buffered
        return False
    finally:
        sock.settimeout(before)


def _readable(sock: Any, timeout: float) -> bool:
    readable, _w, _x = select.select([sock], [], [], max(0.0, timeout))
    return bool(readable)


def parse_untagged(raw: bytes) -> Parsed:
    """`* ...` as imapclient would give it; Unparsable when it is not IMAP."""
    if not raw.startswith(b"* "):
        raise Unparsable(f"not an untagged response: {raw[:40]!r}")
    text = raw[2:]
    word = text.split(b" ", 1)[0].upper()
    if word in _STATUS_WORDS:  # free text follows: never tokenised
        return (word, text[len(word) + 1 :]) if b" " in text else (word,)
    items, end = _items(text, 0, nested=False)
    if end != len(text):
        raise Unparsable(f"trailing bytes: {text[end : end + 40]!r}")
    return tuple(items)


def _items(text: bytes, at: int, *, nested: bool) -> tuple[list[Parsed], int]:
    items: list[Parsed] = []
    size = len(text)
    while at < size:
        char = text[at]
        if char == 0x20:  # space
            at += 1
        elif char == 0x28:  # (
            inner, at = _items(text, at + 1, nested=True)
            items.append(tuple(inner))
        elif char == 0x29:  # )
            if not nested:
                raise Unparsable("unbalanced )")
            return items, at + 1
        elif char == 0x22:  # "
            value, at = _quoted(text, at + 1)
            items.append(value)
        elif char == 0x7B:  # {
            value, at = _literal(text, at)
            items.append(value)
        else:
            value, at = _atom(text, at)
            items.append(value)
    if nested:
        raise Unparsable("unbalanced (")
    return items, at


def _quoted(text: bytes, at: int) -> tuple[bytes, int]:
    out = bytearray()
    while at < len(text):
        char = text[at]
        if char == 0x5C and at + 1 < len(text):  # backslash
            out.append(text[at + 1])
            at += 2
        elif char == 0x22:
            return bytes(out), at + 1
        else:
            out.append(char)
            at += 1
    raise Unparsable("unterminated quoted string")


def _literal(text: bytes, at: int) -> tuple[bytes, int]:
    close = text.find(b"}", at)
    if close < 0:
        raise Unparsable("unterminated literal size")
    size = int(text[at + 1 : close].rstrip(b"+") or b"-1")
    start = close + 1
    if text[start : start + 2] == b"\r\n":
        start += 2
    elif text[start : start + 1] == b"\n":
        start += 1
    if size < 0 or start + size > len(text):
        raise Unparsable("literal shorter than announced")
    return text[start : start + size], start + size


def _atom(text: bytes, at: int) -> tuple[Parsed, int]:
    start, depth = at, 0
    while at < len(text):
        char = text[at]
        if char == 0x5B:  # [ ... ] may hold spaces (BODY[HEADER.FIELDS (A B)])
            depth += 1
        elif char == 0x5D and depth:
            depth -= 1
        elif depth == 0 and char in _ATOM_END:
            break
        at += 1
    atom = text[start:at]
    if atom.isdigit():
        return int(atom), at
    if atom.upper() == b"NIL":
        return None, at
    return atom, at
