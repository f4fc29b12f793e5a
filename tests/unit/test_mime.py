"""The reader's view of hostile, broken and ordinary messages: what the user would see."""

from __future__ import annotations

import base64
import re
import socket
import time
from email.parser import BytesParser
from email.policy import compat32

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_mail.core.message.mime import (
    MAX_DEPTH,
    Attachment,
    RenderedMessage,
    attachment_data,
    decode_header_value,
    format_rendered,
    render_message,
    safe_filename,
)
from tui_mail.core.message.parts import parse_message

UNSAFE_IN_LINE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
UNSAFE_IN_TEXT = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def message(source: str) -> bytes:
    """A message written readably here, with CRLF line ends as it arrives from a server."""
    return source.lstrip("\n").replace("\n", "\r\n").encode("utf-8")


def assert_safe(rendered: RenderedMessage) -> None:
    assert not UNSAFE_IN_TEXT.search(rendered.body)
    lines = [text for pair in rendered.headers + rendered.all_headers for text in pair]
    lines += [text for link in rendered.links for text in (link.url, link.text)]
    lines += [a.filename for a in rendered.attachments] + [
        a.content_type for a in rendered.attachments
    ]
    lines += list(rendered.notes)
    for text in lines:
        assert not UNSAFE_IN_LINE.search(text), text
    for attachment in rendered.attachments:
        assert attachment.filename and not attachment.filename.startswith((".", " "))
        assert "/" not in attachment.filename and "\\" not in attachment.filename
    assert not UNSAFE_IN_TEXT.search(format_rendered(rendered, full_headers=True))


# --- headers ------------------------------------------------------------------------------


def test_plain_message_shows_the_usual_headers_in_order_and_the_body() -> None:
    rendered = render_message(
        message("""
Subject: Lunch?
Received: from mx.example.org
Date: Tue, 03 Mar 2026 10:15:00 +0100
To: bob@example.org
From: Alice <alice@example.org>
Content-Type: text/plain; charset=utf-8

Hi Bob,
	how about noon?
""")
    )
    assert rendered.headers == (
        ("From", "Alice <alice@example.org>"),
        ("To", "bob@example.org"),
        ("Date", "Tue, 03 Mar 2026 10:15:00 +0100"),
        ("Subject", "Lunch?"),
    )
    assert rendered.body == "Hi Bob,\n\thow about noon?"
    assert rendered.notes == () and rendered.attachments == () and rendered.links == ()


def test_encoded_words_split_inside_a_character_are_joined() -> None:
    # "€" is E2 82 AC; the sender cut it between two encoded words.
    assert decode_header_value("=?utf-8?B?4oI=?= =?utf-8?B?rA==?= 5") == "€ 5"
    assert decode_header_value("=?UTF-8?Q?Caf=C3?=\r\n =?UTF-8?Q?=A9_plans?=") == "Café plans"


def test_broken_encoded_words_are_decoded_as_far_as_they_go() -> None:
    assert decode_header_value("Re:=?utf-8?q?caf=C3=A9?=") == "Re:café"  # glued to text
    assert decode_header_value("=?utf-8?q?a?= b =?utf-8?q?c?=") == "a b c"
    assert decode_header_value("=?utf-8?q?spaces inside?=") == "spaces inside"
    assert decode_header_value("=?utf-8?b?SGVsbG8?=") == "Hello"  # padding missing
    assert decode_header_value("=?utf-8?q?never closed") == "=?utf-8?q?never closed"
    assert decode_header_value("=?utf-8*en?q?with_language?=") == "with language"


def test_unknown_or_lying_header_charsets_never_raise() -> None:
    assert decode_header_value("=?x-unknown?q?caf=C3=A9?=") == "café"  # guessed as UTF-8
    assert decode_header_value("=?x-unknown?q?caf=E9?=") == "café"  # then Windows-1252
    assert decode_header_value("=?utf-8?q?caf=E9?=") == "caf\ufffd"  # label lies: replaced
    assert decode_header_value("=?utf-8?b?!!!*?=") == ""
    for codec in ("idna", "punycode", "base64", "unicode-escape", "undefined"):
        assert decode_header_value(f"=?{codec}?q?x=5Cx41?=") in ("x\\x41", "x\\xA")


def test_raw_8bit_headers_are_decoded_as_utf8_or_windows_1252() -> None:
    rendered = render_message(b"Subject: caf\xc3\xa9\r\nFrom: J\xf6rg <j@example.de>\r\n\r\nx")
    assert rendered.headers == (("From", "Jörg <j@example.de>"), ("Subject", "café"))


