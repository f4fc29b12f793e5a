"""The mboxrd writer: separators, quoting, line endings, and a round trip through Python's
own mbox reader."""

from __future__ import annotations

import mailbox
from pathlib import Path

from tui_mail.core.message.mbox import mbox_entry, separator_line, to_mbox

MESSAGE = (
    b"Return-Path: <bounce@lists.example>\r\n"
    b"From: Alice <alice@example.org>\r\n"
    b"Date: Mon, 01 Jan 2024 13:00:00 +0100\r\n"
    b"Subject: quoting\r\n"
    b"\r\n"
    b"From here on\r\n"
    b">From there\r\n"
    b"  From indented stays\r\n"
    b"Fromage\r\n"
)


def test_separator_has_the_envelope_sender_and_the_utc_date() -> None:
    assert separator_line(MESSAGE) == b"From bounce@lists.example Mon Jan  1 12:00:00 2024\n"
    without_return_path = MESSAGE.split(b"\r\n", 1)[1]
    assert separator_line(without_return_path).startswith(b"From alice@example.org Mon Jan  1")


def test_separator_without_a_sender_or_a_date_still_parses() -> None:
    line = separator_line(b"Subject: x\n\nbody\n")
    assert line.startswith(b"From MAILER-DAEMON ") and line.endswith(b"\n")
    assert len(line.split()) == 7  # From, sender, weekday, month, day, time, year
    hostile = separator_line(b"From: <a b\x1b[31m@x>\nDate: not a date\n\nx\n")
    assert b"\x1b" not in hostile and b" " not in hostile.split(b" ", 2)[1]


def test_body_lines_reading_from_get_one_more_quote_and_crlf_becomes_lf() -> None:
    entry = mbox_entry(MESSAGE)
    assert b"\r" not in entry
    body = entry.split(b"\n\n", 1)[1]
    assert body == (b">From here on\n>>From there\n  From indented stays\nFromage\n\n")


def test_a_message_without_a_final_newline_still_ends_with_a_blank_line() -> None:
    assert mbox_entry(b"Subject: a\n\nno newline").endswith(b"no newline\n\n")


def test_messages_come_back_in_order_from_pythons_mbox_reader(tmp_path: Path) -> None:
    messages = [
        f"From: n{i}@example.org\nSubject: number {i}\n\nbody {i}\nFrom the middle\n".encode()
        for i in range(3)
    ]
    path = tmp_path / "out.mbox"
    path.write_bytes(to_mbox(messages))
    read = list(mailbox.mbox(path))
    assert [m["Subject"] for m in read] == ["number 0", "number 1", "number 2"]
    # Python's reader keeps the quote (it is an mboxo reader); mboxrd readers remove it.
    assert [m.get_payload() for m in read] == [f"body {i}\n>From the middle\n" for i in range(3)]
    assert to_mbox([]) == b""
