"""Messages as one mbox (the mboxrd flavour), for `git am`, `formail` and mail importers.

mboxrd is the variant every current reader accepts and the only one that round-trips: each
message starts with a ``From SENDER DATE`` separator line, and any body line that reads
``From `` after zero or more ``>`` gets one more ``>`` (a reader removes one again). Lines
end in LF, as mbox files on Unix do; a blank line ends each message.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterable
from datetime import UTC
from email.parser import BytesHeaderParser
from email.policy import compat32

_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)
_UNKNOWN_SENDER = "MAILER-DAEMON"
_SAFE_SENDER = re.compile(r"[^\x21-\x7e]")  # one word, printable ASCII: the line must parse


def to_mbox(messages: Iterable[bytes]) -> bytes:
    """The messages, in the order given, as one mboxrd file."""
    return b"".join(mbox_entry(raw) for raw in messages)


def mbox_entry(raw: bytes) -> bytes:
    """One message as an mboxrd entry: separator line, quoted body, closing blank line."""
    text = raw.replace(b"\r\n", b"\n")
    text = _FROM_LINE.sub(rb">\1", text)
    if not text.endswith(b"\n"):
        text += b"\n"
    return separator_line(raw) + text + b"\n"


def separator_line(raw: bytes) -> bytes:
    """``From sender@example.org Mon Jan  1 12:00:00 2024`` (UTC), with LF.

    The sender is the Return-Path when there is one (the envelope sender, as a delivery
    agent writes it), else the From address; the date is the Date header's, else now.
    """
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    sender = ""
    for name in ("Return-Path", "From"):
        value = headers.get(name)
        if value:
            sender = _SAFE_SENDER.sub("", email.utils.parseaddr(str(value))[1])
            if sender:
                break
    stamp: float | None = None
    date = headers.get("Date")
    if date:
        try:
            parsed = email.utils.parsedate_to_datetime(str(date))
            # "-0000" (zone unknown) parses naive: read it as UTC, not as local time.
            stamp = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            stamp = None
    when = time.asctime(time.gmtime(stamp))  # None: now
    return f"From {sender or _UNKNOWN_SENDER} {when}\n".encode()