def test_escape_sequences_hidden_in_encoded_headers_are_removed() -> None:
    # =?utf-8?b?...?= hides ESC ] 52 (clipboard write) and a colour change.
    hidden = base64.b64encode(b"\x1b]52;c;cm0gLXJm\x07\x1b[31mURGENT\x1b[0m").decode()
    rendered = render_message(message(f"Subject: =?utf-8?b?{hidden}?=\n\nbody"))
    assert rendered.headers == (("Subject", "URGENT"),)


def test_full_headers_view_keeps_every_header_decoded() -> None:
    rendered = render_message(
        message("""
From: a@example.org
X-Mailer: =?utf-8?q?Caf=C3=A9?= 1.0
Received: from a
  by b
Subject: s

body
""")
    )
    assert rendered.all_headers == (
        ("From", "a@example.org"),
        ("X-Mailer", "Café 1.0"),
        ("Received", "from a  by b"),
        ("Subject", "s"),
    )


def test_a_second_from_header_is_pointed_out() -> None:
    rendered = render_message(message("From: boss@corp.example\nFrom: evil@x.example\n\nPay now"))
    assert rendered.headers == (("From", "boss@corp.example"),)
    assert "This message has 2 From headers; the first is shown" in rendered.notes


# --- choosing what to show ----------------------------------------------------------------

ALTERNATIVE = message("""
From: news@shop.example
Subject: Sale
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Plain version.
--alt
Content-Type: text/html; charset=utf-8

<p>HTML <b>version</b>.</p>
--alt--
""")


def test_the_plain_alternative_is_shown_by_default() -> None:
    rendered = render_message(ALTERNATIVE)
    assert rendered.body == "Plain version."
    assert rendered.notes == ()


def test_prefer_html_shows_the_html_alternative_as_text() -> None:
    rendered = render_message(ALTERNATIVE, prefer_html=True)
    assert rendered.body == "HTML **version**."
    assert rendered.notes == ("HTML part shown as text",)


def test_an_html_only_message_is_shown_as_text_with_a_note() -> None:
    rendered = render_message(message("Content-Type: text/html\n\n<h1>Hi</h1><p>there</p>"))
    assert rendered.body == "# Hi\n\nthere"
    assert rendered.notes == ("HTML part shown as text",)


def test_a_message_without_content_type_is_plain_text() -> None:
    assert render_message(message("Subject: old\n\n<b>not html</b>")).body == "<b>not html</b>"


def test_a_mixed_message_shows_every_inline_text_part_in_order() -> None:
    rendered = render_message(
        message("""
Content-Type: multipart/mixed; boundary=m

--m
Content-Type: text/plain

Body.
--m
Content-Type: text/plain

--\x20
List footer
--m--
""")
    )
    assert rendered.body == "Body.\n\n-- \nList footer"


# --- HTML -----------------------------------------------------------------------------------


def html_message(html: str, charset: str = "utf-8") -> bytes:
    return message(f"Content-Type: text/html; charset={charset}\n\n{html}")


def test_html_links_are_numbered_with_their_real_targets() -> None:
    rendered = render_message(
        html_message(
            '<p>Read the <a href="https://example.org/report?a=1&amp;b=2">report</a>, '
            '<a href="https://example.org/report?a=1&amp;b=2">again</a> or '
            '<a href="mailto:help@example.org">write to us</a>. '
            '<a href="#top">Top</a></p>'
        )
    )
    assert rendered.body == "Read the report[1], again[1] or write to us[2]. Top"
    assert [(link.number, link.url, link.suspicious) for link in rendered.links] == [
        (1, "https://example.org/report?a=1&b=2", False),
        (2, "mailto:help@example.org", False),
    ]


@pytest.mark.parametrize(
    ("text", "href", "suspicious"),
    [
        ("www.paypal.com", "https://paypal.example.net/login", True),
        ("https://paypal.com/signin", "https://paypal.com.evil.example/signin", True),
        ("Visit https://bank.example.", "http://198.51.100.7/", True),
        ("bank.example", "javascript:steal()", True),
        ("support@bank.example", "mailto:support@evil.example", True),
        ("www.bank.example", "https://bank.example/", False),
        ("bank.example", "https://login.bank.example/", False),
        ("https://bänk.example", "https://xn--bnk-qla.example/", False),
        ("Click here", "https://anywhere.example/", False),
        ("report.pdf", "https://files.example/report.pdf", False),
    ],
)
def test_link_text_naming_another_host_is_flagged(text: str, href: str, suspicious: bool) -> None:
    (link,) = render_message(html_message(f'<a href="{href}">{text}</a>')).links
    assert (link.url, link.text, link.suspicious) == (href, text, suspicious)


