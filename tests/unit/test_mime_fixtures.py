"""Cases other mail parsers keep in their public test fixtures, as the reader shows them.

Each message is written here in the shape of such a fixture (raw 8-bit parameters, a
folded boundary, entity references inside emphasis, a byte-order mark); the assertions
are about what the user sees: the body, the attachment list, and nothing unsafe.
"""

from __future__ import annotations

import codecs

import pytest

from tests.unit.test_mime import assert_safe
from tui_mail.core.message.mime import attachment_data, format_rendered, render_message


def crlf(source: bytes) -> bytes:
    return source.lstrip(b"\n").replace(b"\n", b"\r\n")


# --- raw 8-bit UTF-8 in attachment names (RFC 6532) ---------------------------------------


def _with_attachment(content_type: str, disposition: str) -> bytes:
    return crlf(
        (
            "\nFrom: a@example.com\nSubject: files\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b1"\n\n'
            "--b1\nContent-Type: text/plain; charset=utf-8\n\nSee attached.\n"
            f"--b1\nContent-Type: {content_type}\n"
            + (f"Content-Disposition: {disposition}\n" if disposition else "")
            + "Content-Transfer-Encoding: base64\n\nUERGIQ==\n--b1--\n"
        ).encode("utf-8")
    )


@pytest.mark.parametrize(
    ("content_type", "disposition", "shown"),
    [
        ("application/pdf", 'attachment; filename="Grüße.pdf"', "Grüße.pdf"),
        ('application/pdf; name="Übersicht 2024.pdf"', "attachment", "Übersicht 2024.pdf"),
        ('text/plain; name="日本語の資料.txt"', "", "日本語の資料.txt"),
        ("application/pdf", "attachment; filename=Résumé.pdf", "Résumé.pdf"),
    ],
)
def test_raw_utf8_attachment_name_is_decoded(
    content_type: str, disposition: str, shown: str
) -> None:
    raw = _with_attachment(content_type, disposition)
    rendered = render_message(raw)
    assert [a.filename for a in rendered.attachments] == [shown]
    assert "\ufffd" not in format_rendered(rendered)
    assert attachment_data(raw, 1) == b"PDF!"
    assert_safe(rendered)


def test_raw_latin1_attachment_name_falls_back_to_windows_1252() -> None:
    raw = _with_attachment("application/pdf", "attachment").replace(
        b"Content-Disposition: attachment",
        b'Content-Disposition: attachment; filename="R\xe9sum\xe9.pdf"',
    )
    assert [a.filename for a in render_message(raw).attachments] == ["Résumé.pdf"]


def test_raw_8bit_name_with_escapes_and_a_path_stays_a_safe_base_name() -> None:
    raw = _with_attachment(
        "application/pdf", 'attachment; filename="../../\x1b]0;pwned\x07Grüße\u202etxt.exe"'
    )
    rendered = render_message(raw)
    (attachment,) = rendered.attachments
    assert "Grüße" in attachment.filename
    assert "\x1b" not in attachment.filename and "/" not in attachment.filename
    assert_safe(rendered)


# --- a boundary folded inside its quotes --------------------------------------------------

_FOLDED = b"""
From: a@example.com
Subject: folded
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_Part_1234_5678.
 1700000000000"

This is a multi-part message in MIME format.
------=_Part_1234_5678.1700000000000
Content-Type: text/plain; charset=us-ascii

The text part.
------=_Part_1234_5678.1700000000000
Content-Type: application/octet-stream; name="data.bin"
Content-Disposition: attachment; filename="data.bin"
Content-Transfer-Encoding: base64

AAECAw==
------=_Part_1234_5678.1700000000000--
"""


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"])
@pytest.mark.parametrize(
    ("fold", "boundary"),
    [
        (b"\n ", b"----=_Part_1234_5678.1700000000000"),  # the fold's space is not in it
        (b"\n\t", b"----=_Part_1234_5678.1700000000000"),
        (b"\n ", b"----=_Part_1234_5678. 1700000000000"),  # RFC 5322: the space is kept
    ],
)
def test_folded_boundary_is_unfolded(line_end: bytes, fold: bytes, boundary: bytes) -> None:
    raw = _FOLDED.lstrip(b"\n").replace(b"----=_Part_1234_5678.1700000000000", boundary)
    raw = raw.replace(b".\n 1700000000000", b"." + fold + b"1700000000000")
    raw = raw.replace(b"\n", line_end)
    rendered = render_message(raw)
    assert rendered.body == "The text part."
    assert [(a.filename, a.size) for a in rendered.attachments] == [("data.bin", 4)]
    assert attachment_data(raw, 1) == b"\x00\x01\x02\x03"


