"""Turn a raw message into what the reader shows: headers, a text body, links, attachments.

Every byte is untrusted. `render_message` never raises: charsets that lie or do not exist
fall back to UTF-8 and then Windows-1252, damaged base64 and quoted-printable decode as far
as they can, and a message the parser cannot take apart is shown as raw text with a note.
All text leaving this module has been through `tui_mail.core.message.sanitize`.

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
from email.parser import BytesHeaderParser
from email.policy import compat32

from tui_mail.core.message.charsets import decode_bytes, decode_header_value
from tui_mail.core.message.filenames import safe_filename
from tui_mail.core.message.flowed import unflow
from tui_mail.core.message.html_text import META_CHARSET, Link, LinkCollector, html_to_text
from tui_mail.core.message.parts import (
    MAX_DEPTH,
    MAX_PARTS,
    TOO_DEEP,
    TOO_MANY_PARTS,
    child_parts,
    header_pairs,
    limit_structure,
    parse_message,
    part_param,
    payload_bytes,
)
from tui_mail.core.message.quirks import part_filename
from tui_mail.core.message.sanitize import sanitize_line, sanitize_text

__all__ = [
    "MAX_DEPTH",
    "MAX_PARTS",
    "Attachment",
    "Link",
    "RenderedMessage",
    "attachment_data",
    "decode_header_value",
    "format_rendered",
    "render_message",
    "safe_filename",
]

DISPLAY_HEADERS = ("From", "To", "Cc", "Date", "Subject")
"""The headers the reader shows by default, in this order."""

_MAX_HEADER_CHARS = 65_536
_MAX_HEADERS = 1000
_MAX_FILENAME_BYTES = 200
_MAX_URL_CHARS = 8192


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
            return payload_bytes(renderer.attachment_parts[index - 1])
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


def _display_headers(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    first: dict[str, str] = {}
    for name, value in pairs:
        first.setdefault(name.lower(), value)
    return tuple(
        (name, decode_header_value(first[name.lower()]))
        for name in DISPLAY_HEADERS
        if name.lower() in first
    )


# --- sizes ------------------------------------------------------------------------------


def _human_size(size: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{int(size)} B"


# --- parsing and rendering ----------------------------------------------------------------

_SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
_PKCS7_MIME = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
_BASE64_DEFECTS = (
    email_errors.InvalidBase64PaddingDefect,
    email_errors.InvalidBase64CharactersDefect,
    email_errors.InvalidBase64LengthDefect,
)


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
        limited, structure_note = limit_structure(raw)
        msg = parse_message(limited)
        if structure_note:
            self.note(structure_note)
        pairs = header_pairs(msg)
        from_count = sum(1 for name, _value in pairs if name.lower() == "from")
        if from_count > 1:
            self.note(f"This message has {from_count} From headers; the first is shown")
        self.entity(msg, 0)
        body = "\n\n".join(chunk for chunk in self.chunks if chunk)
        if "-----BEGIN PGP MESSAGE-----" in body:
            self.note("This message contains OpenPGP-encrypted text that was not decrypted")
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
            self.note(TOO_MANY_PARTS)
            return
        if depth > MAX_DEPTH:
            self.note(TOO_DEEP)
            return
        maintype, subtype = part.get_content_maintype(), part.get_content_subtype()
        children = child_parts(part)
        if maintype == "multipart" and part.is_multipart():
            if subtype == "alternative":
                self.alternative(children, depth)
            elif subtype == "related":
                self.related(part, children, depth)
            elif subtype == "signed":
                self.signed(part, children, depth)
            elif subtype == "encrypted":
                self.note("This message is encrypted (OpenPGP) and was not decrypted")
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
        children = child_parts(part)
        if part.get_content_subtype() == "related" and children:
            children = children[:1]
        kinds = {self.kind(child, depth + 1) for child in children}
        for kind in ("html", "plain") if self.prefer_html else ("plain", "html"):
            if kind in kinds:
                return kind
        return "other"

    def related(self, part: Message, children: list[Message], depth: int) -> None:
        start = part_param(part, "start").strip("<>")
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
        protocol = part_param(part, "protocol").lower()
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
                f"{name}: {decode_header_value(value)}" for name, value in header_pairs(block)
            )
            for block in blocks
        )
        self.add_text("\n\n".join(fields))

    def embedded(self, inner: Message, depth: int) -> None:
        lines = [f"{name}: {value}" for name, value in _display_headers(header_pairs(inner))]
        self.add_text("\n".join(["---------- Attached message ----------", *lines]))
        self.entity(inner, depth + 1)
        self.add_text("---------- End of attached message ----------")

    def leaf(self, part: Message) -> None:
        ctype = part.get_content_type()
        if ctype in _PKCS7_MIME:
            if part_param(part, "smime-type").lower() == "signed-data":
                self.note("This message is signed (S/MIME); tui-mail cannot show its content")
            else:
                self.note("This message is encrypted (S/MIME) and was not decrypted")
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
            self.note(TOO_MANY_PARTS if self.parts_seen > MAX_PARTS else TOO_DEEP)
            return
        if part.get_content_maintype() == "multipart":
            for child in child_parts(part):
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
        data = payload_bytes(part)
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
        if part_param(part, "format").lower() == "flowed":
            text = unflow(text, delsp=part_param(part, "delsp").lower() == "yes")
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
        pairs = header_pairs(headers)[:_MAX_HEADERS]
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