def test_images_show_their_alt_text_and_tracking_pixels_nothing() -> None:
    rendered = render_message(
        html_message(
            '<img src="https://cdn.example/logo.png" alt="ACME  logo">'
            '<img src="cid:photo"> <a href="https://acme.example/"><img src="b.png" alt="Shop"></a>'
            '<img src="https://t.example/open?id=42" width="1" height="1">'
        )
    )
    assert rendered.body == "[image: ACME logo][image] [image: Shop][1]"
    assert rendered.links[0].text == "[image: Shop]"


def test_html_is_converted_without_any_network_access(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("no network in the renderer")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    rendered = render_message(
        html_message(
            '<link rel="stylesheet" href="https://t.example/a.css">'
            '<img src="https://t.example/p.gif" alt="pic">'
            '<iframe src="https://t.example/f"></iframe><p>text</p>'
        )
    )
    assert attempts == []
    assert rendered.body == "[image: pic]\n\ntext"


def test_html_text_is_not_markdown_escaped() -> None:
    rendered = render_message(html_message(r"<p>1. Open C:\temp\new</p><p>- dash + plus</p>"))
    assert rendered.body == "1. Open C:\\temp\\new\n\n- dash + plus"


def test_html_head_style_and_script_are_not_shown() -> None:
    rendered = render_message(
        html_message(
            "<html><head><title>T</title><style>p{color:red}</style></head>"
            "<body><script>alert(1)</script><p>Visible</p></body></html>"
        )
    )
    assert rendered.body == "Visible"


def test_html_entities_cannot_smuggle_escape_sequences() -> None:
    rendered = render_message(
        html_message("<p>&#27;[2J&#27;]52;c;eA==&#7;wiped? &#x202E;gpj.exe</p>")
    )
    assert rendered.body == "wiped? ⟨RLO⟩gpj.exe"


def test_layout_tables_become_lines_of_text() -> None:
    rendered = render_message(
        html_message(
            "<table><tr><td>Product</td><td>Price</td></tr><tr><td>Widget</td><td>$5</td></tr></table>"
        )
    )
    assert rendered.body == "Product Price\nWidget $5"


def test_markup_the_html_parser_rejects_still_shows_what_came_before() -> None:
    rendered = render_message(html_message("<p>Before</p><![bogus[ x ]]><p>after</p>"))
    assert rendered.body == "Before"
    assert rendered.notes == (
        "HTML part shown as text",
        "Part of the HTML could not be converted; showing what was",
    )


def test_deeply_nested_lists_cannot_blow_up_the_output() -> None:
    # Each level indents every line, so 45 kB of "<ul><li>" would become 25 MB of text.
    start = time.process_time()
    rendered = render_message(html_message("<ul><li>x" * 5000), max_body_chars=100_000)
    assert time.process_time() - start < 1.0
    assert len(rendered.body) <= 100_000
    assert "Truncated: HTML part converts to more than 100 kB of text" in rendered.notes


def test_html_without_a_charset_parameter_uses_its_meta_tag() -> None:
    html = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-7">\xe1\xe2\xe3'
    rendered = render_message(b"Content-Type: text/html\r\n\r\n" + html.encode("latin-1"))
    assert rendered.body == "αβγ"


# --- attachments --------------------------------------------------------------------------

ATTACHMENTS = message("""
From: a@example.org
Content-Type: multipart/mixed; boundary="mix"

--mix
Content-Type: text/plain

See attached.
--mix
Content-Type: application/pdf; name="../../.ssh/authorized_keys"
Content-Disposition: attachment; filename="../../.ssh/authorized_keys"
Content-Transfer-Encoding: base64

SGVsbG8gd29ybGQ=
--mix
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe

MZ
--mix
Content-Type: image/png
Content-Disposition: attachment; filename="=?utf-8?q?f=C3=B6to.png?="
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--mix
Content-Type: application/zip
Content-Transfer-Encoding: base64

UEsDBA==
--mix--
""")


def test_attachments_are_listed_with_safe_names_and_decoded_sizes() -> None:
    rendered = render_message(ATTACHMENTS)
    assert rendered.body == "See attached."
    assert rendered.attachments == (
        Attachment(1, "authorized_keys", "application/pdf", 11, False),
        Attachment(2, "invoice⟨RLO⟩fdp.exe", "application/octet-stream", 2, False),
        Attachment(3, "föto.png", "image/png", 8, False),
        Attachment(4, "attachment-4.zip", "application/zip", 4, False),
    )


def test_attachment_data_is_the_decoded_part_by_index() -> None:
    assert attachment_data(ATTACHMENTS, 1) == b"Hello world"
    assert attachment_data(ATTACHMENTS, 3) == b"\x89PNG\r\n\x1a\n"
    assert attachment_data(ATTACHMENTS, 5) is None
    assert attachment_data(ATTACHMENTS, 0) is None
    assert attachment_data(b"\xff\x00garbage", 1) is None


def test_related_html_is_shown_and_its_images_listed_as_inline() -> None:
    rendered = render_message(
        message("""
Content-Type: multipart/related; boundary=rel

--rel
Content-Type: text/html

<p>Hi <img src="cid:logo@x" alt="logo"></p>
--rel
Content-Type: image/png
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
""")
    )
    assert rendered.body == "Hi [image: logo]"
    assert rendered.attachments == (Attachment(1, "attachment-1.png", "image/png", 8, True),)


def test_attachments_inside_the_unshown_html_alternative_are_still_listed() -> None:
    # Apple Mail: alternative(plain, mixed(html, pdf, html)); the plain part is shown.
    rendered = render_message(
        message("""
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain

Text with the PDF attached.
--alt
Content-Type: multipart/mixed; boundary=mix

--mix
Content-Type: text/html

<p>HTML</p>
--mix
Content-Type: application/pdf; name=plan.pdf
Content-Disposition: inline; filename=plan.pdf

%PDF
--mix--
--alt--
""")
    )
    assert rendered.body == "Text with the PDF attached."
    assert rendered.attachments == (Attachment(1, "plan.pdf", "application/pdf", 4, True),)


def test_an_attached_message_can_be_saved_as_eml() -> None:
    raw = message("""
Content-Type: multipart/mixed; boundary=m

--m
Content-Type: message/rfc822

From: x@example.org
Subject: inner

From the start of a line.
--m
Content-Type: application/pdf

%PDF
--m--
""")
    rendered = render_message(raw)
    assert [(a.filename, a.content_type) for a in rendered.attachments] == [
        ("attachment-1.pdf", "application/pdf")
    ]
    assert attachment_data(raw, 1) == b"%PDF"


def test_a_named_inline_text_part_is_shown_and_listed() -> None:
    rendered = render_message(
        message("""
Content-Type: multipart/mixed; boundary=m

--m
Content-Type: text/plain

See the patch.
--m
Content-Type: text/x-diff; name=fix.patch
Content-Disposition: inline; filename=fix.patch

-old
+new
--m--
""")
    )
    assert rendered.body == "See the patch.\n\n-old\n+new"
    assert rendered.attachments == (Attachment(1, "fix.patch", "text/x-diff", 10, True),)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/cron.d/job", "job"),
        ("C:\\Windows\\System32\\evil.dll", "evil.dll"),
        ("..\\..\\start.bat", "start.bat"),
        (".bashrc", "bashrc"),
        ("..", "fallback.bin"),
        ("   ", "fallback.bin"),
        (None, "fallback.bin"),
        ("CON", "_CON"),
        ("lpt1.txt", "_lpt1.txt"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("trailing dots. . .", "trailing dots"),
        ("tab\tnew\nline\x1b[31m.txt", "tab new line.txt"),
        ("photo\u202egnp.exe", "photo⟨RLO⟩gnp.exe"),
        ("résumé.pdf", "résumé.pdf"),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name, "fallback.bin") == expected


def test_safe_filename_caps_the_length_and_keeps_the_extension() -> None:
    name = safe_filename("é" * 300 + ".pdf", "x")
    assert name.endswith("é.pdf")
    assert len(name.encode()) <= 200


def test_safe_filename_falls_back_to_a_cleaned_fallback() -> None:
    assert safe_filename("", "../part 1.bin") == "part 1.bin"
    assert safe_filename("", "") == "attachment"


# --- signed, encrypted, nested ---------------------------------------------------------------


def test_smime_signed_message_shows_the_body_and_hides_the_signature() -> None:
    rendered = render_message(
        message("""
Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary=s

--s
Content-Type: text/plain

Signed words.
--s
Content-Type: application/pkcs7-signature; name=smime.p7s
Content-Transfer-Encoding: base64

MIAGCSqGSIb3DQEHAqCAMIACAQEx
--s--
""")
    )
    assert rendered.body == "Signed words."
    assert rendered.notes == ("This message is signed (S/MIME); the signature was not verified",)
    assert rendered.attachments == ()


def test_openpgp_signed_message_is_noted() -> None:
    rendered = render_message(
        message("""
Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=s

--s
Content-Type: text/plain

Signed.
--s
Content-Type: application/pgp-signature

-----BEGIN PGP SIGNATURE-----
--s--
""")
    )
    assert rendered.body == "Signed."
    assert rendered.notes == ("This message is signed (OpenPGP); the signature was not verified",)


def test_openpgp_encrypted_message_is_noted_and_offered_as_an_attachment() -> None:
    rendered = render_message(
        message("""
Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=e

--e
Content-Type: application/pgp-encrypted

Version: 1
--e
Content-Type: application/octet-stream; name=encrypted.asc

-----BEGIN PGP MESSAGE-----
hQEMA
-----END PGP MESSAGE-----
--e--
""")
    )
    assert rendered.body == ""
    assert rendered.notes == ("This message is encrypted (OpenPGP) and was not decrypted",)
    assert [a.filename for a in rendered.attachments] == ["encrypted.asc"]


def test_smime_encrypted_message_is_noted() -> None:
    rendered = render_message(
        message("""
Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m
Content-Transfer-Encoding: base64

MIAGCSqGSIb3DQEHA6CAMIACAQAx
""")
    )
    assert rendered.notes == ("This message is encrypted (S/MIME) and was not decrypted",)
    assert [a.filename for a in rendered.attachments] == ["smime.p7m"]


def test_inline_pgp_is_noted() -> None:
    rendered = render_message(message("\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhi"))
    assert rendered.notes == ("This message has an inline OpenPGP signature; it was not verified",)


def test_an_attached_message_is_shown_inline_between_separators() -> None:
    rendered = render_message(
        message("""
From: forwarder@example.org
Subject: Fwd: plans
Content-Type: multipart/mixed; boundary=m

--m
Content-Type: text/plain

See below.
--m
Content-Type: message/rfc822

From: =?utf-8?q?Jos=C3=A9?= <jose@example.org>
Subject: plans
Received: from somewhere

Original text.
--m--
""")
    )
    assert rendered.body == (
        "See below.\n\n"
        "---------- Attached message ----------\n"
        "From: José <jose@example.org>\n"
        "Subject: plans\n\n"
        "Original text.\n\n"
        "---------- End of attached message ----------"
    )
    assert rendered.headers == (("From", "forwarder@example.org"), ("Subject", "Fwd: plans"))


def test_a_bounce_report_is_readable() -> None:
    rendered = render_message(
        message("""
Content-Type: multipart/report; report-type=delivery-status; boundary=r

--r
Content-Type: text/plain

Delivery failed.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; gone@example.org
Status: 5.1.1
--r--
""")
    )
    assert rendered.body == (
        "Delivery failed.\n\nReporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822; gone@example.org\nStatus: 5.1.1"
    )


# --- charsets and transfer encodings ----------------------------------------------------------


def plain(body: bytes, content_type: str = "text/plain", cte: str = "8bit") -> bytes:
    return (
        f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n".encode() + body
    )


def test_an_unknown_charset_falls_back_to_utf8_then_windows_1252() -> None:
    assert render_message(plain(b"caf\xc3\xa9", "text/plain; charset=x-mystery")).body == "café"
    assert (
        render_message(plain(b"\x93caf\xe9\x94", "text/plain; charset=x-mystery")).body == "“café”"
    )


def test_a_lying_charset_label_gives_replacement_characters() -> None:
    assert render_message(plain(b"caf\xe9", "text/plain; charset=utf-8")).body == "caf\ufffd"


def test_ascii_and_latin1_labels_are_read_as_utf8_when_the_text_is_utf8() -> None:
    assert render_message(plain(b"caf\xc3\xa9", "text/plain; charset=us-ascii")).body == "café"
    assert render_message(plain(b"caf\xe9", "text/plain; charset=iso-8859-1")).body == "café"
    assert render_message(plain(b"\x80 5", "text/plain; charset=iso-8859-1")).body == "€ 5"


def test_codec_names_that_are_not_charsets_are_ignored() -> None:
    for label in ("base64", "rot13", "punycode", "unicode-escape", "undefined"):
        body = render_message(plain(b"caf\xc3\xa9 \\x1b", f"text/plain; charset={label}")).body
        assert body == "café \\x1b", label


def test_damaged_base64_shows_what_decodes_with_a_note() -> None:
    rendered = render_message(plain(b"SGVsbG8g!!!d29y*bGQ\r\n", "text/plain", "base64"))
    assert rendered.body == "Hello world"
    assert rendered.notes == (
        "Part of this message is damaged (invalid base64); showing what could be decoded",
    )


def test_damaged_quoted_printable_is_shown_literally() -> None:
    body = b"soft=\r\nbreak, bad =ZZ escape, good =C3=A9, cut at the end=3"
    rendered = render_message(plain(body, "text/plain; charset=utf-8", "quoted-printable"))
    assert rendered.body == "softbreak, bad =ZZ escape, good é, cut at the end=3"


def test_a_lone_carriage_return_cannot_hide_a_line() -> None:
    rendered = render_message(plain(b"Pay Alice\rPay Mallory\r\n"))
    assert rendered.body == "Pay Alice\nPay Mallory"


# --- format=flowed ------------------------------------------------------------------------------


def test_format_flowed_joins_soft_line_breaks() -> None:
    body = (
        b"This paragraph was \r\nwrapped by the sender.\r\n"
        b">> Quoted text that \r\n>> flows.\r\n"
        b"> Shallower quote.\r\n"
        b" >not a quote, stuffed\r\n"
        b"-- \r\n"
        b"Signature\r\n"
    )
    rendered = render_message(plain(body, "text/plain; format=flowed"))
    assert rendered.body == (
        "This paragraph was wrapped by the sender.\n"
        ">> Quoted text that flows.\n"
        "> Shallower quote.\n"
        ">not a quote, stuffed\n"
        "-- \n"
        "Signature"
    )


def test_format_flowed_delsp_removes_the_space_at_the_join() -> None:
    body = "日本語の \r\n文章です\r\n".encode()
    assert render_message(
        plain(body, "text/plain; charset=utf-8; format=flowed; delsp=yes")
    ).body == ("日本語の文章です")


def test_fixed_text_is_not_reflowed() -> None:
    assert render_message(plain(b"line one \r\nline two\r\n")).body == "line one \nline two"


# --- bounds -----------------------------------------------------------------------------------
# These bound work that would otherwise grow without limit (seconds to minutes), so they
# measure this process's CPU time: wall time also counts whatever else the machine runs.


def nested_multipart(depth: int, body: bytes) -> bytes:
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(depth)
    )
    closing = b"".join(b"\r\n--b%d--" % i for i in reversed(range(depth)))
    return b"Subject: bomb\r\n" + opening + b"Content-Type: text/plain\r\n\r\n" + body + closing


