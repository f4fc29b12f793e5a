"""IMAP sequence sets (RFC 3501 `sequence-set`): compact, split and expand.

imapclient joins UID lists with commas, and servers refuse long arguments (Dovecot answers
`BAD Too long argument` for 100,000 UIDs), so every UID list we send goes through here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

# Dovecot's default limit on a command line is 64 KiB; stay well under it.
MAX_SET_LENGTH = 8000


def _runs(uids: Iterable[int]) -> Iterator[tuple[int, int]]:
    ordered = sorted(set(uids))
    if not ordered:
        return
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid != prev + 1:
            yield start, prev
            start = uid
        prev = uid
    yield start, prev


def _run_text(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}:{end}"


def compact(uids: Iterable[int]) -> str:
    """`[1, 2, 3, 5, 7, 8]` -> `"1:3,5,7:8"`. Empty input gives an empty string."""
    return ",".join(_run_text(start, end) for start, end in _runs(uids))


def chunked(uids: Iterable[int], max_length: int = MAX_SET_LENGTH) -> Iterator[str]:
    """Compact sets, each at most `max_length` characters, covering every UID once."""
    parts: list[str] = []
    length = 0
    for start, end in _runs(uids):
        text = _run_text(start, end)
        if parts and length + 1 + len(text) > max_length:
            yield ",".join(parts)
            parts, length = [], 0
        parts.append(text)
        length += len(text) + (1 if length else 0)
    if parts:
        yield ",".join(parts)


def expand(sequence_set: str) -> list[int]:
    """`"1:3,5"` -> `[1, 2, 3, 5]`. For server answers (VANISHED, ESEARCH), which never hold `*`."""
    result: list[int] = []
    for part in sequence_set.split(","):
        if not part.strip():
            continue
        first, sep, last = part.strip().partition(":")
        if sep:
            low, high = sorted((int(first), int(last)))
            result.extend(range(low, high + 1))
        else:
            result.append(int(first))
    return result
