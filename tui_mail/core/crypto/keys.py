"""Your own public key, as an attachment people can import (compose's ctrl+b,
`tui-mail send --attach-key`)."""

from __future__ import annotations

from email.utils import parseaddr

from tui_mail.core.errors import UsageError


def public_key_file(sender: str) -> tuple[str, str, bytes]:
    """(file name, content type, armored key) of the sender's public key, minimal (only
    the sender's user ID), named as Thunderbird does: OpenPGP_0x<key ID>.asc. Raises
    UsageError when gpg or a key for the address is missing."""
    from tui_mail.core.crypto.gnupg import GnuPGMissing, user_gnupg  # noqa: PLC0415

    address = parseaddr(sender)[1].lower()
    try:
        gpg = user_gnupg()
    except GnuPGMissing as missing:
        raise UsageError(str(missing)) from None
    fingerprint = gpg.encryption_keys([address]).get(address)
    armored = gpg.export_minimal(address, armor=True) if fingerprint else b""
    if not fingerprint or not armored:
        raise UsageError(f"There is no key for {address or sender} in your keyring to attach.")
    return f"OpenPGP_0x{fingerprint[-16:]}.asc", "application/pgp-keys", armored
