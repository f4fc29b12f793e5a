"""Turn a raw message into what the reader shows: headers, a text body, links, attachments.

Every byte is untrusted. `render_message` never raises: charsets that lie or do not exist
fall back to UTF-8 and then Windows-1252, damaged base64 and quoted-printable decode as far
as they can, and a message the parser cannot take apart is shown as raw text with a note.
All text leaving this module has been through `tui_mail.core.sanitize`.

Work is bounded so a hostile message cannot stall the reader: multipart nesting stops at
`MAX_DEPTH`, the part count at `MAX_PARTS`, the body at `max_body_chars`, and HTML (the
slow path, through html2text) at a third of that. Sizes of text count characters.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from email import errors as email_errors
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value
from functools import cache
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from tui_mail.core.sanitize import sanitize_line, sanitize_text

if TYPE_CHECKING:
    from collections.abc import Callable


MAX_DEPTH = 20
"""Multipart and message/rfc822 nesting shown; deeper parts are skipped with a note."""
MAX_PARTS = 1000
"""MIME parts looked at; the rest are skipped with a note."""
DISPLAY_HEADERS = ("From", "To", "Cc", "Date", "Subject")
"""The headers the reader shows by default, in this order."""

_MAX_HEADER_CHARS = 65_536
_MAX_HEADERS = 1000
_MAX_FILENAME_BYTES = 200
_MAX_URL_CHARS = 8192
_AS_WRITTEN = compat32.clone(mangle_from_=False)

_TOO_DEEP = f"Parts nested more than {MAX_DEPTH} levels deep are not shown"
_TOO_MANY_PARTS = f"This message has more than {MAX_PARTS} parts; only the first are shown"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A part the reader lists instead of showing (or besides showing it)."""

    index: int
    """1-based position in `RenderedMessage.attachments`; what `attachment_data` takes."""
    filename: str
    """Sanitised base name (never a path), safe to create in a download directory."""
    content_type: str
    size: int
    """Decoded size in bytes."""
    inline: bool
    """The sender marked it for display in the body (e.g. an image in HTML)."""