def test_moderate_nesting_is_shown() -> None:
    rendered = render_message(nested_multipart(MAX_DEPTH - 1, b"deep text"))
    assert rendered.body == "deep text"
    assert rendered.notes == ()


def test_a_nesting_bomb_is_cut_off_quickly() -> None:
    start = time.process_time()
    rendered = render_message(nested_multipart(400, b"line\r\n" * 200_000))
    assert time.process_time() - start < 1.0  # the stdlib parser alone would take ~8 s
    assert rendered.headers == (("Subject", "bomb"),)
    assert rendered.notes == (f"Parts nested more than {MAX_DEPTH} levels deep are not shown",)


def test_deeply_nested_attached_messages_fall_back_to_raw_text() -> None:
    raw = b"From: a@example.org\r\n" + b"Content-Type: message/rfc822\r\n\r\n" * 3000 + b"x"
    rendered = render_message(raw)
    assert rendered.headers == (("From", "a@example.org"),)
    assert (
        rendered.notes[0]
        == "This message could not be parsed (RecursionError); showing its raw text"
    )
    assert rendered.body.startswith("Content-Type: message/rfc822")


def test_a_flood_of_parts_is_capped() -> None:
    parts = b"".join(b"--p\r\nContent-Type: image/gif\r\n\r\nGIF89a\r\n" for _ in range(5000))
    raw = b"Content-Type: multipart/mixed; boundary=p\r\n\r\n" + parts + b"--p--\r\n"
    start = time.process_time()
    rendered = render_message(raw)
    assert time.process_time() - start < 1.0
    assert 900 < len(rendered.attachments) <= 1000
    assert rendered.notes == ("This message has more than 1000 parts; only the first are shown",)


