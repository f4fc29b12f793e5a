"""Streaming UID FETCH over imapclient's connection, parsed as it arrives.

Why not `IMAPClient.fetch`: it builds the whole response in memory and parses it with a
general tokenizer, which costs about 4 s per 100,000 headers (FIELD-NOTES), and in 4.0/4.1 it
raises on any range such as `1:*` (mjs/imapclient#666). Sync needs both ranges and speed, so
this module sends the command itself and yields one `FetchedMessage` per response, which
keeps memory flat however large the folder is.

Only the items sync asks for are understood (UID, FLAGS, RFC822.SIZE, MODSEQ, INTERNALDATE
and one BODY[...] section); anything else in a response is skipped.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from tui_mail.core.errors import ConnectionFailed, ServerError, ServerMisbehaved
from tui_mail.core.imap.guard import human_size
from tui_mail.core.message.sanitize import sanitize_line

_UNTAGGED_FETCH = re.compile(rb"\* (\d+) FETCH \(")
_LITERAL_AT_END = re.compile(rb"\{(\d+)\}\r\n\Z")
_ITEM = re.compile(
    rb"(UID|RFC822\.SIZE|MODSEQ|FLAGS|INTERNALDATE|BODY\[[^\]]*\](?:<\d+>)?)"
    rb" (\d+|\([^)]*\)|\"(?:[^\"\\]|\\.)*\"|\{\d+\}|NIL)"
)
# The shape Dovecot (and most servers) answer sync's header FETCH in: matched in one go,
# with the item-by-item parser below as the fallback for any other shape.
_SUMMARY_FETCH = re.compile(
    rb"\* (\d+) FETCH \(UID (\d+) FLAGS \(([^)]*)\) RFC822\.SIZE (\d+)"
    rb"(?: MODSEQ \((\d+)\))? INTERNALDATE \"([^\"]*)\" BODY\[[^\]]*\] \{(\d+)\}\r\n\Z"
)
_VANISHED = re.compile(rb"\* VANISHED (\(EARLIER\) )?([\d:,]+)")
_EXISTS = re.compile(rb"\* (\d+) EXISTS")
_CLOSED = "The IMAP server closed the connection during FETCH. Try again later."


@dataclass(slots=True)
class FetchedMessage:
    """One FETCH response; fields are None when the server did not send that item."""

    seq: int
    uid: int | None = None
    flags: tuple[bytes, ...] | None = None
    size: int | None = None
    modseq: int | None = None
    internaldate: bytes | None = None
    section: bytes | None = None
    """The BODY[...] section asked for (e.g. the header fields), raw bytes."""


@dataclass(slots=True)
class FetchStream:
    """Iterate over a command's FETCH responses; side information collects on the object.

    The iterator must run to the end: the connection is only usable again after the tagged
    completion has been read. Abandoning it part way drains the rest (see `__iter__`).
    """

    imap: Any
    """imapclient's underlying imaplib.IMAP4 object."""
    command: bytes
    vanished: list[bytes] = field(default_factory=list)
    """Sequence sets from `* VANISHED` responses (QRESYNC), unexpanded."""
    exists: int | None = None
    guard: Callable[[str], AbstractContextManager[None]] | None = None
    """The session's deadline and error translation around the whole command."""
    on_message: Callable[[], None] | None = None
    """Called per message delivered: progress pushes the deadline on."""
    literal_cap: int | None = None
    """Largest literal accepted (a header section, a whole message)."""
    _done: bool = False

    def __iter__(self) -> Iterator[FetchedMessage]:
        guard = self.guard("FETCH") if self.guard is not None else contextlib.nullcontext()
        previous_cap = getattr(self.imap, "literal_cap", None)
        if previous_cap is not None and self.literal_cap is not None:
            self.imap.literal_cap = self.literal_cap  # the connection's own check, raised
        try:
            with guard:
                yield from self._run()
        finally:
            if previous_cap is not None:
                self.imap.literal_cap = previous_cap

    def _run(self) -> Iterator[FetchedMessage]:
        tag = self.imap._new_tag()
        # imaplib remembers every tag it hands out; we complete this one ourselves.
        self.imap.tagged_commands.pop(tag, None)
        try:
            self.imap.send(tag + b" " + self.command + b"\r\n")
            for message in self._responses(tag):
                if self.on_message is not None:
                    self.on_message()
                yield message
        except GeneratorExit:
            # Abandoned part way: read to the end so the connection stays in step. (Not
            # after an error: the connection is then closed, nothing more will come.)
            if not self._done:
                self._drain(tag)
            raise
        except OSError as error:
            raise ConnectionFailed(
                f"The connection to the IMAP server was lost during FETCH ({error})."
            ) from None

    def _readline(self) -> bytes:
        line: bytes = self.imap.readline()
        if not line:
            raise ConnectionFailed(_CLOSED)
        return line

    def _read_literal(self, size: int) -> bytes:
        if self.literal_cap is not None and size > self.literal_cap:
            host = getattr(self.imap, "host", "the IMAP server")
            raise ServerMisbehaved(
                f"The server at {host} announced {human_size(size)} for one item of a FETCH "
                f"answer, more than the {human_size(self.literal_cap)} this client accepts "
                "there; the "
                "connection was closed. Try again later; if it keeps happening, the server "
                "is broken."
            )
        data: bytes = self.imap.read(size)
        if len(data) != size:
            raise ConnectionFailed(_CLOSED)
        return data

    def _responses(self, tag: bytes) -> Iterator[FetchedMessage]:
        tagged = tag + b" "
        while True:
            line = self._readline()
            fast = _SUMMARY_FETCH.match(line)
            if fast is not None:
                seq, uid, flags, size, modseq, internaldate, length = fast.groups()
                section = self._read_literal(int(length))
                rest = self._readline()
                if rest == b")\r\n":
                    yield FetchedMessage(
                        int(seq),
                        int(uid),
                        tuple(flags.split()),
                        int(size),
                        int(modseq) if modseq else None,
                        internaldate,
                        section,
                    )
                    continue
                # More items after the literal: finish it the general way.
                message = self._parse_fetch(int(seq), line[: fast.start(7) - 1], 0)
                message.section = section
                yield self._continue_fetch(message, rest)
                continue
            start = _UNTAGGED_FETCH.match(line)
            if start is not None:
                yield self._parse_fetch(int(start.group(1)), line, start.end())
                continue
            if line.startswith(tagged):
                self._done = True
                status = line[len(tagged) :].split(None, 1)
                if not status or status[0] != b"OK":
                    text = line[len(tagged) :].decode("utf-8", "replace").strip()
                    raise ServerError(f"The server refused FETCH: {text}")
                return
            if not line.startswith(b"* "):
                host = getattr(self.imap, "host", "the IMAP server")
                raise ServerMisbehaved(
                    f"The server at {host} sent an answer to FETCH that is not IMAP "
                    f"({sanitize_line(ascii(line[:60]))}); the connection was closed. Try "
                    "again later; if it keeps happening, the server is broken."
                )
            self._note_untagged(line)
            literal = _LITERAL_AT_END.search(line)
            while literal is not None:  # an untagged response we ignore may carry literals
                self._read_literal(int(literal.group(1)))
                line = self._readline()
                literal = _LITERAL_AT_END.search(line)

    def _note_untagged(self, line: bytes) -> None:
        vanished = _VANISHED.match(line)
        if vanished is not None:
            self.vanished.append(vanished.group(2))
            return
        exists = _EXISTS.match(line)
        if exists is not None:
            self.exists = int(exists.group(1))

    def _parse_fetch(self, seq: int, line: bytes, pos: int) -> FetchedMessage:
        return self._continue_fetch(FetchedMessage(seq), line, pos)

    def _continue_fetch(self, message: FetchedMessage, line: bytes, pos: int = 0) -> FetchedMessage:
        while True:
            for match in _ITEM.finditer(line, pos):
                name, value = match.group(1), match.group(2)
                if name == b"UID":
                    message.uid = int(value)
                elif name == b"FLAGS":
                    message.flags = tuple(value[1:-1].split())
                elif name == b"RFC822.SIZE":
                    message.size = int(value)
                elif name == b"MODSEQ":
                    message.modseq = int(value[1:-1])
                elif name == b"INTERNALDATE":
                    message.internaldate = value[1:-1]
                elif value.startswith(b"{"):
                    pass  # the literal follows this line
                elif value.startswith(b'"'):
                    message.section = value[1:-1]
                else:  # NIL
                    message.section = b""
            literal = _LITERAL_AT_END.search(line)
            if literal is None:
                return message
            message.section = self._read_literal(int(literal.group(1)))
            line = self._readline()
            pos = 0

    def _drain(self, tag: bytes) -> None:
        """Read up to the tagged completion so the connection stays in step."""
        tagged = tag + b" "
        try:
            while True:
                line = self._readline()
                if line.startswith(tagged):
                    self._done = True
                    return
                literal = _LITERAL_AT_END.search(line)
                if literal is not None:
                    self._read_literal(int(literal.group(1)))
        except (OSError, ConnectionFailed):
            return