@dataclass(frozen=True, slots=True)
class Link:
    """A link from an HTML body; the body shows `[number]` where its text was."""

    number: int
    url: str
    """The real target, sanitised."""
    text: str
    suspicious: bool
    """The link text names a different host than the target (a phishing tell)."""


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A message ready for display; every string in it is sanitised."""

    headers: tuple[tuple[str, str], ...]
    """`DISPLAY_HEADERS` that are present, decoded."""
    body: str
    """Text to show: keeps newlines and tabs, nothing else below U+0020."""
    links: tuple[Link, ...]
    attachments: tuple[Attachment, ...]
    notes: tuple[str, ...]
    """Sentences for the user about what they are (not) seeing."""
    all_headers: tuple[tuple[str, str], ...]
    """Every header in order, decoded, for a "full headers" view."""


def render_message(
    raw: bytes, *, prefer_html: bool = False, max_body_chars: int = 1_000_000
) -> RenderedMessage:
    """Parse and render a raw RFC 5322 message. Never raises.

    Args:
        raw: The message as fetched (``BODY[]``).
        prefer_html: Show the HTML alternative (as text) even when there is a plain one.
        max_body_chars: Longest body returned; longer text is cut with a note.

    Returns:
        What the reader shows. Anything that could not be shown is explained in `notes`.
    """
    try:
        return _Renderer(prefer_html, max_body_chars).render(raw)
    except Exception as exc:  # the boundary: no message may crash the reader
        return _render_unparsed(raw, max_body_chars, exc)


def attachment_data(raw: bytes, index: int, *, prefer_html: bool = False) -> bytes | None:
    """The decoded content of attachment `index` as `render_message` numbered it, or None.

    Pass the same `prefer_html` as that render: the choice of alternative can change which
    parts are attachments. An attached message comes back as its own bytes (an .eml).
    """
    try:
        renderer = _Renderer(prefer_html=prefer_html, max_body_chars=0)
        renderer.render(raw)
        if 1 <= index <= len(renderer.attachment_parts):
            return _payload_bytes(renderer.attachment_parts[index - 1])
    except Exception:  # same boundary as render_message: the same input renders as nothing
        return None
    return None


def format_rendered(msg: RenderedMessage, *, full_headers: bool = False) -> str:
    """The message as plain text, exactly as ``tui-mail read`` prints it.

    Header lines, a blank line, notes in brackets (if any) and a blank line, the body, then
    the ``Links:`` and ``Attachments:`` lists when there are any. No trailing newline.
    """
    lines = [
        f"{name}: {value}" for name, value in (msg.all_headers if full_headers else msg.headers)
    ]
    lines.append("")
    if msg.notes:
        lines.extend(f"[{note}]" for note in msg.notes)
        lines.append("")
    if msg.body:
        lines.append(msg.body)
    if msg.links:
        lines += ["", "Links:"]
        for link in msg.links:
            warning = ""
            if link.suspicious:
                shown = link.text if len(link.text) <= 60 else link.text[:59] + "…"
                warning = f'  (warning: the link text says "{shown}")'
            lines.append(f"[{link.number}] {link.url}{warning}")
    if msg.attachments:
        lines += ["", "Attachments:"]
        for item in msg.attachments:
            inline = ", inline" if item.inline else ""
            size = _human_size(item.size)
            lines.append(f"[{item.index}] {item.filename} ({item.content_type}, {size}{inline})")
    return "\n".join(lines).rstrip("\n")


# --- headers and charsets ---------------------------------------------------------------

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
            text = _decode_bytes(text.encode("utf-8", "surrogateescape"), None)
        text = _decode_encoded_words(text)
    except Exception:  # a header must never take the reader down; show it undecoded
        text = value[:_MAX_HEADER_CHARS]
    return sanitize_line(text).strip()


def _decode_encoded_words(value: str) -> str:
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
                out.append(_decode_bytes(bytes(run), run_charset))
                run.clear()
                run_charset = None
            out.append(gap)
        charset = word.group(1).split("*", 1)[0].lower()  # drop an RFC 2231 language
        if run_charset is not None and charset != run_charset:
            out.append(_decode_bytes(bytes(run), run_charset))
            run.clear()
        # Same-charset words are joined as bytes first: senders split inside a character.
        run += _decode_word_payload(word.group(2), word.group(3))
        run_charset = charset
        position = word.end()
    if run_charset is not None:
        out.append(_decode_bytes(bytes(run), run_charset))
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


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset if it is usable, else guess UTF-8, then Windows-1252."""
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


def _header_pairs(msg: Message) -> list[tuple[str, str]]:
    return [(name, str(value)) for name, value in msg.raw_items()]


