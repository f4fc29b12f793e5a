"""Small text helpers of smtp.py: a server's reply as one safe line, sizes, numbers."""

from __future__ import annotations

from tui_mail.core.message.sanitize import sanitize_line

_SERVER_TEXT_SHOWN = 200


def server_text(error: BaseException) -> str:
    code = getattr(error, "code", None)
    message = str(getattr(error, "message", "") or "").replace("\n", " ")
    text = sanitize_line(f"{code} {message}" if code else message).strip()
    return text[:_SERVER_TEXT_SHOWN] or type(error).__name__


def integer(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return 0


def human(size: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{int(size)} bytes"
