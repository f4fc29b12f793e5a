"""Decoding text whose labels lie: RFC 2047 encoded words and declared charsets.

Used wherever text from a message or a server is turned into str: the sync-time header
parser, the renderer, attachment names. Nothing here raises on any input.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

from tui_mail.core.message.sanitize import sanitize_line

_MAX_HEADER_CHARS = 65_536

_UNFOLD = re.compile(r"\r?\n(?=[ \t])")
_SURROGATE_ESCAPES = re.compile("[\udc80-\udcff]")
# RFC 2047, leniently: the encoded text may hold spaces (broken mailers) but not "?".
# Bounded character classes keep a crafted header linear to scan.
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?]*)\?=")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")
# Codecs Python has that are not mail charsets, and that are slow or surprising on big input.
_REFUSED_CODECS = frozenset(
    {"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"}
)
# Labels routinely wrong in mail: "ascii"/"latin-1" text is often UTF-8 or Windows-1252.
_GUESSED_CODECS = frozenset({"ascii", "iso8859-1", "cp1252"})
# Supersets that decode what senders labelled with the smaller set (as browsers do).
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949", "shift_jis": "cp932"}


def decode_header_value(value: str) -> str:
    """Decode a header value for display. Never raises.

    Unfolds, decodes RFC 2047 encoded words leniently (words split inside a character,
    glued to text, with bad base64 or unknown charsets), decodes raw 8-bit bytes that the
    parser kept as surrogate escapes, and passes the result through `sanitize_line`.
    """
    try:
        text = value if len(value) <= _MAX_HEADER_CHARS else value[:_MAX_HEADER_CHARS] + "…"
        text = _UNFOLD.sub("", text)
        if _SURROGATE_ESCAPES.search(text):
            text = decode_bytes(text.encode("utf-8", "surrogateescape"), None)
        text = decode_encoded_words(text)
    except Exception:  # a header must never take the reader down; show it undecoded
        text = value[:_MAX_HEADER_CHARS]
    return sanitize_line(text).strip()


def decode_encoded_words(value: str) -> str:
    """RFC 2047 words -> text, leniently (split characters, bad base64, unknown charsets)."""
    if "=?" not in value:
        return value
    out: list[str] = []
    run = bytearray()
    run_charset: str | None = None  # set while the previous token was an encoded word
    position = 0
    for word in _ENCODED_WORD.finditer(value):
        gap = value[position : word.start()]
        # Whitespace between two encoded words is not part of the text (RFC 2047 6.2).
        if gap and not (run_charset is not None and gap.isspace()):
            if run_charset is not None:
                out.append(decode_bytes(bytes(run), run_charset))
                run.clear()
                run_charset = None
            out.append(gap)
        charset = word.group(1).split("*", 1)[0].lower()  # drop an RFC 2231 language
        if run_charset is not None and charset != run_charset:
            out.append(decode_bytes(bytes(run), run_charset))
            run.clear()
        # Same-charset words are joined as bytes first: senders split inside a character.
        run += _decode_word_payload(word.group(2), word.group(3))
        run_charset = charset
        position = word.end()
    if run_charset is not None:
        out.append(decode_bytes(bytes(run), run_charset))
    out.append(value[position:])
    return "".join(out)


def _decode_word_payload(encoding: str, text: str) -> bytes:
    data = text.encode("utf-8", "surrogateescape")
    if encoding in "qQ":
        return binascii.a2b_qp(data, header=True)
    cleaned = _NOT_BASE64.sub("", text)
    if len(cleaned) % 4 == 1:  # one stray character can never decode; drop it
        cleaned = cleaned[:-1]
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except binascii.Error:
        return b""


# A byte-order mark names the encoding better than any label, and is not text (WHATWG
# Encoding "decode": the BOM wins over the declared charset and is removed).
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset if it is usable, else guess UTF-8, then Windows-1252.

    A leading byte-order mark overrides the label and is dropped.
    """
    for mark, codec in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return data[len(mark) :].decode(codec, "replace")
    name = ""
    if charset:
        try:
            name = codecs.lookup(charset.strip().strip("\"'")).name
        except (LookupError, ValueError):
            name = ""
    name = _SUPERSETS.get(name, name)
    if name and name not in _GUESSED_CODECS and name not in _REFUSED_CODECS:
        try:
            return data.decode(name, "replace")
        except (LookupError, UnicodeError, ValueError):
            pass  # not a text codec (e.g. "base64"), or one that refuses "replace"
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")
