"""Composing replies, forwards and new messages (no network)."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tests.support.dovecot import make_message
from tui_mail.config import AccountConfig
from tui_mail.core.errors import UsageError
from tui_mail.core.models import Flag
from tui_mail.core.sending.compose import (
    DRAFT_INFO_HEADER,
    FileAttachment,
    Origin,
    build_message,
    compose_forward,
    compose_new,
    compose_reply,
    envelope,
    parse_addresses,
    preview,
    reopen_draft,
)

ME = AccountConfig(
    name="work", email="me@example.org", display_name="Mé Myself",
    aliases=("Alias@Example.net",),
)  # fmt: skip


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    text: str = part.get_content()
    return text


def original(**headers: str) -> bytes:
    settings = {"from_": "Alice <alice@example.com>", "to": "me@example.org",
                "message_id": "<orig@example.com>", "body": "Hello there.\n"}  # fmt: skip
    settings.update(headers)
    return make_message(0, **settings)


# -- replies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Hi", "Re: Hi"),
        ("Re: Hi", "Re: Hi"),
        ("RE: re[2]:  Re:Hi", "Re: Hi"),
        ("AW: Hi", "Re: Hi"),
        ("Fwd: Hi", "Re: Fwd: Hi"),
        ("Grüße", "Re: Grüße"),
        ("", "Re: "),
    ],
)
def test_a_reply_has_exactly_one_re(subject: str, expected: str) -> None:
    draft = compose_reply(ME, original(subject=subject), folder="INBOX", uid=1)
    assert draft.subject == expected


def test_a_reply_goes_to_reply_to_else_from() -> None:
    plain = compose_reply(ME, original(), folder="INBOX", uid=1)
    assert (plain.to, plain.cc) == ("Alice <alice@example.com>", "")
    listed = compose_reply(ME, original(reply_to="List <list@example.com>"), folder="INBOX", uid=1)
    assert listed.to == "List <list@example.com>"


def test_reply_all_adds_to_and_cc_but_never_our_own_addresses() -> None:
    raw = original(
        reply_to="Alice <alice@example.com>",
        to="ME@example.org, Bob <bob@example.com>, alias@example.net",
        cc='"Doe, Carol" <carol@example.com>, bob@example.com, Me <me@EXAMPLE.org>',
    )
    draft = compose_reply(ME, raw, folder="INBOX", uid=1, reply_all=True)
    assert draft.to == "Alice <alice@example.com>, Bob <bob@example.com>"
    assert draft.cc == '"Doe, Carol" <carol@example.com>'
    assert draft.from_addr == "Mé Myself <Alias@Example.net>"  # it was sent to the alias


def test_replying_to_our_own_message_goes_to_its_recipients() -> None:
    raw = original(from_="Me <me@example.org>", to="Bob <bob@example.com>")
    assert compose_reply(ME, raw, folder="Sent", uid=3).to == "Bob <bob@example.com>"


def test_reply_threading_headers_and_origin() -> None:
    raw = original(references="<a@x> <b@x>", in_reply_to="<b@x>")
    draft = compose_reply(ME, raw, folder="INBOX", uid=42)
    assert draft.in_reply_to == "<orig@example.com>"
    assert draft.references == "<a@x> <b@x> <orig@example.com>"
    assert draft.origin == Origin("INBOX", 42, Flag.ANSWERED)
    no_refs = compose_reply(ME, original(references="", in_reply_to="<b@x>"), folder="I", uid=1)
    assert no_refs.references == "<b@x> <orig@example.com>"
    long_chain = " ".join(f"<{i}@x>" for i in range(40))
    trimmed = compose_reply(ME, original(references=long_chain), folder="I", uid=1)
    ids = trimmed.references.split()
    assert len(ids) == 20 and ids[0] == "<0@x>" and ids[-2:] == ["<39@x>", "<orig@example.com>"]


def test_the_original_is_quoted_under_an_attribution_line_with_our_text_after() -> None:
    raw = original(date="Tue, 02 Jan 2024 10:15:00 +0100", body="Line one.\n> earlier\n\nEnd.\n")
    draft = compose_reply(ME, raw, folder="INBOX", uid=1, text="My answer.")
    assert draft.body == (
        "On Tue, 02 Jan 2024 at 10:15, Alice <alice@example.com> wrote:\n"
        "> Line one.\n>> earlier\n>\n> End.\n\nMy answer.\n"
    )


def test_replying_to_html_only_mail_quotes_its_text_rendering() -> None:
    html = (
        b"From: Shop <shop@example.com>\nTo: me@example.org\nSubject: Offer\n"
        b"Message-ID: <h@example.com>\nContent-Type: text/html; charset=utf-8\n\n"
        b"<html><body><p>Dear <b>customer</b>,</p><script>evil()</script>"
        b'<p>See <a href="https://example.com/deal">the deal</a>.</p></body></html>\n'
    )
    draft = compose_reply(ME, html, folder="INBOX", uid=1)
    quote = draft.body
    assert "> Dear **customer**" in quote and "> See the deal[1]." in quote
    assert "<p>" not in quote and "evil" not in quote
    assert "> [1] https://example.com/deal" in quote


def test_signature_goes_last() -> None:
    signed = AccountConfig(name="w", email="me@example.org", signature="Me\n")
    draft = compose_reply(signed, original(), folder="INBOX", uid=1, text="Thanks.")
    assert draft.body.endswith("> Hello there.\n\nThanks.\n\n-- \nMe\n")
    assert compose_new(signed).body == "\n\n-- \nMe\n"


# -- forwards -----------------------------------------------------------------------------


def test_an_inline_forward_quotes_headers_and_text_and_keeps_the_attachments() -> None:
    with_file = build_message(ME, _draft_with_attachment()).as_bytes()
    draft = compose_forward(ME, with_file, folder="INBOX", uid=5, to="dan@example.org",
                            text="FYI.")  # fmt: skip
    assert draft.subject == "Fwd: Report"
    assert draft.origin == Origin("INBOX", 5, Flag.FORWARDED)
    assert draft.body.startswith("FYI.\n\n---------- Forwarded message ----------\nFrom: Mé")
    assert "Subject: Report\nTo: zoe@example.org\n\nSee attached.\n" in draft.body
    [attached] = draft.attachments
    assert (attached.filename, attached.content_type) == ("data.csv", "text/csv")
    assert attached.data == b"a,b\n1,2\n"
    again = compose_forward(ME, build_message(ME, draft).as_bytes(), folder="I", uid=1)
    assert again.subject == "Fwd: Report"


def test_forwarding_as_attachment_keeps_the_original_byte_for_byte() -> None:
    eight_bit = (
        b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\r\nTo: me@example.org\r\n"
        b"Subject: caf\xc3\xa9 raw 8-bit\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9fe!\r\n"
    )
    draft = compose_forward(ME, eight_bit, folder="INBOX", uid=5, as_attachment=True,
                            to="dan@example.org")  # fmt: skip
    raw = build_message(ME, draft).as_bytes()
    assert eight_bit in raw
    [part] = list(parsed(raw).iter_attachments())
    assert part.get_content_type() == "message/rfc822"
    assert part["Content-Transfer-Encoding"] == "8bit"
    assert part.get_filename() == "café raw 8-bit.eml"


# -- building -----------------------------------------------------------------------------


def _draft_with_attachment() -> object:
    draft = compose_new(ME, to="zoe@example.org", subject="Report", text="See attached.")
    draft.attachments.append(FileAttachment("data.csv", "text/csv", b"a,b\n1,2\n"))
    return draft


def test_a_built_message_is_ascii_with_encoded_names_date_and_message_id() -> None:
    draft = compose_new(ME, to="Zoë Ümlaut <zoe@example.org>", cc="Бор <bor@example.org>",
                        subject="Grüße\r\nBcc: injected@evil.example", text="Hällo\n")  # fmt: skip
    message = build_message(ME, draft)
    raw = message.as_bytes()
    assert raw.isascii()
    assert b"=?utf-8?" in raw and b"injected@evil.example>" not in raw
    back = parsed(raw)
    assert back["To"] == "Zoë Ümlaut <zoe@example.org>"
    assert back["Cc"] == "Бор <bor@example.org>"
    assert back["From"] == "Mé Myself <me@example.org>"
    assert back["Subject"] == "Grüße Bcc: injected@evil.example"
    assert back["Bcc"] is None
    assert back["Message-ID"] == draft.message_id and draft.message_id.endswith("@example.org>")
    assert back["Date"] is not None
    assert body_of(back) == "Hällo\n"
    assert build_message(ME, draft)["Message-ID"] == draft.message_id  # stable across builds


def test_attachment_types_come_from_the_file_name(tmp_path: Path) -> None:
    names = {
        "photo.png": "image/png",
        "paper.pdf": "application/pdf",
        "src.tar.gz": "application/gzip",
        "blob.unknownext": "application/octet-stream",
    }
    draft = compose_new(ME, to="zoe@example.org", subject="files")
    for name in names:
        (tmp_path / name).write_bytes(name.encode() + bytes(range(256)))
        draft.attachments.append(FileAttachment.from_path(tmp_path / name))
    message = parsed(build_message(ME, draft).as_bytes())
    found = {part.get_filename(): part for part in message.iter_attachments()}
    assert {name: part.get_content_type() for name, part in found.items()} == names
    assert all(found[n].get_content() == n.encode() + bytes(range(256)) for n in names)
    with pytest.raises(UsageError, match=r"Cannot attach .*missing\.txt"):
        FileAttachment.from_path(tmp_path / "missing.txt")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("bob", "not a complete email address"),
        ("a@example.org; c@example.org", "separate addresses with commas"),
        ("Bob <bob@example.org", "separate addresses with commas"),
        ("müller@example.de", "non-ASCII characters before the @"),
        ("x@", "cannot read"),
    ],
)
def test_a_bad_address_names_the_field(text: str, problem: str) -> None:
    draft = compose_new(ME, cc=text, to="ok@example.org", subject="x")
    with pytest.raises(UsageError, match=problem) as caught:
        build_message(ME, draft)
    assert str(caught.value).startswith("Cc: ")


def test_international_domains_are_sent_as_punycode() -> None:
    [address] = parse_addresses("Ana <ana@bücher.example>")
    assert address.addr_spec == "ana@xn--bcher-kva.example"


def test_from_must_be_the_account_or_an_alias() -> None:
    draft = compose_new(ME, to="zoe@example.org", subject="x")
    draft.from_addr = "Someone <ceo@example.com>"
    with pytest.raises(UsageError, match="not an address of account 'work'"):
        build_message(ME, draft)
    draft.from_addr = "alias@example.net"
    assert build_message(ME, draft)["From"] == "alias@example.net"


def test_sending_needs_a_recipient_but_a_draft_does_not() -> None:
    draft = compose_new(ME, subject="Later")
    with pytest.raises(UsageError, match="no recipients"):
        build_message(ME, draft)
    assert build_message(ME, draft, for_drafts=True)["To"] is None


def test_the_envelope_has_every_recipient_once_including_bcc() -> None:
    draft = compose_new(ME, to="a@example.org, B@example.org", cc="b@example.org",
                        bcc="hidden@example.org", subject="x")  # fmt: skip
    assert envelope(build_message(ME, draft)) == (
        "me@example.org", ["a@example.org", "B@example.org", "hidden@example.org"],
    )  # fmt: skip


def test_a_postponed_draft_reopens_as_it_was() -> None:
    draft = compose_reply(ME, original(), folder="INBOX", uid=9, text="Half written")
    draft.bcc = "Hidden Person <hidden@example.org>"
    draft.attachments.append(FileAttachment("notes.txt", "text/plain", b"notes\n"))
    stored = build_message(ME, draft, for_drafts=True).as_bytes()
    assert DRAFT_INFO_HEADER.encode() in stored
    assert DRAFT_INFO_HEADER not in build_message(ME, draft)

    again = reopen_draft(ME, stored, folder="Drafts", uid=77)
    assert (again.to, again.cc, again.bcc, again.subject) == (
        draft.to, draft.cc, draft.bcc, draft.subject
    )  # fmt: skip
    assert again.body == draft.body
    assert (again.in_reply_to, again.references) == (draft.in_reply_to, draft.references)
    assert again.message_id == draft.message_id
    assert again.origin == Origin("INBOX", 9, Flag.ANSWERED)
    assert again.drafts_copy == ("Drafts", 77)
    assert [(a.filename, a.content_type, a.data) for a in again.attachments] == [
        ("notes.txt", "text/plain", b"notes\n")
    ]


def test_a_draft_from_another_client_has_no_origin() -> None:
    raw = original(**{"x_tui_mail_draft": "not base64 json"})
    draft = reopen_draft(ME, raw, folder="Drafts", uid=1)
    assert draft.origin is None and draft.body == "Hello there.\n"


def test_the_preview_shows_what_will_be_sent_with_the_bcc() -> None:
    draft = compose_new(ME, to="zoe@example.org", bcc="hidden@example.org", subject="Look",
                        text="Body text.")  # fmt: skip
    shown = preview(ME, draft)
    assert "To: zoe@example.org\n" in shown and "Subject: Look" in shown
    assert "Bcc: hidden@example.org\n\nBody text." in shown
