"""A message's text as a search sees it: the decoded text of every text part.

Shared by the maildir backend's search (its files) and the cache's (bodies it keeps), so
that `body:` and plain words find the same things wherever they look.
"""

from __future__ import annotations

import email
import re
from email.message import Message
from email.policy import compat32

from tui_mail.core.message.charsets import decode_bytes

_TAG = re.compile(r"<[^>]*>")
_MAX_PARTS = 200


def text_of(raw: bytes) -> str:
    """The decoded text of every text part (HTML without its tags)."""
    message = email.message_from_bytes(raw, policy=compat32)
    texts: list[str] = []
    for count, part in enumerate(message.walk()):
        if count >= _MAX_PARTS:
            break
        if part.get_content_maintype() != "text":
            continue
        texts.append(_part_text(part))
    return "\n".join(texts)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset())
    if part.get_content_subtype() == "html":
        text = _TAG.sub(" ", text)
    return text
