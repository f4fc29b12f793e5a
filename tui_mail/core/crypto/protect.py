"""Writing signed and encrypted mail: PGP/MIME (RFC 3156) around a built message.

The message's own body entity (its Content-* headers and body) is what gets signed or
encrypted; the other headers (From, To, Subject, Date, Message-ID ...) stay outside,
where servers need them. Signed content is made 7-bit first (quoted-printable or
base64), so no server on the way can re-encode it and break the signature. An encrypted
message is encrypted to every recipient AND to the sender, so the Sent copy stays
readable; with Bcc it is refused, because every recipient would see the Bcc recipients'
key IDs in it.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.core.crypto.entities import canonical, header_lines, is_content_header, outer_headers
from tui_mail.core.crypto.gnupg import CryptoFailed, GnuPG
from tui_mail.core.errors import UsageError

if TYPE_CHECKING:
    from tui_mail.core.crypto.autocrypt import AutocryptStore


class MissingKeys(UsageError):
    """Encryption was asked for and some recipients have no usable key: nothing is sent."""

    def __init__(self, addresses: list[str]) -> None:
        listed = ", ".join(addresses)
        super().__init__(
            f"No usable key for {listed} in your keyring, so the message was NOT sent. "
            "Import their key (gpg --locate-keys ADDRESS), or turn encryption off."
        )
        self.addresses = addresses


def recipients_of(message: EmailMessage) -> list[str]:
    """Every To/Cc/Bcc address, lowercase, once each."""
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    seen: dict[str, None] = {}
    for _name, address in getaddresses(fields):
        if address:
            seen.setdefault(address.lower(), None)
    return list(seen)


def protect(
    message: EmailMessage,
    gpg: GnuPG,
    *,
    sign: bool,
    encrypt: bool,
    to_self_only: bool = False,
    autocrypt: AutocryptStore | None = None,
    look_up: Callable[[str], bytes | None] | None = None,
) -> bytes:
    """`message` signed and/or encrypted as PGP/MIME, as bytes ready for the outbox.

    `to_self_only`: a postponed draft, encrypted to the sender alone. `autocrypt`: keys
    learnt from peers' mail stand in for keys missing from the user's keyring, and
    `look_up(address)` (WKD, when the account allows it) is asked for the rest. Raises
    MissingKeys, UsageError (Bcc with encryption), KeyLocked or CryptoFailed; nothing is
    sent then."""
    sender = parseaddr(str(message["From"]))[1].lower()
    if not sign and not encrypt:
        return message.as_bytes(policy=SMTP)
    _seven_bit(message)
    outer, inner = _split(message.as_bytes(policy=SMTP))
    if not encrypt:
        signature, micalg = gpg.sign_detached(canonical(inner), sender)
        return outer + _signed(canonical(inner), signature, micalg)
    if message.get_all("Bcc") and not to_self_only:
        raise UsageError(
            "An encrypted message cannot have Bcc recipients: each recipient could see "
            "their keys. Remove the Bcc, or send them their own copy."
        )
    wanted = [sender] if to_self_only else [*recipients_of(message), sender]
    keys = gpg.encryption_keys(wanted)
    missing = [address for address, key in keys.items() if key is None]
    if sender in missing:
        raise CryptoFailed(f"There is no key of yours ({sender}) to encrypt to.")
    if autocrypt is not None and look_up is not None:
        known = autocrypt.fingerprints(missing)
        for address in missing:
            keydata = None if address in known else look_up(address)
            if keydata:
                autocrypt.remember_found(address, keydata)
    with tempfile.TemporaryDirectory(prefix="tui-mail-keys-") as directory:
        files = _autocrypt_keys(autocrypt, missing, Path(directory))
        missing = [address for address in missing if address not in files]
        if missing:
            raise MissingKeys(missing)
        fingerprints = [key for key in keys.values() if key]
        armored = gpg.encrypt(canonical(inner), fingerprints, sign_as=sender if sign else "",
                              key_files=tuple(files.values()))  # fmt: skip
    return outer + _encrypted(armored)


def _autocrypt_keys(
    autocrypt: AutocryptStore | None, addresses: list[str], directory: Path
) -> dict[str, Path]:
    """address -> a file holding the key Autocrypt learnt for it (for --recipient-file)."""
    if autocrypt is None or not addresses:
        return {}
    learnt = autocrypt.fingerprints(addresses)
    if not learnt:
        return {}
    peers = autocrypt.gpg()
    files: dict[str, Path] = {}
    for address in learnt:
        key = peers.export_minimal(address)
        if key:
            path = directory / f"{len(files)}.gpg"
            path.write_bytes(key)
            files[address] = path
    return files


def _seven_bit(message: EmailMessage) -> None:
    """Re-encode 8bit/binary parts (quoted-printable text, base64 otherwise)."""
    for part in message.walk():
        if part.is_multipart():
            continue
        cte = str(part.get("Content-Transfer-Encoding", "7bit")).lower()
        if cte in {"8bit", "binary"}:
            content = part.get_content()
            maintype = part.get_content_maintype()
            if isinstance(content, str):
                part.set_content(content, subtype=part.get_content_subtype(),
                                 cte="quoted-printable")  # fmt: skip
            elif isinstance(content, bytes):
                part.set_content(content, maintype=maintype,
                                 subtype=part.get_content_subtype(), cte="base64")  # fmt: skip


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """(the outer headers without Content-*, ending in CRLF; the body entity)."""
    split = header_lines(raw)
    if split is None:
        raise CryptoFailed("The message to protect has no body.")
    lines, body = split
    inner = [
        line
        for line in lines
        if is_content_header(line) and not line.lower().startswith(b"mime-version")
    ]
    return outer_headers(lines), b"\r\n".join(inner) + b"\r\n\r\n" + body


def _boundary() -> bytes:
    return f"=-{secrets.token_hex(12)}".encode()


def _signed(inner: bytes, signature: bytes, micalg: str) -> bytes:
    """`inner` exactly as signed, then its own CRLF before the delimiter (RFC 2046: the
    line break before a boundary belongs to the boundary, not to the part)."""
    b = _boundary()
    return (
        b'Content-Type: multipart/signed; micalg="' + micalg.encode() + b'";\r\n'
        b' protocol="application/pgp-signature"; boundary="' + b + b'"\r\n\r\n'
        b"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
        b"--" + b + b"\r\n" + inner + b"\r\n"
        b"--" + b + b"\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
        b'Content-Description: OpenPGP digital signature\r\n'
        b'Content-Disposition: attachment; filename="signature.asc"\r\n\r\n'
        + canonical(signature).rstrip(b"\r\n") + b"\r\n--" + b + b"--\r\n"
    )  # fmt: skip


def _encrypted(armored: bytes) -> bytes:
    b = _boundary()
    return (
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\r\n'
        b' boundary="' + b + b'"\r\n\r\n'
        b"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
        b"--" + b + b"\r\nContent-Type: application/pgp-encrypted\r\n"
        b"Content-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n"
        b"--" + b + b'\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n'
        b"Content-Description: OpenPGP encrypted message\r\n"
        b'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n'
        + canonical(armored).rstrip(b"\r\n") + b"\r\n--" + b + b"--\r\n"
    )  # fmt: skip