def test_a_long_body_is_truncated_with_a_note() -> None:
    rendered = render_message(plain(b"0123456789" * 1_020_000))
    assert len(rendered.body) == 1_000_000
    assert rendered.notes == ("Truncated: 10.2 MB, showing first 1 MB",)
    small = render_message(plain(b"abcdef"), max_body_chars=4)
    assert (small.body, small.notes) == ("abcd", ("Truncated: 6 B, showing first 4 B",))


def test_a_huge_html_part_is_converted_only_in_part() -> None:
    html = b"<p>para</p>" * 100_000
    rendered = render_message(plain(html, "text/html"), max_body_chars=30_000)
    assert rendered.body.startswith("para\n\npara")
    assert rendered.notes[:2] == (
        "HTML part shown as text",
        "Truncated: HTML part is 1.1 MB, converted first 10 kB",
    )


def test_a_ten_megabyte_message_renders_in_well_under_a_second() -> None:
    text = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n" * 40_000
    pdf = base64.encodebytes(b"%PDF" + bytes(range(256)) * 28_000)
    html = b"<tr><td><p>Hello <b>world</b> <a href='https://x.example/a'>link</a></p></td></tr>\n"
    raw = (
        b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
        b"--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
        b"--a\r\nContent-Type: text/plain\r\n\r\n" + text + b"\r\n"
        b"--a\r\nContent-Type: text/html\r\n\r\n" + html * 30_000 + b"\r\n--a--\r\n"
        b"--m\r\nContent-Type: application/pdf; name=big.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + pdf + b"\r\n--m--\r\n"
    )
    assert len(raw) > 10_000_000
    for prefer_html in (False, True):
        start = time.process_time()
        rendered = render_message(raw, prefer_html=prefer_html)
        elapsed = time.process_time() - start
        assert elapsed < 1.0, elapsed  # measured 0.2-0.45 s
        assert rendered.attachments[0].filename == "big.pdf"


