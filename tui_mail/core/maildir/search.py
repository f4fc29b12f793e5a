"""Search message files with a query tree (core/query.py), the way an IMAP server would.

Matching follows IMAP SEARCH: case-insensitive substrings of decoded header values and text
parts; `SentSince`/`SentBefore` compare the day written in the Date header (in its own time
zone, as IMAP servers do; the file time when there is no Date). `query.matcher` checks the
cheapest terms first: flags from the file name, then the header, then the body, so most
messages are rejected without reading much of them.
"""

from __future__ import annotations

import email
import email.utils
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from tui_mail.core.maildir.layout import flag_mask, letters_of
from tui_mail.core.message.charsets import decode_header_value
from tui_mail.core.message.headers import split_header_block
from tui_mail.core.message.searchable import text_of
from tui_mail.core.models import Flag
from tui_mail.core.query import Query, reads_body
from tui_mail.core.query import matcher as query_matcher

_MAX_HEADER = 256 * 1024


class MessageFile:
    """One message file as a query sees it (a `query.Candidate`), read once and only as
    far as needed: the whole file when `whole`, else just its header block."""

    __slots__ = ("_body", "_fields", "_raw", "_text", "_whole", "folder", "name", "subdir", "uid")

    def __init__(self, folder: Path, subdir: str, name: str, uid: int, *, whole: bool) -> None:
        # The path is joined only when the file is read: most searches decide on the name.
        self.folder = folder
        self.subdir = subdir
        self.name = name
        self.uid = uid
        self._whole = whole
        self._raw: bytes | None = None
        self._fields: dict[str, str] | None = None
        self._body: str | None = None
        self._text: str | None = None

    @property
    def path(self) -> Path:
        return self.folder / self.subdir / self.name

    def flags(self) -> Flag:
        return flag_mask(letters_of(self.name))

    def _read(self) -> bytes:
        if self._raw is None:
            self._raw = _read(self.path, whole=self._whole)
        return self._raw

    def _header_fields(self) -> dict[str, str]:
        if self._fields is None:
            raw = self._read()
            self._fields = split_header_block(raw[: _header_end(raw)])
        return self._fields

    def header(self, name: str) -> str:
        return decode_header_value(self._header_fields().get(name, ""))

    def sent_day(self) -> date | None:
        return _sent_day(self._header_fields().get("date")) or _arrival_day(self.path)

    def body(self) -> str:
        if self._body is None:
            self._body = text_of(self._read())
        return self._body

    def text(self) -> str:
        if self._text is None:
            header = " ".join(decode_header_value(v) for v in self._header_fields().values())
            self._text = header + "\n" + self.body()
        return self._text


def matcher(query: Query) -> Callable[[Path, str, str, int], bool]:
    """A function telling whether the message file `folder/subdir/name`, with this UID,
    matches."""
    whole = reads_body(query)
    test = query_matcher(query)
    return lambda folder, subdir, name, uid: test(
        MessageFile(folder, subdir, name, uid, whole=whole)
    )


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
