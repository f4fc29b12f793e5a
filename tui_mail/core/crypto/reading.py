"""What a front end calls to read a message that may be signed or encrypted.

One function, safe to call for every message: a plain one costs a scan of its first
64 KiB and starts no gpg. Trouble with gpg itself (not installed, crashed) becomes a line
in the report, never an exception: the message is then shown as it came.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from tui_mail.core.crypto.secured import needs_checking, open_secured
from tui_mail.core.crypto.verdict import Severity

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SecureRead:
    raw: bytes = field(repr=False)
    """What to render and keep open (decrypted parts in place, in memory only)."""
    lines: tuple[tuple[Severity, str], ...] = ()
    """What to show above the body, one sentence each; () for a plain message."""
    failed: bool = False
    """A bad signature or a failed decryption (the CLI's exit status says so)."""
    locked: bytes = field(default=b"", repr=False)
    """Encrypted data whose key needs its passphrase: `unlock` is then worth offering."""
    unlock: tuple[str, ...] = ()
    """The command that asks for that passphrase on the terminal (stdin: `locked`)."""
    decrypted: bool = False
    """Something in it was encrypted and is decrypted in `raw` (a reply to it or a
    forward of it should be encrypted too)."""


def read_secured(
    raw: bytes,
    gpg_binary: str = "gpg",
    *,
    smime_key: Path | None = None,
    smime_cert: Path | None = None,
) -> SecureRead:
    """`raw` opened for reading: signatures checked, encrypted parts decrypted (S/MIME
    with `smime_key` and `smime_cert`, PEM files, when given)."""
    if not needs_checking(raw):
        return SecureRead(raw)
    # Imported here: a plain message (most of them) never loads python-gnupg.
    from tui_mail.core.crypto.gnupg import GnuPG, GnuPGMissing, user_gnupg  # noqa: PLC0415
    from tui_mail.core.crypto.smime import SMime  # noqa: PLC0415

    gpg: GnuPG | None
    try:
        gpg = user_gnupg(gpg_binary)
    except GnuPGMissing:
        gpg = None  # PGP parts say so; S/MIME needs no gpg
    try:
        opened = open_secured(raw, gpg, SMime(key=smime_key, cert=smime_cert))
    except Exception as error:  # gpg died or said nothing we understand
        log.warning("checking a signed or encrypted message failed: %s", type(error).__name__)
        line = (Severity.BAD, "Checking this message's signature or encryption failed.")
        return SecureRead(raw, (line,), failed=True)
    report = opened.report
    return SecureRead(
        opened.raw,
        tuple(report.lines()),
        failed=report.failed,
        locked=opened.locked,
        unlock=tuple(gpg.unlock_command()) if opened.locked and gpg is not None else (),
        decrypted=any(f.decrypted for f in report.findings),
    )


def learn_autocrypt(raw: bytes, data_dir: Path) -> None:
    """Autocrypt: what the sender's message says about their key (never raises: a broken
    header or a gpg that fails teaches nothing, and reading goes on)."""
    if b"autocrypt:" not in raw[:262144].lower():
        return
    from tui_mail.core.crypto.autocrypt import autocrypt_store  # noqa: PLC0415
    from tui_mail.core.crypto.gnupg import GnuPGMissing  # noqa: PLC0415

    try:
        autocrypt_store(data_dir).learn(raw)
    except (GnuPGMissing, OSError, ValueError) as error:
        log.warning("learning from an Autocrypt header failed: %s", type(error).__name__)