def _display_headers(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    first: dict[str, str] = {}
    for name, value in pairs:
        first.setdefault(name.lower(), value)
    return tuple(
        (name, decode_header_value(first[name.lower()]))
        for name in DISPLAY_HEADERS
        if name.lower() in first
    )


# --- attachments ------------------------------------------------------------------------

_NOT_IN_FILENAMES = re.compile(r'[<>:"|?*]')
_WINDOWS_DEVICE = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$")


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name that is safe to create in a download directory.

    Keeps only the base name (``/`` and ``\\`` both separate), removes controls (bidi
    overrides become visible markers), replaces characters Windows refuses, strips leading
    dots and spaces (no hidden files, no ``..``) and trailing ones, defuses Windows device
    names (``CON``, ``lpt1.txt`` ...) and caps the length at 200 UTF-8 bytes, keeping a short
    extension. An empty result falls back to `fallback` (cleaned the same way).
    """
    return _clean_filename(name or "") or _clean_filename(fallback) or "attachment"


def _clean_filename(name: str) -> str:
    name = sanitize_line(unicodedata.normalize("NFC", name))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _NOT_IN_FILENAMES.sub("_", name).strip(" .")
    if _WINDOWS_DEVICE.match(name):
        name = "_" + name
    if len(name.encode()) > _MAX_FILENAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        if not dot or not stem or len(extension) > 16:
            stem, extension = name, ""
        else:
            extension = "." + extension
        budget = _MAX_FILENAME_BYTES - len(extension.encode())
        stem = stem.encode()[:budget].decode("utf-8", "ignore").rstrip(" .")
        name = stem + extension
    return name


def _payload_bytes(part: Message) -> bytes:
    if part.is_multipart():  # an attached message: its own bytes, not its envelope part's
        children = _children(part)
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


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
        return "" if value is None else str(collapse_rfc2231_value(value)).strip()
    except (LookupError, UnicodeError, ValueError):  # RFC 2231 charset like "idna"
        return ""


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (LookupError, UnicodeError, ValueError):
        return None
    return decode_header_value(name) if name else None


def _children(part: Message) -> list[Message]:
    if not part.is_multipart():  # get_payload() of a leaf would decode with its charset label
        return []
    return [child for child in part.get_payload() if isinstance(child, Message)]


def _human_size(size: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{int(size)} B"


# --- links and HTML ---------------------------------------------------------------------

_URL_IN_TEXT = re.compile(
    r"""(?i)\b[a-z][a-z0-9+.-]*://([^/\s?#)\]>,;'"]+)|\b(www\.[^/\s?#)\]>,;'"]+)"""
)
_BARE_HOST = re.compile(r"^<?((?:[\w-]+\.)+([^\W\d_]{2,63}))(?:[/:?#]\S*)?>?$")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@((?:[\w-]+\.)+[\w-]+)")
# "report.pdf" as link text names a file, not a host.
_FILE_SUFFIXES = frozenset(
    {"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "csv", "htm", "html", "png"}
    | {"jpg", "jpeg", "gif", "svg", "zip", "gz", "tgz", "rar", "ics", "eml", "exe", "msi", "apk"}
)
_META_CHARSET = re.compile(rb"""(?i)<meta[^>]{0,200}?charset\s*=\s*["']?([\w.:-]{1,40})""")


class _Links:
    """Numbers links in order of appearance; one number per distinct URL."""

    def __init__(self) -> None:
        self.items: list[Link] = []
        self._numbers: dict[str, int] = {}

    def add(self, href: str, text: str) -> int | None:
        url = sanitize_line(re.sub(r"[\t\r\n]", "", href).strip())[:_MAX_URL_CHARS]
        if not url or url.startswith("#"):
            return None
        text = sanitize_line(" ".join(text.split()))[:1000]
        suspicious = _is_suspicious(url, text)
        number = self._numbers.get(url)
        if number is None:
            number = len(self.items) + 1
            self._numbers[url] = number
            self.items.append(Link(number, url, text, suspicious))
        elif suspicious and not self.items[number - 1].suspicious:
            # Keep the misleading text so the user can see why the link is flagged.
            self.items[number - 1] = Link(number, url, text, suspicious)
        return number


def _host_named_by(text: str, url: str) -> str | None:
    found = _URL_IN_TEXT.search(text)
    if found:
        host = found.group(1) or found.group(2)
        return host.rsplit("@", 1)[-1].split(":", 1)[0]
    bare = _BARE_HOST.match(text.strip())
    if bare and bare.group(2).lower() not in _FILE_SUFFIXES:
        return bare.group(1)
    if url[:7].lower() == "mailto:":
        email_address = _EMAIL_IN_TEXT.search(text)
        if email_address:
            return email_address.group(1)
    return None


def _normal_host(host: str) -> str:
    host = host.strip().rstrip(".").lower().removeprefix("www.")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _is_suspicious(url: str, text: str) -> bool:
    named = _host_named_by(text, url)
    if named is None:
        return False
    try:
        target = urlsplit(url)
        actual = target.hostname
        if target.scheme.lower() == "mailto":
            actual = target.path.rpartition("@")[2] or None
    except ValueError:
        actual = None
    if not actual:
        return True
    named, actual = _normal_host(named), _normal_host(actual)
    return not (actual == named or actual.endswith("." + named))


class _Converter(Protocol):
    def handle(self, data: str) -> str: ...
    def partial(self) -> str: ...


@cache
def _html_converter() -> Callable[[_Links, int], _Converter]:
    import html2text  # noqa: PLC0415 -- only HTML mail pays for the import

    class HtmlToText(html2text.HTML2Text):
        """html2text with numbered links, image alt text, and no Markdown escaping."""

        def __init__(self, links: _Links, limit: int) -> None:
            # Width 0: the reader and the terminal wrap to whatever width they have.
            super().__init__(bodywidth=0)
            self._room = limit
            self.unicode_snob = True
            # Mail uses tables for layout; as Markdown tables they become walls of "|".
            self.ignore_tables = True
            self._links = links
            self._open_links: list[tuple[str | None, list[str]]] = []

        def handle_tag(self, tag: str, attrs: dict[str, str | None], start: bool) -> None:
            if tag == "a":
                self.current_tag = tag
                if start:
                    self._open_links.append((attrs.get("href"), []))
                elif self._open_links:
                    href, text = self._open_links.pop()
                    number = self._links.add(href, "".join(text)) if href else None
                    if number is not None:
                        self.o(f"[{number}]")
            elif tag == "img":
                self.current_tag = tag
                label = _image_label(attrs) if start else ""
                if label:
                    self.o(label)
                    self._in_links(label)
            else:
                super().handle_tag(tag, attrs, start)
                if tag in ("td", "th") and not start:
                    self.o(" ")  # keep cells of a row apart

        def handle_data(self, data: str, entity_char: bool = False) -> None:
            self._in_links(data)
            # entity_char=True is html2text's way to skip Markdown escaping ("1\\." "C:\\\\"),
            # which on a terminal would only show up as stray backslashes.
            super().handle_data(data, True)

        def _in_links(self, data: str) -> None:
            for _href, text in self._open_links:
                text.append(data)

        def outtextf(self, s: str) -> None:
            # Nested lists and quotes indent every line by their depth, so a few kB of
            # "<ul><li>" can expand to gigabytes; stop once the body could not hold more.
            self._room -= len(s)
            if self._room < 0:
                raise _OutputFull
            super().outtextf(s)

        def partial(self) -> str:
            """What was written before conversion stopped early."""
            return "".join(self.outtextlist).replace(html2text.config.UNIFIABLE["nbsp"], "\xa0")

    return HtmlToText


class _OutputFull(Exception):
    """The converted HTML outgrew the room left in the body."""


def _image_label(attrs: dict[str, str | None]) -> str:
    alt = " ".join((attrs.get("alt") or attrs.get("title") or "").split())[:200]
    if alt:
        return f"[image: {alt}]"
    if {attrs.get("width"), attrs.get("height")} & {"0", "1", "0px", "1px"}:
        return ""  # a tracking pixel or spacer: nothing a reader wants to see
    return "[image]"


def _html_to_text(html: str, links: _Links, limit: int) -> tuple[str, str | None]:
    """Convert HTML to text of at most about `limit` characters; say why if it stopped early."""
    converter = _html_converter()(links, limit)
    problem = None
    try:
        text = converter.handle(html)
    except _OutputFull:
        text, problem = converter.partial(), "too long"
    except Exception:  # html.parser raises on some malformed markup ("<![foo]>")
        text, problem = converter.partial(), "broken"
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n"), problem


# --- format=flowed (RFC 3676) -------------------------------------------------------------


def _unflow(text: str, *, delsp: bool) -> str:
    """Join soft line breaks; quoted lines keep their quote depth."""
    out: list[str] = []
    paragraph: list[str] = []
    paragraph_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):  # space-stuffing, or the space after the quote marks
            content = content[1:]
        if paragraph and depth != paragraph_depth:
            out.append(_quoted("".join(paragraph), paragraph_depth))
            paragraph = []
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        paragraph.append(content)
        paragraph_depth = depth
        if not flowed:
            out.append(_quoted("".join(paragraph), depth))
            paragraph = []
    if paragraph:
        out.append(_quoted("".join(paragraph), paragraph_depth))
    return "\n".join(out)


