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

import mimetypes
import re
from dataclasses import dataclass
from email import errors as email_errors
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value
from typing import TYPE_CHECKING

from tui_mail.core.charsets import decode_bytes, decode_header_value
from tui_mail.core.filenames import safe_filename
from tui_mail.core.html_text import META_CHARSET, Link, LinkCollector, html_to_text
from tui_mail.core.mime_quirks import part_filename, unfold_boundaries
from tui_mail.core.sanitize import sanitize_line, sanitize_text

__all__ = [
    "Attachment",
    "Link",
    "RenderedMessage",
    "attachment_data",
    "decode_header_value",
    "format_rendered",
    "render_message",
    "safe_filename",
]

if TYPE_CHECKING:
    pass


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


def _children(part: Message) -> list[Message]:
    if not part.is_multipart():  # get_payload() of a leaf would decode with its charset label
        return []
    return [child for child in part.get_payload() if isinstance(child, Message)]


def _human_size(size: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{int(size)} B"


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
_HEADER_END = re.compile(rb"\r?\n\r?\n")
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


def _parse(raw: bytes) -> Message:
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
        self.links = LinkCollector()
        self.attachments: list[Attachment] = []
        self.attachment_parts: list[Message] = []
        self.notes: dict[str, None] = {}  # ordered and without repeats
        self.parts_seen = 0

    def render(self, raw: bytes) -> RenderedMessage:
        limited, structure_note = _limit_structure(raw)
        msg = _parse(limited)
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
        if part_filename(part):
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
            or part_filename(part)  # listed when its branch is shown, so listed here too
        ):
            disposition = part.get_content_disposition()
            self.attach(part, inline=disposition == "inline" or (inline and disposition is None))

    def attach(self, part: Message, *, inline: bool | None = None) -> None:
        index = len(self.attachments) + 1
        ctype = part.get_content_type()
        extension = ".eml" if ctype == "message/rfc822" else mimetypes.guess_extension(ctype) or ""
        name = safe_filename(part_filename(part), f"attachment-{index}{extension}")
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
                declared = META_CHARSET.search(data[:4096])
                charset = declared.group(1).decode("ascii") if declared else None
            self.show_html(decode_bytes(data, charset))
            return
        text = decode_bytes(data, charset)
        # Only what can be shown is worth reflowing; the margin covers CRLFs and joins.
        room = 2 * max(0, self.max_chars - self.used) + 2
        if len(text) > room:
            self.total += len(text) - room
            self.truncated = True
            text = text[:room]
        text = text.replace("\r\n", "\n")
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
        text, problem = html_to_text(html, self.links, limit)
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
        text = decode_bytes(body_bytes, None)
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
