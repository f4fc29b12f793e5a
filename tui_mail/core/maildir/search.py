"""Search messages in files, with the criteria `search_query.parse_query` produces.

Matching follows IMAP SEARCH: case-insensitive substrings of decoded header values and text
parts; SENTSINCE/SENTBEFORE compare the day written in the Date header (in its own time
zone, as IMAP servers do; the file time when there is no Date), SINCE/BEFORE the day the
file arrived (its mtime, which Dovecot also uses as INTERNALDATE) in local time. Criteria
are checked cheapest first: flags from the file name, then the header, then the body, so
most messages are rejected without reading much of them.
"""

from __future__ import annotations

import email
import email.utils
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import Message
from email.policy import compat32
from pathlib import Path
from typing import Any

from tui_mail.core.errors import UsageError
from tui_mail.core.maildir.layout import letters_of
from tui_mail.core.message.charsets import decode_bytes, decode_header_value
from tui_mail.core.message.headers import split_header_block

_FLAG_STATES = {
    "SEEN": ("S", True),
    "UNSEEN": ("S", False),
    "FLAGGED": ("F", True),
    "UNFLAGGED": ("F", False),
    "ANSWERED": ("R", True),
    "UNANSWERED": ("R", False),
    "DELETED": ("T", True),
    "UNDELETED": ("T", False),
    "DRAFT": ("D", True),
    "UNDRAFT": ("D", False),
}
_HEADER_FIELDS = {"FROM": "from", "TO": "to", "CC": "cc", "BCC": "bcc", "SUBJECT": "subject"}
_TAG = re.compile(r"<[^>]*>")
_MAX_HEADER = 256 * 1024
_MAX_PARTS = 200


@dataclass(slots=True)
class _Criteria:
    letters: list[tuple[str, bool]] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    since: date | None = None
    before: date | None = None
    sent_since: date | None = None
    sent_before: date | None = None
    body: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


def _compile(criteria: list[Any]) -> _Criteria:
    compiled = _Criteria()
    items = list(criteria)
    position = 0
    while position < len(items):
        key = str(items[position]).upper()
        position += 1
        if key == "ALL":
            continue
        if key in _FLAG_STATES:
            compiled.letters.append(_FLAG_STATES[key])
            continue
        if position >= len(items):
            raise UsageError(f"The search criterion {key} needs a value.")
        value = items[position]
        position += 1
        if key in _HEADER_FIELDS:
            compiled.headers.append((_HEADER_FIELDS[key], str(value).casefold()))
        elif key == "HEADER":
            if position >= len(items):
                raise UsageError("The search criterion HEADER needs a field name and a value.")
            compiled.headers.append((str(value).lower(), str(items[position]).casefold()))
            position += 1
        elif key in ("SINCE", "SENTSINCE") and isinstance(value, date):
            if key == "SINCE":
                compiled.since = max(compiled.since or value, value)
            else:
                compiled.sent_since = max(compiled.sent_since or value, value)
        elif key in ("BEFORE", "SENTBEFORE") and isinstance(value, date):
            if key == "BEFORE":
                compiled.before = min(compiled.before or value, value)
            else:
                compiled.sent_before = min(compiled.sent_before or value, value)
        elif key == "BODY":
            compiled.body.append(str(value).casefold())
        elif key == "TEXT":
            compiled.text.append(str(value).casefold())
        else:
            raise UsageError(f"The search criterion {key} is not supported for local mail.")
    return compiled


def matcher(criteria: list[Any]) -> Callable[[Path], bool]:
    """A function telling whether the message file at a path matches `criteria`."""
    compiled = _compile(criteria)

    def matches(path: Path) -> bool:
        letters = letters_of(path.name)
        for letter, wanted in compiled.letters:
            if (letter in letters) != wanted:
                return False
        sent = compiled.sent_since or compiled.sent_before
        if (compiled.since or compiled.before) and not _arrived_in_range(compiled, path):
            return False
        needs_header = bool(compiled.headers) or sent
        if not (needs_header or compiled.body or compiled.text):
            return True
        try:
            raw = _read(path, whole=bool(compiled.body or compiled.text))
        except OSError:
            return False  # gone meanwhile: it is not there to be found
        header_end = _header_end(raw)
        fields = split_header_block(raw[:header_end])
        for name, needle in compiled.headers:
            if needle not in decode_header_value(fields.get(name, "")).casefold():
                return False
        if sent and not _sent_in_range(compiled, fields, path):
            return False
        if compiled.body or compiled.text:
            body = _text_of(raw).casefold()
            if any(needle not in body for needle in compiled.body):
                return False
            if compiled.text:
                header = " ".join(decode_header_value(v) for v in fields.values()).casefold()
                everything = header + "\n" + body
                if any(needle not in everything for needle in compiled.text):
                    return False
        return True

    return matches


def _read(path: Path, *, whole: bool) -> bytes:
    with open(path, "rb") as stream:
        if whole:
            return stream.read()
        head = stream.read(16384)
        while _header_end(head) == len(head) and len(head) < _MAX_HEADER:
            more = stream.read(65536)
            if not more:
                break
            head += more
        return head


def _header_end(raw: bytes) -> int:
    """Where the header block ends (the whole of `raw` when no blank line is found)."""
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if i >= 0]
    return min(ends) if ends else len(raw)


def _arrival_day(path: Path) -> date:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return datetime.fromtimestamp(mtime).date()


def _sent_day(value: str | None) -> date | None:
    """The day as written in a Date header, time zone disregarded (RFC 3501 SENTSINCE)."""
    parsed = email.utils.parsedate_tz(value) if value else None
    if parsed is None:
        return None
    try:
        return date(parsed[0], parsed[1], parsed[2])
    except ValueError:
        return None


def _in_range(day: date, since: date | None, before: date | None) -> bool:
    return (since is None or day >= since) and (before is None or day < before)


def _arrived_in_range(compiled: _Criteria, path: Path) -> bool:
    return _in_range(_arrival_day(path), compiled.since, compiled.before)


def _sent_in_range(compiled: _Criteria, fields: dict[str, str], path: Path) -> bool:
    day = _sent_day(fields.get("date")) or _arrival_day(path)
    return _in_range(day, compiled.sent_since, compiled.sent_before)


def _text_of(raw: bytes) -> str:
    """The decoded text of every text part (HTML without its tags)."""
    message = email.message_from_bytes(raw, policy=compat32)
    texts: list[str] = []
    for count, part in enumerate(message.walk()):
        if count >= _MAX_PARTS:
            break
        if part.get_content_maintype() != "text":
            continue
        texts.append(_part_text(part))
    return "\n".join(texts)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset())
    if part.get_content_subtype() == "html":
        text = _TAG.sub(" ", text)
    return text
