"""Signing, encrypting and the Autocrypt header for outgoing mail, through the user's gpg
(core/crypto): what send.py asks before a message reaches the outbox. Runs off the event
loop (gpg is a process)."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import TYPE_CHECKING

from tui_mail.core.errors import UsageError

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.crypto.autocrypt import AutocryptStore


def protected(
    message: EmailMessage,
    sign: bool,
    encrypt: bool,
    *,
    to_self_only: bool = False,
    autocrypt: AutocryptStore | None = None,
    look_up: Callable[[str], bytes | None] | None = None,
) -> bytes:
    """`message` as PGP/MIME through the user's gpg (off the event loop: gpg runs)."""
    from tui_mail.core.crypto.gnupg import GnuPGMissing, user_gnupg  # noqa: PLC0415
    from tui_mail.core.crypto.protect import protect  # noqa: PLC0415

    try:
        gpg = user_gnupg()
    except GnuPGMissing as missing:
        raise UsageError(f"{missing} Nothing was sent.") from None
    return protect(message, gpg, sign=sign, encrypt=encrypt, to_self_only=to_self_only,
                   autocrypt=autocrypt, look_up=look_up)  # fmt: skip


def wkd_for(account: AccountConfig) -> Callable[[str], bytes | None]:
    """WKD lookups trusting what the account's connections trust (system CAs, ca_file)."""
    from functools import partial  # noqa: PLC0415

    from tui_mail.core.crypto.wkd import fetch_wkd  # noqa: PLC0415
    from tui_mail.core.net.tls import client_context  # noqa: PLC0415

    return partial(fetch_wkd, context=client_context(account.ca_file))


def add_autocrypt_header(message: EmailMessage, account: AccountConfig) -> None:
    """Autocrypt Level 1: our key in a header of every message we send (when we have a
    key for the From address; without gpg or a key the message goes without it)."""
    from email.utils import parseaddr  # noqa: PLC0415

    from tui_mail.core.crypto.autocrypt import outgoing_header  # noqa: PLC0415
    from tui_mail.core.crypto.gnupg import GnuPGMissing, user_gnupg  # noqa: PLC0415

    try:
        gpg = user_gnupg()
    except GnuPGMissing:
        return
    address = parseaddr(str(message["From"]))[1].lower()
    value = outgoing_header(gpg, address, mutual=account.autocrypt_mutual)
    if value is not None:
        message["Autocrypt"] = value
