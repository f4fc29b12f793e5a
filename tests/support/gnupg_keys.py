"""A throwaway GnuPG home with real keys, made by the real gpg (no network), and
messages signed and encrypted by gpg itself: what the crypto tests read.

`keyring_with(path, uid)` is how a test gets one (its gpg-agent stopped however the test
ends); the `ada_keyring` fixture (tests/conftest.py) is Ada's, with GNUPGHOME set to it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ADA = "Ada Lovelace <ada@example.org>"
"""The user of most crypto tests."""


@dataclass(frozen=True)
class Keyring:
    home: Path

    def gpg(self, *args: str, data: bytes = b"", check: bool = True) -> bytes:
        done = subprocess.run(
            ["gpg", "--homedir", str(self.home), "--batch", "--yes", "--quiet",
             "--pinentry-mode", "loopback", "--passphrase", "", *args],
            input=data, capture_output=True, check=False, timeout=60,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise RuntimeError(done.stderr.decode(errors="replace"))
        return done.stdout

    def make_key(self, uid: str, *, passphrase: str = "") -> str:
        """A sign+encrypt key pair for `uid`; returns its fingerprint."""
        subprocess.run(
            ["gpg", "--homedir", str(self.home), "--batch", "--pinentry-mode", "loopback",
             "--passphrase", passphrase, "--quick-gen-key", uid, "ed25519", "sign", "never"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        fingerprint = self.fingerprint(uid)
        subprocess.run(
            ["gpg", "--homedir", str(self.home), "--batch", "--pinentry-mode", "loopback",
             "--passphrase", passphrase, "--quick-add-key", fingerprint, "cv25519", "encr",
             "never"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        return fingerprint

    def fingerprint(self, uid: str) -> str:
        listing = self.gpg("--with-colons", "--list-keys", uid).decode()
        return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))

    def export(self, uid: str) -> bytes:
        return self.gpg("--armor", "--export", uid)

    def import_keys(self, armored: bytes) -> None:
        self.gpg("--import", data=armored)

    def detach_sign(self, data: bytes, uid: str) -> bytes:
        return self.gpg("--armor", "--detach-sign", "--local-user", uid, data=data)

    def encrypt(self, data: bytes, *recipients: str, sign_as: str = "") -> bytes:
        args = [arg for r in recipients for arg in ("--recipient", r)]
        if sign_as:
            args += ["--sign", "--local-user", sign_as]
        return self.gpg("--armor", "--trust-model", "always", "--encrypt", *args, data=data)

    def clearsign(self, text: bytes, uid: str) -> bytes:
        return self.gpg("--clearsign", "--local-user", uid, data=text)


def new_keyring(path: Path) -> Keyring:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    (path / "gpg-agent.conf").write_text("allow-loopback-pinentry\n")
    return Keyring(path)


@contextmanager
def keyring_with(path: Path, uid: str = "", *, passphrase: str = "") -> Iterator[Keyring]:
    """A new keyring at `path` with a key pair for `uid` (none without one); its
    gpg-agent, which gpg starts by itself, is stopped afterwards, whatever happened."""
    keys = new_keyring(path)
    try:
        if uid:
            keys.make_key(uid, passphrase=passphrase)
        yield keys
    finally:
        stop_agent(keys)


def stop_agent(keyring: Keyring) -> None:
    subprocess.run(
        ["gpgconf", "--homedir", str(keyring.home), "--kill", "gpg-agent"],
        check=False, capture_output=True, timeout=30,
    )  # fmt: skip


BOUNDARY = "sig-boundary-42"


def signed_message(keyring: Keyring, uid: str, inner: bytes, *, sender: str) -> bytes:
    """A PGP/MIME (RFC 3156) signed message: `inner` is the signed entity (headers+body)."""
    signature = keyring.detach_sign(inner.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), uid)
    return (
        (
            f"From: {sender}\r\nTo: me@example.org\r\nSubject: signed\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/signed; micalg=pgp-sha512; protocol="application/pgp-signature"; boundary="{BOUNDARY}"\r\n'  # noqa: E501
            f"\r\n--{BOUNDARY}\r\n"
        ).encode()
        + inner
        + (
            f"\r\n--{BOUNDARY}\r\n"
            "Content-Type: application/pgp-signature; name=signature.asc\r\n\r\n"
        ).encode()
        + signature
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def encrypted_message(armored: bytes, *, sender: str) -> bytes:
    """A PGP/MIME encrypted message around gpg's armored output."""
    return (
        (
            f"From: {sender}\r\nTo: me@example.org\r\nSubject: secret\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc-b"\r\n'  # noqa: E501
            "\r\n--enc-b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
            "\r\n--enc-b\r\nContent-Type: application/octet-stream; name=encrypted.asc\r\n\r\n"
        ).encode()
        + armored
        + b"\r\n--enc-b--\r\n"
    )


def plain_message(body: bytes, *, sender: str, subject: str = "plain") -> bytes:
    return (
        f"From: {sender}\r\nTo: me@example.org\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + body
