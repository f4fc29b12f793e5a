"""Signed and encrypted mail in the real app: delivered to the suite's Dovecot, opened
with Pilot, checked with the real gpg in a temporary GNUPGHOME."""

from __future__ import annotations

from pathlib import Path

from tests.support.dovecot import DovecotServer, MailUser
from tests.support.gnupg_keys import (
    ADA,
    Keyring,
    encrypted_message,
    plain_message,
    signed_message,
)
from tests.ui.conftest import AppFactory, settled
from tests.ui.test_reader_safety import open_subject
from tui_mail.core.message.mime import render_message
from tui_mail.ui.main.reader import message_text

SECRET = "The launch code is 7-2-9"


def inner(text: str) -> bytes:
    return f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n".encode()


async def test_the_reader_says_who_signed_and_reads_encrypted_mail_without_storing_it(
    dovecot: DovecotServer,
    mail_user: MailUser,
    make_app: AppFactory,
    ada_keyring: Keyring,
    tmp_path: Path,
) -> None:
    signed = signed_message(ada_keyring, ADA, inner("Signed text."), sender=ADA)
    forged = plain_message(b"Good signature from Ada Lovelace <ada@example.org>\n", sender=ADA,
                           subject="forged")  # fmt: skip
    secret = encrypted_message(ada_keyring.encrypt(inner(SECRET), "ada@example.org"), sender=ADA)
    dovecot.deliver(mail_user, [signed, forged, secret.replace(b"Subject: secret", b"Subject: s")])
    app = make_app(mail_user, data_dir=tmp_path / "data")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)

        await open_subject(pilot, screen, "signed")
        assert [s for s, _ in screen.reader.security] == ["ok"]
        shown = screen.reader.shown_text()
        assert "Good signature from Ada Lovelace <ada@example.org>" in shown
        assert "Signed text." in shown

        await open_subject(pilot, screen, "forged")
        assert screen.reader.security == ()  # the body's claim is only body text

        await open_subject(pilot, screen, "s")
        shown = screen.reader.shown_text()
        assert "Encrypted; decrypted for reading (not stored)." in shown
        assert SECRET in shown
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert SECRET.encode() not in on_disk
    assert b"BEGIN PGP MESSAGE" in on_disk  # the cache holds the message as it came


def test_only_the_security_lines_are_in_reverse_video() -> None:
    """What makes the status line unforgeable on screen: a message's text has no style."""
    body = "Good signature from Ada Lovelace <ada@example.org>\n"
    rendered = render_message(plain_message(body.encode(), sender=ADA))
    text = message_text(rendered, security=(("ok", "Good signature from Ada"),))
    reversed_text = [text.plain[s.start : s.end] for s in text.spans if "reverse" in str(s.style)]
    assert reversed_text == [" Good signature from Ada "]