# --- the printed form --------------------------------------------------------------------------


def test_format_rendered_prints_what_tui_mail_read_shows() -> None:
    rendered = render_message(
        message("""
From: Alice <alice@example.org>
To: bob@example.org
Subject: Report
Date: Tue, 03 Mar 2026 10:15:00 +0100
Content-Type: multipart/mixed; boundary=m

--m
Content-Type: text/html

<p>See the <a href="https://example.org/report">report</a> or
<a href="https://evil.example/login">www.paypal.com</a>.</p>
--m
Content-Type: application/pdf; name=report.pdf
Content-Transfer-Encoding: base64

SGVsbG8gd29ybGQ=
--m--
""")
    )
    assert format_rendered(rendered) == (
        "From: Alice <alice@example.org>\n"
        "To: bob@example.org\n"
        "Date: Tue, 03 Mar 2026 10:15:00 +0100\n"
        "Subject: Report\n"
        "\n"
        "[HTML part shown as text]\n"
        "\n"
        "See the report[1] or www.paypal.com[2].\n"
        "\n"
        "Links:\n"
        "[1] https://example.org/report\n"
        '[2] https://evil.example/login  (warning: the link text says "www.paypal.com")\n'
        "\n"
        "Attachments:\n"
        "[1] report.pdf (application/pdf, 11 B)"
    )
    assert format_rendered(rendered, full_headers=True).startswith(
        "From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: Report\n"
        "Date: Tue, 03 Mar 2026 10:15:00 +0100\nContent-Type: multipart/mixed; boundary=m\n\n"
    )


