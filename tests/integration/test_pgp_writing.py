"""Writing PGP/MIME with the real gpg: what leaves is signed or encrypted as asked, can be
read back by the recipient's own gpg, and nothing is sent in clear by accident."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from tests.integration.test_send import (  # noqa: F401 (fixtures)
    Run,
    account,
    both_cas,
    cli,
    folder_messages,
)
from tests.support.dovecot import DovecotServer, MailUser
from tests.support.gnupg_keys import ADA, Keyring, keyring_with
from tests.support.smtp import SmtpServer
from tui_mail.config import AccountConfig
from tui_mail.core.crypto.gnupg import GnuPG
from tui_mail.core.crypto.protect import MissingKeys, protect
from tui_mail.core.crypto.reading import read_secured
from tui_mail.core.crypto.secured import open_secured
from tui_mail.core.crypto.verdict import Severity
from tui_mail.core.errors import UsageError
from tui_mail.core.message.mime import render_message

BOB = "Bob <bob@example.net>"
BODY = "Grüße, the numbers are final.\n"


@pytest.fixture(scope="module")
def rings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Keyring, Keyring]]:
    """(Ada's keyring with Bob's public key; Bob's keyring with Ada's public key)."""
    with (
        keyring_with(tmp_path_factory.mktemp("ada") / "g", ADA) as ada,
        keyring_with(tmp_path_factory.mktemp("bob") / "g", BOB) as bob,
    ):
        ada.import_keys(bob.export("bob@example.net"))
        bob.import_keys(ada.export("ada@example.org"))
        yield ada, bob


def message(to: str = BOB, bcc: str = "") -> EmailMessage:
    built = EmailMessage(policy=SMTP)
    built["From"], built["To"], built["Subject"] = ADA, to, "Numbers"
    if bcc:
        built["Bcc"] = bcc
    built.set_content(BODY, cte="8bit")
    built.add_attachment(b"\x00\x01binary", maintype="application", subtype="octet-stream",
                         filename="data.bin")  # fmt: skip
    return built


def test_signed_mail_verifies_at_the_recipient_with_its_8bit_text_intact(
    rings: tuple[Keyring, Keyring],
) -> None:
    ada, bob = rings
    raw = protect(message(), GnuPG(home=ada.home), sign=True, encrypt=False)
    assert b"multipart/signed" in raw and b"8bit" not in raw.split(b"\r\n\r\n", 1)[1]
    opened = open_secured(raw, GnuPG(home=bob.home))
    [(severity, text)] = opened.report.lines()
    assert text.startswith("Good signature from Ada Lovelace <ada@example.org>")
    assert severity is Severity.WARN  # Bob never certified Ada's key: said, not hidden
    assert render_message(opened.raw).body.startswith("Grüße, the numbers are final.")


def test_encrypted_and_signed_mail_reads_for_the_recipient_and_the_sender_only(
    rings: tuple[Keyring, Keyring], tmp_path: Path
) -> None:
    ada, bob = rings
    raw = protect(message(), GnuPG(home=ada.home), sign=True, encrypt=True)
    assert b"numbers are final" not in raw and b"data.bin" not in raw
    assert b"Subject: Numbers" in raw  # outer headers stay for the servers
    for reader in (bob, ada):  # Ada's Sent copy must stay readable
        texts = [t for _s, t in open_secured(raw, GnuPG(home=reader.home)).report.lines()]
        assert texts[0] == "Encrypted; decrypted for reading (not stored)."
        assert texts[1].startswith("Good signature from Ada Lovelace")
    with keyring_with(tmp_path / "eve") as stranger:
        report = open_secured(raw, GnuPG(home=stranger.home)).report
    assert report.failed


def test_a_recipient_without_a_key_stops_the_message(rings: tuple[Keyring, Keyring]) -> None:
    ada, _ = rings
    with pytest.raises(MissingKeys) as refused:
        protect(message(to=f"{BOB}, carol@example.com"), GnuPG(home=ada.home), sign=False,
                encrypt=True)  # fmt: skip
    assert refused.value.addresses == ["carol@example.com"]
    assert "carol@example.com" in str(refused.value) and "NOT sent" in str(refused.value)
    with pytest.raises(UsageError, match="cannot have Bcc"):
        protect(message(bcc="bob@example.net"), GnuPG(home=ada.home), sign=False, encrypt=True)


def test_cli_send_sign_encrypt_through_smtp_and_the_sent_folder(
    cli: Run,  # noqa: F811
    smtp: SmtpServer,
    dovecot: DovecotServer,
    mail_user: MailUser,
    account: AccountConfig,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with (
        keyring_with(tmp_path / "me", f"Me <{account.email}>") as me,
        keyring_with(tmp_path / "bob", BOB) as bob,
    ):
        me.import_keys(bob.export("bob@example.net"))
        bob.import_keys(me.export(account.email))
        monkeypatch.setenv("GNUPGHOME", str(me.home))

        refused = cli("send", "--to", "carol@example.com", "--subject", "x", "--encrypt",
                      stdin="secret plans\n")  # fmt: skip
        assert refused.returncode == 2
        assert "No usable key for carol@example.com" in refused.stderr
        assert smtp.messages == []

        sent = cli("send", "--to", BOB, "--subject", "Plans", "--sign", "--encrypt",
                   stdin="secret plans\n")  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        [received] = smtp.messages
        assert b"secret plans" not in received.data
        monkeypatch.setenv("GNUPGHOME", str(bob.home))
        bobs = read_secured(received.data)
        assert "secret plans" in render_message(bobs.raw).body
        assert bobs.lines[1][1].startswith(f"Good signature from Me <{account.email}>")
        [filed] = folder_messages(dovecot, mail_user, "Sent")
        assert b"secret plans" not in filed
        monkeypatch.setenv("GNUPGHOME", str(me.home))
        assert "secret plans" in render_message(read_secured(filed).raw).body


def test_an_encrypted_draft_is_kept_encrypted_to_you_and_sent_encrypted(
    cli: Run,  # noqa: F811
    smtp: SmtpServer,
    dovecot: DovecotServer,
    mail_user: MailUser,
    account: AccountConfig,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with (
        keyring_with(tmp_path / "me", f"Me <{account.email}>") as me,
        keyring_with(tmp_path / "bob", BOB) as bob,
    ):
        me.import_keys(bob.export("bob@example.net"))
        monkeypatch.setenv("GNUPGHOME", str(me.home))
        saved = cli("postpone", "--to", BOB, "--subject", "Later", "--encrypt",
                    stdin="draft of the plans\n")  # fmt: skip
        assert saved.returncode == 0, saved.stderr
        [draft] = folder_messages(dovecot, mail_user, "Drafts")
        assert b"draft of the plans" not in draft and b"multipart/encrypted" in draft
        assert b"X-TUI-Mail-Draft-Crypto: encrypt" in draft
        sent = cli("send", "--draft", saved.stdout.strip())
        assert sent.returncode == 0, sent.stderr
        [received] = smtp.messages
        assert b"draft of the plans" not in received.data
        monkeypatch.setenv("GNUPGHOME", str(bob.home))
        assert "draft of the plans" in render_message(read_secured(received.data).raw).body
        assert folder_messages(dovecot, mail_user, "Drafts") == []