def _quoted(text: str, depth: int) -> str:
    return f"{'>' * depth} {text}" if depth else text


# --- parsing and rendering ----------------------------------------------------------------

_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s";]{1,200}))')
_DELIMITER_LINE = re.compile(rb"\n--([^\r\n]*)")
_SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
_PKCS7_MIME = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
_BASE64_DEFECTS = (
    email_errors.InvalidBase64PaddingDefect,
    email_errors.InvalidBase64CharactersDefect,
    email_errors.InvalidBase64LengthDefect,
)


def _limit_structure(raw: bytes) -> tuple[bytes, str | None]:
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
                return raw[: low.rfind(b"\n", 0, position) + 1], _TOO_DEEP
            continue
        for depth in range(len(open_boundaries) - 1, -1, -1):
            if value == open_boundaries[depth]:
                del open_boundaries[depth + 1 :]  # inner parts left open end here
                parts += 1
                if parts > MAX_PARTS:
                    return raw[: position + 1], _TOO_MANY_PARTS
                break
            if value == open_boundaries[depth] + b"--":
                del open_boundaries[depth:]
                break
    return raw, None


class _Renderer:
    """One walk over a parsed message, collecting body text, links, attachments and notes."""

    def __init__(self, prefer_html: bool, max_body_chars: int) -> None:
        self.prefer_html = prefer_html
        self.max_chars = max(0, max_body_chars)
        self.html_budget = self.max_chars // 3
        self.chunks: list[str] = []
        self.used = 0
        self.total = 0
        self.truncated = False
        self.links = _Links()
        self.attachments: list[Attachment] = []
        self.attachment_parts: list[Message] = []
        self.notes: dict[str, None] = {}  # ordered and without repeats
        self.parts_seen = 0

    def render(self, raw: bytes) -> RenderedMessage:
        limited, structure_note = _limit_structure(raw)
        msg = BytesParser(policy=compat32).parsebytes(limited)
        if structure_note:
            self.note(structure_note)
        pairs = _header_pairs(msg)
        from_count = sum(1 for name, _value in pairs if name.lower() == "from")
        if from_count > 1:
            self.note(f"This message has {from_count} From headers; the first is shown")
        self.entity(msg, 0)
        body = "\n\n".join(chunk for chunk in self.chunks if chunk)
        if "-----BEGIN PGP MESSAGE-----" in body:
            self.note("This message contains OpenPGP-encrypted text; tui-mail does not decrypt it")
        elif "-----BEGIN PGP SIGNED MESSAGE-----" in body:
            self.note("This message has an inline OpenPGP signature; it was not verified")
        if self.truncated:
            total, shown = _human_size(self.total), _human_size(self.max_chars)
            self.note(f"Truncated: {total}, showing first {shown}")
        if len(pairs) > _MAX_HEADERS:
            self.note(f"Only the first {_MAX_HEADERS} of {len(pairs)} headers are kept")
        all_headers = tuple(
            (sanitize_line(name), decode_header_value(value))
            for name, value in pairs[:_MAX_HEADERS]
        )
        return RenderedMessage(
            headers=_display_headers(pairs),
            body=body,
            links=tuple(self.links.items),
            attachments=tuple(self.attachments),
            notes=tuple(self.notes),
            all_headers=all_headers,
        )

    def note(self, text: str) -> None:
        self.notes[text] = None

    def entity(self, part: Message, depth: int) -> None:
        self.parts_seen += 1
        if self.parts_seen > MAX_PARTS:
            self.note(_TOO_MANY_PARTS)
            return
        if depth > MAX_DEPTH:
            self.note(_TOO_DEEP)
            return
        maintype, subtype = part.get_content_maintype(), part.get_content_subtype()
        children = _children(part)
        if maintype == "multipart" and part.is_multipart():
            if subtype == "alternative":
                self.alternative(children, depth)
            elif subtype == "related":
                self.related(part, children, depth)
            elif subtype == "signed":
                self.signed(part, children, depth)
            elif subtype == "encrypted":
                self.note("This message is encrypted (OpenPGP); tui-mail does not decrypt it")
                for child in children:
                    if child.get_content_type() != "application/pgp-encrypted":
                        self.attach(child)
            else:  # mixed, and anything unknown (report, digest, parallel ...)
                for child in children:
                    self.entity(child, depth + 1)
        elif maintype == "message" and part.is_multipart():
            if subtype == "delivery-status":
                self.delivery_status(children)
            elif children:
                self.embedded(children[0], depth)
        else:
            self.leaf(part)

    def alternative(self, children: list[Message], depth: int) -> None:
        kinds = [self.kind(child, depth + 1) for child in children]
        wanted = ("html", "plain") if self.prefer_html else ("plain", "html")
        chosen = len(children) - 1
        for kind in wanted:
            if kind in kinds:  # the last of a kind is the most faithful (RFC 2046 5.1.4)
                chosen = len(kinds) - 1 - kinds[::-1].index(kind)
                break
        for index, child in enumerate(children):
            if index == chosen:
                self.entity(child, depth + 1)
            else:  # Apple Mail puts attachments inside the HTML alternative only
                self.attachments_only(child, depth + 1)

    def kind(self, part: Message, depth: int) -> str:
        ctype = part.get_content_type()
        if ctype in ("text/plain", "text/html"):
            return ctype[5:]
        if part.get_content_maintype() != "multipart" or depth > MAX_DEPTH:
            return "other"
        children = _children(part)
        if part.get_content_subtype() == "related" and children:
            children = children[:1]
        kinds = {self.kind(child, depth + 1) for child in children}
        for kind in ("html", "plain") if self.prefer_html else ("plain", "html"):
            if kind in kinds:
                return kind
        return "other"

    def related(self, part: Message, children: list[Message], depth: int) -> None:
        start = _param(part, "start").strip("<>")
        root = 0
        for index, child in enumerate(children):
            if start and str(child.get("content-id", "")).strip().strip("<>") == start:
                root = index
        for index, child in enumerate(children):
            if index == root:
                self.entity(child, depth + 1)
            else:
                self.attachments_only(child, depth + 1, inline=True)

    def signed(self, part: Message, children: list[Message], depth: int) -> None:
        protocol = _param(part, "protocol").lower()
        kind = "S/MIME" if "pkcs7" in protocol else "OpenPGP" if "pgp" in protocol else protocol
        self.note(
            f"This message is signed ({kind or 'unknown kind'}); the signature was not verified"
        )
        for child in children:
            if child.get_content_type() not in _SIGNATURE_TYPES:
                self.entity(child, depth + 1)

    def delivery_status(self, blocks: list[Message]) -> None:
        fields = (
            "\n".join(
                f"{name}: {decode_header_value(value)}" for name, value in _header_pairs(block)
            )
            for block in blocks
        )
        self.add_text("\n\n".join(fields))

    def embedded(self, inner: Message, depth: int) -> None:
        lines = [f"{name}: {value}" for name, value in _display_headers(_header_pairs(inner))]
        self.add_text("\n".join(["---------- Attached message ----------", *lines]))
        self.entity(inner, depth + 1)
        self.add_text("---------- End of attached message ----------")

    def leaf(self, part: Message) -> None:
        ctype = part.get_content_type()
        if ctype in _PKCS7_MIME:
            if _param(part, "smime-type").lower() == "signed-data":
                self.note("This message is signed (S/MIME); tui-mail cannot show its content")
            else:
                self.note("This message is encrypted (S/MIME); tui-mail does not decrypt it")
            self.attach(part)
            return
        disposition = part.get_content_disposition()
        textual = part.get_content_maintype() in ("text", "multipart")  # multipart: no boundary
        if not textual or disposition == "attachment":
            self.attach(part)
            return
        self.show_text(part)
        if _filename(part):
            self.attach(part, inline=True)

    def attachments_only(self, part: Message, depth: int, *, inline: bool = False) -> None:
        """List the attachments in a branch that is not shown."""
        self.parts_seen += 1
        if self.parts_seen > MAX_PARTS or depth > MAX_DEPTH:
            self.note(_TOO_MANY_PARTS if self.parts_seen > MAX_PARTS else _TOO_DEEP)
            return
        if part.get_content_maintype() == "multipart":
            for child in _children(part):
                self.attachments_only(child, depth + 1, inline=inline)
        elif (
            part.get_content_maintype() != "text"
            or part.get_content_disposition() == "attachment"
            or _filename(part)  # listed when its branch is shown, so listed here too
        ):
            disposition = part.get_content_disposition()
            self.attach(part, inline=disposition == "inline" or (inline and disposition is None))

    def attach(self, part: Message, *, inline: bool | None = None) -> None:
        index = len(self.attachments) + 1
        ctype = part.get_content_type()
        extension = ".eml" if ctype == "message/rfc822" else mimetypes.guess_extension(ctype) or ""
        name = safe_filename(_filename(part), f"attachment-{index}{extension}")
        if inline is None:
            inline = part.get_content_disposition() == "inline"
        size = len(self.payload(part))
        self.attachments.append(Attachment(index, name, sanitize_line(ctype), size, inline))
        self.attachment_parts.append(part)

    def payload(self, part: Message) -> bytes:
        data = _payload_bytes(part)
        if any(isinstance(defect, _BASE64_DEFECTS) for defect in part.defects):
            self.note(
                "Part of this message is damaged (invalid base64); showing what could be decoded"
            )
        return data

    def show_text(self, part: Message) -> None:
        data = self.payload(part)
        charset = part.get_content_charset()
        if part.get_content_type() == "text/html":
            if charset is None:
                declared = _META_CHARSET.search(data[:4096])
                charset = declared.group(1).decode("ascii") if declared else None
            self.show_html(_decode_bytes(data, charset))
            return
        text = _decode_bytes(data, charset).replace("\r\n", "\n")
        if _param(part, "format").lower() == "flowed":
            text = _unflow(text, delsp=_param(part, "delsp").lower() == "yes")
        self.add_text(text)

    def show_html(self, html: str) -> None:
        self.note("HTML part shown as text")
        room = min(self.html_budget, self.max_chars - self.used)
        if room <= 0:
            self.total += len(html)
            self.truncated = True
            return
        if len(html) > room:
            size, shown = _human_size(len(html)), _human_size(room)
            self.note(f"Truncated: HTML part is {size}, converted first {shown}")
            self.total += len(html) - room
            html = html[:room]
        self.html_budget -= len(html)
        limit = self.max_chars - self.used
        text, problem = _html_to_text(html, self.links, limit)
        if problem == "too long":
            self.note(f"Truncated: HTML part converts to more than {_human_size(limit)} of text")
        elif problem:
            self.note("Part of the HTML could not be converted; showing what was")
        self.add_text(text)

    def add_text(self, text: str) -> None:
        self.total += len(text)
        room = self.max_chars - self.used
        if len(text) > room:
            self.truncated = True
        if room <= 0:
            return
        chunk = sanitize_text(text[:room]).strip("\n").rstrip()
        self.chunks.append(chunk)
        self.used += len(chunk) + 2


