"""The doctor's word on COMPRESS=DEFLATE (RFC 4978): in use, turned off, or not offered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_mail.core.doctor.report import Check
from tui_mail.core.imap.compress import COMPRESS_DEFLATE

if TYPE_CHECKING:
    from tui_mail.core.imap.session import ImapSession


def compression_check(session: ImapSession) -> Check:
    """What the login's session (opened as the app opens its command connection) settled
    on. Only a refusal is a warning: a server without compression is slower on a thin link,
    not wrong, so "not offered" must not turn a clean report into "passed with a warning"."""
    offered = session.has(COMPRESS_DEFLATE)
    if session.compression is not None:
        ratio = session.compression.ratio
        smaller = f" (the folder list arrived {ratio:.1f}x smaller)" if ratio else ""
        return Check("IMAP", "compression", "ok", f"DEFLATE in use{smaller}")
    if not offered:
        return Check("IMAP", "compression", "ok", "not offered: mail arrives uncompressed")
    if not session.account.compress:
        return Check("IMAP", "compression", "ok", "offered, but turned off (compress = false)")
    return Check(
        "IMAP",
        "compression",
        "warn",
        "offered, but the server refused COMPRESS DEFLATE: mail arrives uncompressed",
        "set compress = false for this account to stop asking",
    )
