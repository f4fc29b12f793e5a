"""Flags as IMAP names them: the IMAP edge of the `Flag` enum (core/models.py)."""

from __future__ import annotations

from tui_mail.core.models import Flag

_SYSTEM_FLAGS = {
    b"\\Seen": Flag.SEEN,
    b"\\Answered": Flag.ANSWERED,
    b"\\Flagged": Flag.FLAGGED,
    b"\\Deleted": Flag.DELETED,
    b"\\Draft": Flag.DRAFT,
    b"$Forwarded": Flag.FORWARDED,
}
_IGNORED_FLAGS = {b"\\Recent"}
_NAMES = {flag: name.decode() for name, flag in _SYSTEM_FLAGS.items()}


def flag_names(flags: Flag) -> list[str]:
    """Flags -> the IMAP names that set them (STORE, APPEND)."""
    return [_NAMES[flag] for flag in flags]


def parse_flags(raw: tuple[bytes, ...]) -> tuple[int, str]:
    """IMAP flags -> (bitmask of system flags, space-separated keywords)."""
    mask = 0
    keywords: list[str] = []
    for name in raw:
        flag = _SYSTEM_FLAGS.get(name)
        if flag is not None:
            mask |= flag
        elif name not in _IGNORED_FLAGS:
            keywords.append(name.decode("utf-8", "replace"))
    return mask, " ".join(keywords)
