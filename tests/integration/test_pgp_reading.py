"""Reading PGP mail with the real gpg: keys made in a temporary GNUPGHOME, messages signed
and encrypted by gpg itself. Each test checks what the report lets the reader claim."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.gnupg_keys import (
    ADA,
    Keyring,
    encrypted_message,
    keyring_with,
    plain_message,
    signed_message,
    stop_agent,
)
from tui_mail.core.crypto.gnupg import GnuPG
from tui_mail.core.crypto.secured import needs_checking, open_secured
from tui_mail.core.crypto.verdict import Severity, SigState
from tui_mail.core.message.mime import render_message

INNER = b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe patch series is ready.\r\n"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Keyring, Keyring]]:
    """(the user's keyring holding Ada's own key; a stranger's keyring, Eve)."""
    with (
        keyring_with(tmp_path_factory.mktemp("user") / "gnupg", ADA) as user,
        keyring_with(tmp_path_factory.mktemp("eve") / "gnupg", "Eve <eve@example.net>") as eve,
    ):
        yield user, eve


@pytest.fixture(scope="module")
def gpg(keys: tuple[Keyring, Keyring]) -> GnuPG:
    return GnuPG(home=keys[0].home)


def lines(raw: bytes, gpg: GnuPG) -> list[tuple[Severity, str]]:
    return open_secured(raw, gpg).report.lines()


def test_good_signature_names_the_signer_and_the_fingerprint(
    keys: tuple[Keyring, Keyring], gpg: GnuPG
) -> None:
    user, _ = keys
    raw = signed_message(user, ADA, INNER, sender=ADA)
    opened = open_secured(raw, gpg)
    [(severity, text)] = opened.report.lines()
    assert severity is Severity.OK
    assert text.startswith("Good signature from Ada Lovelace <ada@example.org> (")
    assert " ".join(user.fingerprint(ADA)[i : i + 4] for i in range(0, 40, 4)) in text
    assert "ultimately trusted" in text
    rendered = render_message(opened.raw)
    assert "The patch series is ready." in rendered.body
    assert ("From", ADA) in rendered.headers


def test_mail_stored_with_bare_newlines_still_verifies(
    keys: tuple[Keyring, Keyring], gpg: GnuPG
) -> None:
    raw = signed_message(keys[0], ADA, INNER, sender=ADA).replace(b"\r\n", b"\n")
    [(severity, text)] = lines(raw, gpg)
    assert (severity, text[:14]) == (Severity.OK, "Good signature")


def test_a_changed_body_is_a_bad_signature(keys: tuple[Keyring, Keyring], gpg: GnuPG) -> None:
    raw = signed_message(keys[0], ADA, INNER, sender=ADA).replace(b"is ready", b"is broken")
    [(severity, text)] = lines(raw, gpg)
    assert severity is Severity.BAD
    assert text.startswith("BAD signature")
    assert open_secured(raw, gpg).report.failed


def test_unknown_key_and_a_from_address_the_key_does_not_carry(
    keys: tuple[Keyring, Keyring], gpg: GnuPG
) -> None:
    user, stranger = keys
    [(severity, text)] = lines(signed_message(stranger, "eve@example.net", INNER, sender=ADA), gpg)
    assert severity is Severity.WARN
    assert text.startswith("Signed with a key you do not have")
    spoof = signed_message(user, ADA, INNER, sender="Bank <security@bank.example>")
    [(severity, text)] = lines(spoof, gpg)
    assert severity is Severity.WARN
    assert "does not carry the From address (security@bank.example)" in text


def test_encrypted_and_signed_inside_is_decrypted_in_memory(
    keys: tuple[Keyring, Keyring], gpg: GnuPG
) -> None:
    user, _ = keys
    armored = user.encrypt(INNER, "ada@example.org", sign_as=ADA)
    raw = encrypted_message(armored, sender=ADA)
    opened = open_secured(raw, gpg)
    texts = [text for _severity, text in opened.report.lines()]
    assert texts[0] == "Encrypted; decrypted for reading (not stored)."
    assert texts[1].startswith("Good signature from Ada Lovelace")
    assert "The patch series is ready." in render_message(opened.raw).body
    assert b"patch series" not in raw  # the input (what the cache holds) stays ciphertext
    assert b"patch series" not in repr(opened).encode()


def test_encrypted_to_someone_else_says_why(keys: tuple[Keyring, Keyring], gpg: GnuPG) -> None:
    _, stranger = keys
    raw = encrypted_message(stranger.encrypt(INNER, "eve@example.net"), sender=ADA)
    [(severity, text)] = lines(raw, gpg)
    assert severity is Severity.BAD
    assert "not encrypted to any key you have" in text


def test_inline_clearsigned_with_unsigned_text_around_it(
    keys: tuple[Keyring, Keyring], gpg: GnuPG
) -> None:
    user, _ = keys
    block = user.clearsign(b"Only this line is signed.\n", ADA)
    raw = plain_message(b"Added by a list footer\n" + block + b"\nunsubscribe here\n", sender=ADA)
    assert needs_checking(raw)
    report = open_secured(raw, gpg).report
    severities = [severity for severity, _text in report.lines()]
    texts = " / ".join(text for _s, text in report.lines())
    assert "Good signature from Ada Lovelace" in texts
    assert "text outside its PGP block: that text is NOT signed" in texts
    assert Severity.WARN in severities


def test_a_signed_part_beside_unsigned_ones_is_said(
    keys: tuple[Keyring, Keyring], gpg: GnuPG
) -> None:
    """The spoofing trick: an unsigned part claims the signature, a signed part elsewhere."""
    user, _ = keys
    signed = signed_message(user, ADA, INNER, sender=ADA)
    signed_entity = signed.split(b"MIME-Version: 1.0\r\n", 1)[1]
    raw = (
        (
            f"From: {ADA}\r\nSubject: mixed\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n--mix\r\n'
            "Content-Type: text/plain\r\n\r\nGood signature from Ada Lovelace: pay the invoice.\r\n"
            "--mix\r\n"
        ).encode()
        + signed_entity
        + b"\r\n--mix--\r\n"
    )
    texts = [text for _s, text in lines(raw, gpg)]
    assert texts[0].startswith("Part 2 only: Good signature from Ada Lovelace")
    assert texts[-1] == "The rest of the message is not signed or encrypted."


def test_a_forged_status_line_in_an_unsigned_body_claims_nothing(gpg: GnuPG) -> None:
    raw = plain_message(b"Good signature from Ada Lovelace <ada@example.org>\n", sender=ADA)
    assert not needs_checking(raw)
    report = open_secured(raw, gpg).report
    assert report.empty
    assert report.lines() == []


def test_hostile_user_id_reaches_the_screen_sanitised(
    tmp_path: Path, keys: tuple[Keyring, Keyring]
) -> None:
    mallory = "Mallory \u202eexample\u202c <mallory@example.net>"
    with (
        keyring_with(tmp_path / "hostile", mallory) as hostile,
        keyring_with(tmp_path / "user") as user,
    ):
        user.import_keys(hostile.export("mallory@example.net"))
        raw = signed_message(hostile, "mallory@example.net", INNER, sender="mallory@example.net")
        [(_severity, text)] = lines(raw, GnuPG(home=user.home))
        assert "\u202e" not in text and "\x1b" not in text
        assert "mallory@example.net" in text
        assert "could belong to anyone" in text  # imported, never certified


def test_a_locked_key_fails_at_once_and_asks_for_its_passphrase(tmp_path: Path) -> None:
    lin = "Lin <lin@example.org>"
    with keyring_with(tmp_path / "locked", lin, passphrase="correct horse") as locked:
        raw = encrypted_message(locked.encrypt(INNER, "lin@example.org"), sender=ADA)
        stop_agent(locked)  # nothing cached: decrypting needs the passphrase
        gpg = GnuPG(home=locked.home)
        report = open_secured(raw, gpg).report
        assert report.locked
        [(severity, text)] = report.lines()
        assert severity is Severity.BAD
        assert "passphrase" in text
        assert gpg.unlock_command()[-3:] == ["--decrypt", "--output", "/dev/null"]


def test_states_are_typed(keys: tuple[Keyring, Keyring], gpg: GnuPG) -> None:
    raw = signed_message(keys[0], ADA, INNER, sender=ADA).replace(b"ready", b"ready!")
    finding = open_secured(raw, gpg).report.findings[0]
    assert finding.signature is not None
    assert finding.signature.state is SigState.BAD


def test_signed_inside_by_an_unknown_key_is_said(keys: tuple[Keyring, Keyring], gpg: GnuPG) -> None:
    user, stranger = keys
    stranger.import_keys(user.export("ada@example.org"))
    armored = stranger.encrypt(INNER, "ada@example.org", sign_as="eve@example.net")
    texts = [t for _s, t in lines(encrypted_message(armored, sender=ADA), gpg)]
    assert texts[0] == "Encrypted; decrypted for reading (not stored)."
    assert texts[1].startswith("Signed with a key you do not have")


def test_a_changed_ciphertext_shows_no_clear_text(
    keys: tuple[Keyring, Keyring], gpg: GnuPG
) -> None:
    """EFAIL's malleability: ciphertext changed on the way must not be shown decrypted."""
    user, _ = keys
    armored = user.encrypt(INNER * 40, "ada@example.org")
    lines_of = armored.split(b"\n")
    middle = len(lines_of) // 2
    line = bytearray(lines_of[middle])
    line[10] = ord("A") if line[10] != ord("A") else ord("B")
    lines_of[middle] = bytes(line)
    opened = open_secured(encrypted_message(b"\n".join(lines_of), sender=ADA), gpg)
    assert opened.report.failed
    assert b"patch series" not in opened.raw
    assert "patch series" not in render_message(opened.raw).body


def test_html_around_a_signed_part_is_not_covered(
    keys: tuple[Keyring, Keyring], gpg: GnuPG
) -> None:
    user, _ = keys
    signed_entity = signed_message(user, ADA, INNER, sender=ADA).split(b"MIME-Version: 1.0\r\n", 1)[
        1
    ]
    raw = (
        (
            f"From: {ADA}\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="h"\r\n\r\n--h\r\n'
            "Content-Type: text/html\r\n\r\n<p style=color:green>&#10004; Good signature</p>"
            "<p>Wire the money today.</p>\r\n--h\r\n"
        ).encode()
        + signed_entity
        + b"\r\n--h--\r\n"
    )
    texts = [text for _s, text in lines(raw, gpg)]
    assert texts[0].startswith("Part 2 only: Good signature")
    assert texts[-1] == "The rest of the message is not signed or encrypted."
