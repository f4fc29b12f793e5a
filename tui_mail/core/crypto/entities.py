"""A message's MIME entities as the exact bytes they arrived in.

A PGP/MIME signature (RFC 3156) covers the signed part byte for byte, headers included;
re-serialising it through the `email` package may refold a header or change a line
ending and break a good signature. So signed parts are cut out of the raw message along
their boundaries here, never rebuilt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

MAX_DEPTH = 20
"""Nesting deeper than this is not looked into (a hostile message can nest forever)."""
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass
class Entity:
    """One MIME entity: its raw bytes, parsed headers, and (for a multipart) its parts."""

    raw: bytes
    headers: Message
    body: bytes
    parts: list[Entity] = field(default_factory=list)
    path: str = ""
    """Where it is, as the reader numbers parts: "" for the message, "1", "2.1" ..."""

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()

    def param(self, name: str) -> str:
        value = self.headers.get_param(name)
        return value if isinstance(value, str) else ""


def split_entity(raw: bytes, path: str = "", depth: int = 0) -> Entity:
    """The entity in `raw` and, for a multipart, its parts cut along the boundary."""
    match = _HEADER_END.search(raw)
    head, body = (raw[: match.end()], raw[match.end() :]) if match else (raw, b"")
    headers = BytesHeaderParser(policy=compat32).parsebytes(head)
    entity = Entity(raw, headers, body, path=path)
    boundary = entity.param("boundary")
    if entity.content_type.startswith("multipart/") and boundary and depth < MAX_DEPTH:
        for number, part in enumerate(_cut(body, boundary.encode("utf-8", "replace")), 1):
            child = f"{path}.{number}" if path else str(number)
            entity.parts.append(split_entity(part, child, depth + 1))
    return entity


def _cut(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts between `--boundary` lines, without the line break before each boundary
    (RFC 2046: that CRLF belongs to the boundary)."""
    delimiter = re.compile(rb"(?:^|\r?\n)--" + re.escape(boundary) + rb"(--)?[ \t]*(?:\r?\n|$)")
    parts: list[bytes] = []
    start: int | None = None
    for found in delimiter.finditer(body):
        if start is not None:
            parts.append(body[start : found.start()])
        if found.group(1):  # the closing delimiter
            return parts
        start = found.end()
    if start is not None:  # no closing delimiter: keep what came
        parts.append(body[start:])
    return parts


_CONTENT_HEADER = re.compile(rb"^(content-[^:]*|mime-version):", re.IGNORECASE)


def header_lines(raw: bytes) -> tuple[list[bytes], bytes] | None:
    """The header block's fields (each with its folded lines) and the body after the blank
    line; None when there is no blank line."""
    match = _HEADER_END.search(raw)
    if match is None:
        return None
    return [line for line in re.split(rb"\r?\n(?![ \t])", raw[: match.start()]) if line], raw[
        match.end() :
    ]


def is_content_header(line: bytes) -> bool:
    """Content-* and MIME-Version: the fields that belong to an entity, not the message."""
    return _CONTENT_HEADER.match(line) is not None


def outer_headers(lines: list[bytes]) -> bytes:
    """The message's own fields (From, Subject ...) without its Content-* ones, ending in
    MIME-Version and CRLF: the top of a message whose entity is replaced."""
    kept = [line for line in lines if not is_content_header(line)]
    return b"\r\n".join([*kept, b"MIME-Version: 1.0"]) + b"\r\n"


def canonical(raw: bytes) -> bytes:
    """Line endings as CRLF, as RFC 3156 signs them (mail stored with LF loses them)."""
    return re.sub(rb"\r?\n", b"\r\n", raw)