def _render_unparsed(raw: bytes, max_body_chars: int, error: Exception) -> RenderedMessage:
    """Show headers and the raw body as text when the structure could not be taken apart."""
    note = f"This message could not be parsed ({type(error).__name__}); showing its raw text"
    try:
        separator = re.search(rb"\r?\n\r?\n", raw)
        head_end, body_start = (
            (separator.start(), separator.end()) if separator else (len(raw), len(raw))
        )
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:head_end] + b"\n\n")
        pairs = _header_pairs(headers)[:_MAX_HEADERS]
        limit = max(0, max_body_chars)
        body_bytes = raw[body_start : body_start + 4 * limit]
        text = _decode_bytes(body_bytes, None)
        notes = [note]
        if len(raw) - body_start > limit:
            size, shown = _human_size(len(raw) - body_start), _human_size(limit)
            notes.append(f"Truncated: {size}, showing first {shown}")
        return RenderedMessage(
            headers=_display_headers(pairs),
            body=sanitize_text(text[:limit]).strip("\n"),
            links=(),
            attachments=(),
            notes=tuple(notes),
            all_headers=tuple((sanitize_line(k), decode_header_value(v)) for k, v in pairs),
        )
    except Exception:  # last resort: say so rather than crash
        return RenderedMessage((), "", (), (), (note,), ())
