"""Autocrypt Level 1 with the real gpg: peers' keys learnt from headers into a keyring
of their own, the spec's state and recommendation rules, our header on outgoing mail,
and encryption to a learnt key."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.support.gnupg_keys import Keyring, keyring_with
from tui_mail.core.crypto.autocrypt import (
    STALE_SECONDS,
    AutocryptStore,
    Recommendation,
    outgoing_header,
    parse_header,
)
from tui_mail.core.crypto.gnupg import GnuPG
from tui_mail.core.crypto.protect import MissingKeys, protect
from tui_mail.core.crypto.secured import open_secured

BOB = "bob@example.net"
NOW = 1_790_000_000.0


@pytest.fixture
def rings(tmp_path: Path) -> Iterator[tuple[Keyring, Keyring]]:
    with (
        keyring_with(tmp_path / "me", "Me <me@example.org>") as me,
        keyring_with(tmp_path / "bob", f"Bob <{BOB}>") as bob,
    ):
        yield me, bob


def mail_from(sender: str, when: float, header: str | None) -> bytes:
    date = format_datetime(datetime.fromtimestamp(when, UTC))
    head = f"From: {sender}\r\nTo: me@example.org\r\nDate: {date}\r\nSubject: hi\r\n"
    if header is not None:
        head += f"Autocrypt: {header}\r\n"
    return (head + "\r\nhello\r\n").encode()


def header_for(keyring: Keyring, address: str, *, mutual: bool = True) -> str:
    value = outgoing_header(GnuPG(home=keyring.home), address, mutual=mutual)
    assert value is not None
    return value


def test_parse_header_follows_the_spec() -> None:
    key = base64.b64encode(b"\x99key").decode()
    assert parse_header(f"addr=A@x.org; keydata={key}") is not None
    parsed = parse_header(f"addr=a@x.org; prefer-encrypt=mutual; _extra=1; keydata={key}")
    assert parsed is not None and parsed.prefer_encrypt == "mutual" and parsed.addr == "a@x.org"
    assert parse_header(f"addr=a@x.org; critical=1; keydata={key}") is None
    assert parse_header("addr=a@x.org; keydata=!!!") is None
    assert parse_header(f"keydata={key}") is None


def test_learnt_key_gives_encryption_and_never_enters_the_users_keyring(
    rings: tuple[Keyring, Keyring], tmp_path: Path
) -> None:
    me, bob = rings
    store = AutocryptStore(tmp_path / "autocrypt")
    assert store.recommend([BOB]) is Recommendation.DISABLE
    assert store.learn(mail_from(f"Bob <{BOB}>", NOW - 10, header_for(bob, BOB)), now=NOW)
    peer = store.peer(BOB)
    assert peer is not None and peer.prefer_encrypt == "mutual"
    assert peer.fingerprint == bob.fingerprint(BOB)
    assert store.recommend([BOB]) is Recommendation.AVAILABLE
    assert store.recommend([BOB], own_prefers_mutual=True) is Recommendation.ENCRYPT
    assert store.recommend([BOB, "carol@example.com"]) is Recommendation.DISABLE
    assert GnuPG(home=me.home).encryption_keys([BOB]) == {BOB: None}  # not in my keyring
    assert oct((tmp_path / "autocrypt" / "peers.json").stat().st_mode)[-3:] == "600"

    message = EmailMessage(policy=SMTP)
    message["From"], message["To"], message["Subject"] = "me@example.org", BOB, "x"
    message.set_content("for Bob only\n")
    with pytest.raises(MissingKeys):
        protect(message, GnuPG(home=me.home), sign=False, encrypt=True)
    raw = protect(message, GnuPG(home=me.home), sign=False, encrypt=True, autocrypt=store)
    lines = [t for _s, t in open_secured(raw, GnuPG(home=bob.home)).report.lines()]
    assert lines == ["Encrypted; decrypted for reading (not stored)."]


def test_state_rules_old_mail_stale_keys_and_headers_for_someone_else(
    rings: tuple[Keyring, Keyring], tmp_path: Path
) -> None:
    _me, bob = rings
    store = AutocryptStore(tmp_path / "autocrypt")
    store.learn(mail_from(BOB, NOW - 100 * 86400, header_for(bob, BOB)), now=NOW)
    # Bob's client lost Autocrypt: his later mail has no header; after 35 days it is stale.
    store.learn(mail_from(BOB, NOW - 100 * 86400 + STALE_SECONDS + 60, None), now=NOW)
    assert store.recommend([BOB]) is Recommendation.DISCOURAGE
    assert store.recommend([BOB], reply_to_encrypted=True) is Recommendation.ENCRYPT
    # A header naming another address than From teaches nothing about either.
    assert not store.learn(mail_from("eve@example.net", NOW - 5, header_for(bob, BOB)), now=NOW)
    assert store.peer("eve@example.net") is not None  # last_seen only
    assert not store.peer("eve@example.net").fingerprint  # type: ignore[union-attr]
    # A key that does not carry the sender's address is not taken.
    forged = header_for(bob, BOB).replace(f"addr={BOB}", "addr=mallory@example.net")
    mallory = mail_from("mallory@example.net", NOW - 4, forged)
    store.learn(mallory, now=NOW)
    assert not store.peer("mallory@example.net").fingerprint  # type: ignore[union-attr]


def test_our_header_carries_a_minimal_key_with_our_address(
    rings: tuple[Keyring, Keyring], tmp_path: Path
) -> None:
    me, _ = rings
    value = header_for(me, "me@example.org", mutual=False)
    assert value.startswith("addr=me@example.org; keydata= ")
    assert "prefer-encrypt" not in value
    assert max(len(piece) for piece in value.split(" ")) <= 72
    parsed = parse_header(value)
    assert parsed is not None
    with keyring_with(tmp_path / "other") as other:
        fingerprint = GnuPG(home=other.home).import_key(parsed.keydata)
    assert fingerprint == me.fingerprint("me@example.org")