def test_folded_boundary_that_matches_no_delimiter_is_left_alone() -> None:
    raw = crlf(_FOLDED).replace(b"------=_Part_1234_5678.1700000000000", b"--other")
    rendered = render_message(raw)  # no part boundary: shown as text, as before
    assert "The text part." in rendered.body
    assert rendered.attachments == ()


# --- entity references inside emphasis ---------------------------------------------------


def _html(body: str) -> bytes:
    return crlf(
        (
            "\nFrom: a@example.com\nSubject: html\nMIME-Version: 1.0\n"
            f"Content-Type: text/html; charset=utf-8\n\n<html><body>{body}</body></html>\n"
        ).encode()
    )


@pytest.mark.parametrize(
    ("html", "shown"),
    [
        ("<p>Die <b>Fr&ouml;sche</b> quaken.</p>", "Die **Frösche** quaken."),
        ("<p>Call <i>AT&amp;T</i> now</p>", "Call _AT&T_ now"),
        ("<p><strong>Caf&#233; cr&#xE8;me</strong></p>", "**Café crème**"),
        ("<p><em>x &lt; y</em> holds</p>", "_x < y_ holds"),
        ("<p><b>Descripci&oacute;n:</b></p>", "**Descripción:**"),
        ("<p>&nbsp;&nbsp;indented&nbsp;&nbsp;twice</p>", "\xa0\xa0indented\xa0\xa0twice"),
    ],
)
def test_entity_inside_emphasis_keeps_the_word_whole(html: str, shown: str) -> None:
    rendered = render_message(_html(html))
    assert rendered.body == shown
    assert_safe(rendered)


def test_escape_sent_as_reference_inside_emphasis_is_still_removed() -> None:
    rendered = render_message(_html("<p><b>a&#27;]52;c;eA==&#7;b&#x9b;2J</b></p>"))
    assert "\x1b" not in rendered.body and "\x9b" not in rendered.body
    assert_safe(rendered)


# --- a byte-order mark at the start of a body ---------------------------------------------


def _text(data: bytes, charset: str, subtype: str = "plain") -> bytes:
    head = (
        "From: a@example.com\r\nSubject: bom\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/{subtype}; charset={charset}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode() + data


@pytest.mark.parametrize(
    ("data", "charset", "subtype", "shown"),
    [
        (codecs.BOM_UTF8 + "Grüße".encode(), "utf-8", "plain", "Grüße"),
        (codecs.BOM_UTF8 + "Grüße".encode(), "iso-8859-15", "plain", "Grüße"),  # BOM wins
        (codecs.BOM_UTF8 + b"<p>Hello</p>", "utf-8", "html", "Hello"),
        (codecs.BOM_UTF16_LE + "Grüße".encode("utf-16-le"), "utf-16le", "plain", "Grüße"),
        (codecs.BOM_UTF16_BE + "Grüße".encode("utf-16-be"), "us-ascii", "plain", "Grüße"),
    ],
)
def test_byte_order_mark_is_not_shown(data: bytes, charset: str, subtype: str, shown: str) -> None:
    rendered = render_message(_text(data, charset, subtype))
    assert rendered.body == shown
    assert "\ufeff" not in format_rendered(rendered)