def test_format_rendered_of_a_plain_message_is_headers_blank_line_body() -> None:
    assert (
        format_rendered(render_message(message("Subject: Hi\n\nHello."))) == "Subject: Hi\n\nHello."
    )


# --- never raises, never leaks a control character ---------------------------------------------

CHARSETS = ["utf-8", "iso-8859-1", "x-unknown", "base64", "punycode", "idna", "utf-7", "utf-16", ""]
HOSTILE_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=[]),
        st.sampled_from("\x1b\x9b\x9d\x07\r\n\t\u202e\u2066=?\"';<>/\\.[]"),
    ),
    max_size=40,
)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


header_values = st.one_of(
    st.binary(max_size=60),
    HOSTILE_TEXT.map(_encode),
    st.builds(
        lambda charset, encoding, text: f"=?{charset}?{encoding}?{text}?=".encode(
            "utf-8", "surrogatepass"
        ),
        st.sampled_from([*CHARSETS, "utf-8*en", "?"]),
        st.sampled_from("bBqQx"),
        HOSTILE_TEXT,
    ),
)
header_lines = st.lists(
    st.tuples(
        st.sampled_from(["From", "To", "Cc", "Subject", "Date", "Content-Type", "X-Junk", "From "]),
        header_values,
    ).map(lambda pair: pair[0].encode() + b": " + pair[1].replace(b"\n", b"\n ")),
    max_size=6,
)


HTML_PIECES = [
    *('<a href="', '<a href="https://paypal.example/x">', "</a>", '">', '" alt="', "www.x.example"),
    *('<a href="https://a.example/">link</a>', "<img src=x", "<img alt='", ">", "<br>", "<!--"),
    *("<table><tr><td>", "</td><td>", "<style>", "</style>", "<pre>", "<blockquote>"),
    *("&#27;", "&#x9b;", "&#x202e;", "&#xd800;", "&amp"),
]
html_bodies = st.lists(st.one_of(st.sampled_from(HTML_PIECES), HOSTILE_TEXT), max_size=12).map(
    lambda pieces: _encode("".join(pieces))
)


