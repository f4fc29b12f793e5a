"""A maildir evaluates query trees on its own files, the way an IMAP server would answer
the same SEARCH (real maildir files on disk; no server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.support.dovecot import make_message
from tui_mail.config import AccountConfig
from tui_mail.core.maildir.backend import MaildirBackend
from tui_mail.core.message.charsets import decode_header_value
from tui_mail.core.message.headers import split_header_block
from tui_mail.core.models import Flag
from tui_mail.core.query import (
    FieldContains,
    HasFlag,
    Header,
    LacksFlag,
    Query,
    SentBefore,
    SentSince,
    Term,
    Text,
    UidIn,
    matches,
    parse_query,
)

HTML = (
    b"From: Carol <carol@example.org>\nSubject: Newsletter\nMessage-ID: <n@x>\n"
    b"Date: Sun, 01 Mar 2026 23:30:00 -0800\nMIME-Version: 1.0\n"
    b"Content-Type: text/html; charset=utf-8\n\n<p>Spring <b>sale</b>: caf\xc3\xa9 beans</p>\n"
)
NO_DATE = b"From: Dan <dan@example.org>\nSubject: Undated\n\nNo date header here.\n"


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[MaildirBackend]:
    root = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    files = {
        "1700000001.M1P1.h:2,S": make_message(
            1, subject="Invoice März", from_="Zoë <zoe@example.org>", cc="acct@example.org",
            body="Total: 42 €", date="Mon, 02 Mar 2026 10:00:00 +0000"),
        "1700000002.M2P1.h:2,FP": make_message(
            2, subject="Lunch", from_="Bob <bob@example.org>", body="Ramen at noon?",
            date="Fri, 20 Mar 2026 10:00:00 +0000"),
        "1700000003.M3P1.h:2,DRST": HTML,
        "1700000004.M4P1.h:2,": NO_DATE,
    }  # fmt: skip
    for name, raw in files.items():
        (root / "cur" / name).write_bytes(raw)
    undated = root / "cur" / "1700000004.M4P1.h:2,"
    arrived = datetime(2026, 3, 15, 12, 0).timestamp()
    os.utime(undated, (arrived, arrived))
    account = AccountConfig(name="local", email="me@example.org", type="maildir", path=root)
    opened = MaildirBackend(account, data_dir=tmp_path / "data")
    opened.connect()
    yield opened
    opened.close()


def subjects(backend: MaildirBackend, *terms: Term) -> list[str]:
    found = backend.search("INBOX", Query.of(*terms))
    raws = [backend.fetch_raw("INBOX", uid) or b"" for uid in found]
    return [decode_header_value(split_header_block(raw)["subject"]) for raw in raws]


def test_each_kind_of_term_on_real_files(backend: MaildirBackend) -> None:
    assert len(backend.search("INBOX", Query())) == 4
    assert subjects(backend, FieldContains("from", "BOB")) == ["Lunch"]
    assert subjects(backend, FieldContains("cc", "acct@")) == ["Invoice März"]
    assert subjects(backend, FieldContains("subject", "newsletter")) == ["Newsletter"]
    assert subjects(backend, FieldContains("body", "SALE")) == ["Newsletter"]  # no <b> tags
    assert subjects(backend, FieldContains("body", "café")) == ["Newsletter"]
    assert subjects(backend, FieldContains("body", "newsletter")) == []  # header, not body
    assert subjects(backend, Text("newsletter")) == ["Newsletter"]  # anywhere
    assert subjects(backend, Text("ramen")) == ["Lunch"]
    assert subjects(backend, Header("message-id", "<N@X>")) == ["Newsletter"]
    assert subjects(backend, FieldContains("subject", "MÄRZ")) == ["Invoice März"]
    assert subjects(backend, FieldContains("from", "zoë")) == ["Invoice März"]


def test_flags_come_from_the_file_names(backend: MaildirBackend) -> None:
    assert subjects(backend, HasFlag(Flag.FORWARDED)) == ["Lunch"]
    assert subjects(backend, HasFlag(Flag.FLAGGED | Flag.FORWARDED)) == ["Lunch"]
    assert subjects(backend, HasFlag(Flag.DRAFT), HasFlag(Flag.DELETED)) == ["Newsletter"]
    assert subjects(backend, HasFlag(Flag.ANSWERED)) == ["Newsletter"]
    assert subjects(backend, LacksFlag(Flag.SEEN)) == ["Lunch", "Undated"]
    assert subjects(backend, LacksFlag(Flag.SEEN | Flag.FLAGGED)) == ["Undated"]


def test_dates_are_the_day_written_else_the_day_the_file_arrived(
    backend: MaildirBackend,
) -> None:
    # 23:30 at -0800 on 1 March is 2 March in UTC: the day written counts, as in IMAP.
    assert subjects(backend, SentBefore(date(2026, 3, 2))) == ["Newsletter"]
    assert subjects(backend, SentSince(date(2026, 3, 2)), SentBefore(date(2026, 3, 16))) == [
        "Invoice März",
        "Undated",
    ]
    assert subjects(backend, SentSince(date(2026, 3, 16))) == ["Lunch"]


def test_uids_and_the_parsed_language(backend: MaildirBackend) -> None:
    every = backend.search("INBOX", Query())
    assert backend.search("INBOX", Query.of(UidIn((every[1], every[3], 999)))) == [
        every[1],
        every[3],
    ]
    found = backend.search("INBOX", parse_query('is:unread "at noon" from:bob since:2026-03-10'))
    assert found == [every[1]]


class Unreadable:
    """A message whose flags are known but whose file is gone (another client expunged it)."""

    uid = 1

    def flags(self) -> Flag:
        return Flag.SEEN

    def header(self, name: str) -> str:
        raise FileNotFoundError(name)

    def sent_day(self) -> date | None:
        raise FileNotFoundError("date")

    def body(self) -> str:
        raise FileNotFoundError("body")

    def text(self) -> str:
        raise FileNotFoundError("text")


def test_cheap_terms_decide_first_and_a_vanished_file_matches_nothing() -> None:
    # Written body-first: the flag term still decides without reading the file.
    assert not matches(Query.of(Text("x"), LacksFlag(Flag.SEEN)), Unreadable())
    assert matches(Query.of(HasFlag(Flag.SEEN), UidIn((1,))), Unreadable())
    assert not matches(Query.of(HasFlag(Flag.SEEN), Text("x")), Unreadable())
