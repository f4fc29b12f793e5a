"""The sync-time header parser: what the message list will show for each message."""

from tui_mail.core.imap.flags import flag_names, parse_flags
from tui_mail.core.message.headers import parse_address, parse_date, summary_row
from tui_mail.core.models import Flag


def test_summary_row_from_a_typical_header_block() -> None:
    block = (
        b"Date: Tue, 03 Mar 2026 10:15:00 +0100\r\n"
        b'From: "Doe, Jane" <jane@example.org>\r\n'
        b"To: bob@example.org,\r\n carol@example.org\r\n"
        b"Subject: =?UTF-8?Q?Caf=C3=A9_plans?=\r\n"
        b"Message-ID: <abc@example.org>\r\n"
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n"
    )
    row = summary_row(7, Flag.SEEN, "$Label1", 1234, 9, block)
    assert row.uid == 7
    assert row.date == 1772529300
    assert (row.from_name, row.from_addr) == ("Doe, Jane", "jane@example.org")
    assert row.to == "bob@example.org, carol@example.org"
    assert row.subject == "Café plans"
    assert row.message_id == "<abc@example.org>"
    assert row.flags == Flag.SEEN
    assert row.keywords == "$Label1"
    assert row.has_attachment == 1


def test_escape_sequences_in_headers_never_reach_the_list() -> None:
    block = b"Subject: hi \x1b]52;c;ZXZpbA==\x07there\x1b[2J\r\nFrom: \x1b[31mEvil\x1b[0m <e@x>\r\n"
    row = summary_row(1, 0, "", 0, 0, block)
    assert "\x1b" not in row.subject and "\x07" not in row.subject
    assert "\x1b" not in row.from_name
    assert row.from_addr == "e@x"


def test_encoded_control_characters_are_removed_after_decoding() -> None:
    row = summary_row(1, 0, "", 0, 0, b"Subject: =?utf-8?b?G1szMW1yZWQ=?=\r\n")  # ESC[31mred
    assert row.subject == "red"


def test_addresses() -> None:
    assert parse_address("jane@example.org") == ("", "jane@example.org")
    assert parse_address("<jane@example.org>") == ("", "jane@example.org")
    assert parse_address("Jane Doe <jane@example.org>") == ("Jane Doe", "jane@example.org")
    assert parse_address("=?iso-8859-1?q?J=F6rg?= <j@example.de>") == ("Jörg", "j@example.de")
    assert parse_address("jane@example.org (Jane)") == ("Jane", "jane@example.org")
    assert parse_address("undisclosed-recipients:;") == ("undisclosed-recipients:;", "")


def test_unknown_charset_does_not_raise() -> None:
    row = summary_row(1, 0, "", 0, 0, b"Subject: =?x-unknown?q?caf=E9?=\r\n")
    assert row.subject.startswith("caf")


def test_dates_fall_back_to_internaldate() -> None:
    assert parse_date("Tue, 03 Mar 2026 10:15:00 +0100", None) == 1772529300
    assert parse_date("garbage", b"03-Mar-2026 09:15:00 +0000") == 1772529300
    assert parse_date(None, None) == 0


def test_flags() -> None:
    mask, keywords = parse_flags((b"\\Answered", b"\\Flagged", b"$Forwarded", b"Work"))
    assert mask == Flag.ANSWERED | Flag.FLAGGED | Flag.FORWARDED
    assert keywords == "Work"


def test_flags_as_imap_names_them_both_ways() -> None:
    every = Flag.SEEN | Flag.ANSWERED | Flag.FLAGGED | Flag.DELETED | Flag.DRAFT | Flag.FORWARDED
    names = flag_names(every)
    assert names == ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "$Forwarded"]
    assert parse_flags(tuple(name.encode() for name in names)) == (every, "")
    assert parse_flags((b"\\Seen", b"\\Recent")) == (Flag.SEEN, "")  # \\Recent is no flag
    assert flag_names(Flag.NONE) == []