@st.composite
def leaf_parts(draw: st.DrawFn) -> bytes:
    ctype = draw(
        st.sampled_from(
            [
                *("text/plain", "text/html", "text/enriched", "application/pdf", "image/png"),
                *("message/rfc822", "application/pkcs7-mime", "application/pgp-signature"),
                *("multipart/mixed", "bogus", ""),
            ]
        )
    )
    charset = draw(st.sampled_from(CHARSETS))
    cte = draw(
        st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus"])
    )
    name = _encode(draw(HOSTILE_TEXT))
    params = draw(
        st.sampled_from([b"", b"; format=flowed; delsp=yes", b"; smime-type=signed-data"])
    )
    headers = [
        b"Content-Type: " + ctype.encode() + b"; charset=" + charset.encode() + params,
        b"Content-Transfer-Encoding: " + cte.encode(),
        draw(
            st.sampled_from(
                [b"Content-Disposition: attachment", b"Content-Disposition: inline", b""]
            )
        )
        + draw(
            st.sampled_from([b'; filename="' + name + b'"', b"; filename*=utf-8''" + name, b""])
        ),
    ]
    body = draw(st.one_of(st.binary(max_size=200), HOSTILE_TEXT.map(_encode), html_bodies))
    if cte == "base64" and draw(st.booleans()):
        body = base64.encodebytes(body)
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


@st.composite
def multiparts(draw: st.DrawFn, children: st.SearchStrategy[bytes]) -> bytes:
    subtype = draw(
        st.sampled_from(["mixed", "alternative", "related", "signed", "encrypted", "report"])
    )
    boundary = draw(st.sampled_from([b"b", b"c", b"=_x"]))  # reused on purpose: nested clashes
    parts = draw(st.lists(children, max_size=4))
    protocol = draw(st.sampled_from([b"", b'; protocol="application/pkcs7-signature"']))
    head = (
        b"Content-Type: multipart/"
        + subtype.encode()
        + b'; boundary="'
        + boundary
        + b'"'
        + protocol
    )
    body = b"".join(b"\r\n--" + boundary + b"\r\n" + part for part in parts)
    return head + b"\r\n\r\npreamble" + body + b"\r\n--" + boundary + b"--\r\nepilogue"


def attached_messages(child: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda inner: b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n" + inner, child
    )


mime_trees = st.recursive(
    leaf_parts(),
    lambda children: st.one_of(multiparts(children), attached_messages(children)),
    max_leaves=8,
)


def assert_structure_was_read(rendered: RenderedMessage) -> None:
    # render_message catches everything at its boundary; a crash inside would still pass
    # "never raises", so check that the raw-text fallback was not needed.
    assert not any(note.startswith("This message could not be parsed") for note in rendered.notes)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise_or_leak_controls(raw: bytes) -> None:
    rendered = render_message(raw)
    assert_safe(rendered)
    assert_structure_was_read(rendered)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header_lines, st.binary(max_size=100))
def test_random_header_garbage_never_raises_or_leaks_controls(
    lines: list[bytes], body: bytes
) -> None:
    raw = b"\r\n".join(lines) + b"\r\n\r\n" + body
    rendered = render_message(raw)
    assert_safe(rendered)
    assert_structure_was_read(rendered)
    for line in lines:
        assert not UNSAFE_IN_LINE.search(
            decode_header_value(line.decode("ascii", "surrogateescape"))
        )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header_lines, mime_trees, st.booleans())
def test_random_mime_trees_never_raise_or_leak_controls(
    lines: list[bytes], tree: bytes, prefer_html: bool
) -> None:
    raw = b"\r\n".join([*lines, tree])
    rendered = render_message(raw, prefer_html=prefer_html, max_body_chars=5000)
    assert_safe(rendered)
    assert_structure_was_read(rendered)
    for attachment in rendered.attachments:
        # The same choice of alternative as the render: it can change which parts are attachments.
        assert attachment_data(raw, attachment.index, prefer_html=prefer_html) is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_bodies)
def test_random_html_never_raises_or_leaks_controls(html: bytes) -> None:
    rendered = render_message(b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html)
    assert_safe(rendered)
    assert_structure_was_read(rendered)
    assert [link.number for link in rendered.links] == list(range(1, len(rendered.links) + 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header_lines, st.sampled_from([b"\r\n", b"\n"]), st.binary(max_size=300))
def test_the_single_part_shortcut_parses_exactly_like_the_stdlib(
    lines: list[bytes], newline: bytes, tail: bytes
) -> None:
    raw = newline.join(lines) + newline + newline + b"x" * 70_000 + newline + tail
    ours, stdlib = parse_message(raw), BytesParser(policy=compat32).parsebytes(raw)
    assert list(ours.raw_items()) == list(stdlib.raw_items())
    assert ours.is_multipart() == stdlib.is_multipart()
    if not stdlib.is_multipart():
        assert ours.get_payload(decode=True) == stdlib.get_payload(decode=True)
