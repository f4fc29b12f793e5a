"""The streaming FETCH parser on scripted server output (the wire shapes servers use)."""

from __future__ import annotations

import io

import pytest

from tui_mail.core.errors import ConnectionFailed, ServerError
from tui_mail.core.imap.fetch_stream import FetchStream


class ScriptedImap:
    """Just the three imaplib calls FetchStream uses, reading from a byte script."""

    def __init__(self, script: bytes) -> None:
        self._input = io.BytesIO(script)
        self.sent = b""
        self.tagged_commands: dict[bytes, object] = {}

    def _new_tag(self) -> bytes:
        self.tagged_commands[b"T1"] = None
        return b"T1"

    def send(self, data: bytes) -> None:
        self.sent += data

    def readline(self) -> bytes:
        return self._input.readline()

    def read(self, size: int) -> bytes:
        return self._input.read(size)


HEADER = b"Subject: hi\r\n\r\n"


def test_dovecot_shape_literal_and_side_responses() -> None:
    imap = ScriptedImap(
        b"* 1 FETCH (UID 10 FLAGS (\\Seen) RFC822.SIZE 99 INTERNALDATE "
        b'"01-Jan-2024 00:00:00 +0000" BODY[HEADER.FIELDS (SUBJECT)] {15}\r\n' + HEADER + b")\r\n"
        b"* 3 EXPUNGE\r\n"
        b"* VANISHED (EARLIER) 4:6,9\r\n"
        b"* 2 FETCH (FLAGS () UID 11 MODSEQ (7) BODY[HEADER.FIELDS (SUBJECT)] {15}\r\n"
        + HEADER
        + b" RFC822.SIZE 5)\r\n"
        b"* 5 FETCH (FLAGS (\\Flagged))\r\n"
        b"* 12 EXISTS\r\n"
        b"T1 OK Fetch completed.\r\n"
    )
    stream = FetchStream(imap, b"UID FETCH 1:* (UID FLAGS)")
    messages = list(stream)
    assert imap.sent == b"T1 UID FETCH 1:* (UID FLAGS)\r\n"
    assert imap.tagged_commands == {}
    first, second, unsolicited = messages
    assert (first.uid, first.flags, first.size, first.section) == (10, (b"\\Seen",), 99, HEADER)
    assert first.internaldate == b"01-Jan-2024 00:00:00 +0000"
    assert (second.uid, second.flags, second.modseq, second.size) == (11, (), 7, 5)
    assert second.section == HEADER
    assert (unsolicited.seq, unsolicited.uid, unsolicited.flags) == (5, None, (b"\\Flagged",))
    assert stream.vanished == [b"4:6,9"]
    assert stream.exists == 12


def test_nil_and_quoted_sections() -> None:
    imap = ScriptedImap(
        b'* 1 FETCH (UID 1 BODY[HEADER] NIL)\r\n* 2 FETCH (UID 2 BODY[HEADER] "x")\r\nT1 OK\r\n'
    )
    assert [m.section for m in FetchStream(imap, b"FETCH")] == [b"", b"x"]


def test_a_refused_fetch_raises_with_the_servers_words() -> None:
    imap = ScriptedImap(b"T1 BAD Too long argument.\r\n")
    with pytest.raises(ServerError, match="Too long argument"):
        list(FetchStream(imap, b"FETCH"))


def test_a_connection_closed_mid_literal() -> None:
    imap = ScriptedImap(b"* 1 FETCH (UID 1 BODY[] {100}\r\nshort")
    with pytest.raises(ConnectionFailed, match="closed the connection"):
        list(FetchStream(imap, b"FETCH"))


def test_abandoning_the_iterator_drains_to_the_tag() -> None:
    imap = ScriptedImap(
        b"* 1 FETCH (UID 1 BODY[] {3}\r\nabc)\r\n* 2 FETCH (UID 2 BODY[] {3}\r\n{1}\r\n)\r\n"
        b"T1 OK\r\nNEXT\r\n"
    )
    stream = iter(FetchStream(imap, b"FETCH"))
    assert next(stream).uid == 1
    stream.close()  # type: ignore[attr-defined]
    assert imap.readline() == b"NEXT\r\n"
