"""Starting a draft: new messages, replies, forwards and reopened drafts, as `Draft`s.

Text taken from the original message (quotes, forwarded headers) comes from the renderer in
`tui_mail.core.message.mime`, so it is decoded and sanitised exactly as the reader shows it, and
HTML-only mail is quoted as its html2text rendering. The `Draft` itself and the message
built from it live in `tui_mail.core.sending.draft`; its names are re-exported here.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from typing import TYPE_CHECKING

from tui_mail.core.errors import UsageError
from tui_mail.core.message.correspondents import own_addresses
from tui_mail.core.message.mime import (
    attachment_data,
    decode_header_value,
    format_rendered,
    render_message,
    safe_filename,
)
from tui_mail.core.models import Flag
from tui_mail.core.sending.draft import (
    DRAFT_CRYPTO_HEADER,
    DRAFT_INFO_HEADER,
    LINE_BREAKS,
    Draft,
    FileAttachment,
    Origin,
    account_address,
    build_message,
    envelope,
    new_message_id,
    parse_addresses,
    read_draft_info,
)
from tui_mail.core.sending.identities import (
    FORWARD_MARKER,
    from_line,
    reply_body,
    reply_identity,
    signed,
)

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig

__all__ = [
    "DRAFT_INFO_HEADER",
    "Draft",
    "FileAttachment",
    "Origin",
    "build_message",
    "compose_forward",
    "compose_new",
    "compose_reply",
    "envelope",
    "new_message_id",
    "parse_addresses",
    "preview",
    "reopen_draft",
]

_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw)(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(?:(?:fwd?)(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_MAX_REFERENCES = 20
_FORWARD_HEADERS = ("From", "Date", "Subject", "To", "Cc")


# -- starting a draft -------------------------------------------------------------------


def compose_new(
    account: AccountConfig,
    *,
    to: str = "",
    cc: str = "",
    bcc: str = "",
    subject: str = "",
    text: str = "",
) -> Draft:
    """A new message from the account's own address; its signature, if any, under the text."""
    return Draft(
        from_addr=account_address(account),
        to=to,
        cc=cc,
        bcc=bcc,
        subject=subject,
        body=signed(text, account.every_identity[0]),
        message_id=new_message_id(account),
        sign=account.pgp_sign,
        encrypt=account.pgp_encrypt,
    )


def _readable(raw: bytes) -> tuple[bytes, bool]:
    """`raw` with its encrypted parts decrypted (in memory), and whether any were: what
    a reply quotes and a forward carries, encrypted again when it goes."""
    from tui_mail.core.crypto.reading import read_secured  # noqa: PLC0415

    secured = read_secured(raw)
    return secured.raw, secured.decrypted


def compose_reply(
    account: AccountConfig,
    raw: bytes,
    *,
    folder: str,
    uid: int,
    reply_all: bool = False,
    text: str = "",
) -> Draft:
    """A reply to `raw`: to Reply-To else From (reply-all adds To and Cc), quoted below an
    attribution line, from the identity it was sent to, with `text` and that identity's
    signature after the quote (or above it: `signature_position`, see identities.py).

    Replying to one's own message goes to its original recipients, as mail clients do.
    """
    headers = _headers(raw)
    own = own_addresses(account)
    from_list = _addresses(headers, "From")
    reply_to = _addresses(headers, "Reply-To") or from_list
    to_list = _addresses(headers, "To")
    cc_list = _addresses(headers, "Cc")
    from_me = bool(from_list) and all(addr.casefold() in own for _name, addr in from_list)
    primary = to_list if from_me and to_list else reply_to
    cc: list[tuple[str, str]] = []
    if reply_all:
        primary = _unique([*primary, *([] if from_me else to_list)], own)
        cc = [
            pair
            for pair in _unique(cc_list, own)
            if pair[1].casefold() not in {addr.casefold() for _n, addr in primary}
        ]
    if not primary:  # everyone was us: write to ourselves rather than to no one
        primary = from_list
    readable, was_encrypted = _readable(raw)
    rendered = render_message(readable)
    quote = _quote_block(rendered.body, rendered.links, _attribution(headers, from_list))
    message_id = _first_message_id(headers.get("message-id", ""))
    identity = reply_identity(account, raw)
    return Draft(
        from_addr=from_line(identity),
        to=_format_addresses(primary),
        cc=_format_addresses(cc),
        subject="Re: " + _REPLY_PREFIX.sub("", _subject(headers)),
        body=reply_body(text, quote, identity, account.signature_position),
        in_reply_to=message_id,
        references=_references(headers, message_id),
        message_id=new_message_id(account),
        origin=Origin(folder, uid, Flag.ANSWERED),
        sign=account.pgp_sign,
        encrypt=account.pgp_encrypt or was_encrypted,
    )


def compose_forward(
    account: AccountConfig,
    raw: bytes,
    *,
    folder: str,
    uid: int,
    as_attachment: bool = False,
    to: str = "",
    text: str = "",
) -> Draft:
    """A forward of `raw`: inline (its headers and text, its attachments re-attached) or
    whole as a message/rfc822 attachment, from the identity it was sent to. `text` and that
    identity's signature go above the forwarded part."""
    headers = _headers(raw)
    identity = reply_identity(account, raw)
    draft = Draft(
        from_addr=from_line(identity),
        to=to,
        subject="Fwd: " + _FORWARD_PREFIX.sub("", _subject(headers)),
        message_id=new_message_id(account),
        origin=Origin(folder, uid, Flag.FORWARDED),
        sign=account.pgp_sign,
        encrypt=account.pgp_encrypt,
    )
    lead = text.strip("\n") + "\n" if text.strip() else ""
    if as_attachment:
        draft.body = signed(lead, identity)
        name = safe_filename(_subject(headers)[:60] + ".eml", "forwarded.eml")
        draft.attachments.append(FileAttachment(name, "message/rfc822", raw))
        return draft
    raw, was_encrypted = _readable(raw)
    draft.encrypt = draft.encrypt or was_encrypted  # its clear text never leaves in clear
    rendered = render_message(raw)
    shown = dict(rendered.headers)
    block = [FORWARD_MARKER]
    block += [f"{name}: {shown[name]}" for name in _FORWARD_HEADERS if shown.get(name)]
    block += ["", rendered.body, *_link_lines(rendered.links)]
    draft.body = signed(lead, identity) + "\n" + "\n".join(block).rstrip() + "\n"
    for item in rendered.attachments:
        data = attachment_data(raw, item.index)
        if data is not None:
            draft.attachments.append(FileAttachment(item.filename, item.content_type, data))
    return draft


def reopen_draft(account: AccountConfig, raw: bytes, *, folder: str, uid: int) -> Draft:
    """Continue a draft postponed to the Drafts folder (by us or by another client); one
    postponed encrypted (to you) is decrypted here, in memory, by your gpg."""
    headers = _headers(raw)
    crypto = headers.get(DRAFT_CRYPTO_HEADER.lower(), "")
    if "encrypt" in crypto:
        from tui_mail.core.crypto.reading import read_secured  # noqa: PLC0415

        secured = read_secured(raw)
        if secured.failed or secured.locked:
            reason = secured.lines[0][1] if secured.lines else "it could not be decrypted"
            raise UsageError(f"This draft is encrypted and cannot be opened: {reason}")
        raw = secured.raw
    message = BytesParser(policy=default_policy).parsebytes(raw)
    body_part = message.get_body(preferencelist=("plain",))
    try:
        body = body_part.get_content() if isinstance(body_part, EmailMessage) else ""
    except (LookupError, UnicodeError, ValueError, KeyError):
        body = render_message(raw).body
    draft = Draft(
        from_addr=_format_addresses(_addresses(headers, "From")) or account_address(account),
        to=_format_addresses(_addresses(headers, "To")),
        cc=_format_addresses(_addresses(headers, "Cc")),
        bcc=_format_addresses(_addresses(headers, "Bcc")),
        subject=_subject(headers),
        body=body.replace("\r\n", "\n"),
        in_reply_to=_first_message_id(headers.get("in-reply-to", "")),
        references=" ".join(_MESSAGE_ID.findall(headers.get("references", ""))),
        message_id=_first_message_id(headers.get("message-id", "")) or new_message_id(account),
        origin=read_draft_info(headers.get(DRAFT_INFO_HEADER.lower(), "")),
        drafts_copy=(folder, uid),
        sign="sign" in crypto,
        encrypt="encrypt" in crypto,
    )
    for item in render_message(raw).attachments:
        if item.inline and item.content_type.startswith("text/"):
            continue  # the body itself, when another client wrote it as a named part
        data = attachment_data(raw, item.index)
        if data is not None:
            draft.attachments.append(FileAttachment(item.filename, item.content_type, data))
    return draft


def preview(account: AccountConfig, draft: Draft) -> str:
    """The message as the reader will show it, with its Bcc, for a last look before sending."""
    raw = build_message(account, draft, for_drafts=True).as_bytes()
    text = format_rendered(render_message(raw))
    bcc = ", ".join(str(a) for a in parse_addresses(draft.bcc, "Bcc"))
    return text.replace("\n\n", f"\nBcc: {bcc}\n\n", 1) if bcc else text


# -- helpers ----------------------------------------------------------------------------


def _headers(raw: bytes) -> dict[str, str]:
    """The first of each header by lowercase name, raw (encoded words intact, so commas
    in display names stay inside them)."""
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    first: dict[str, str] = {}
    for name, value in parsed.raw_items():
        first.setdefault(name.lower(), str(value))
    return first


def _addresses(headers: dict[str, str], name: str) -> list[tuple[str, str]]:
    value = headers.get(name.lower(), "")
    if not value:
        return []
    try:
        pairs = getaddresses([value])
    except (ValueError, IndexError):
        return []
    return [(decode_header_value(n), decode_header_value(a)) for n, a in pairs if "@" in a]


def _unique(pairs: list[tuple[str, str]], exclude: set[str]) -> list[tuple[str, str]]:
    seen = set(exclude)
    out = []
    for name, addr in pairs:
        if addr.casefold() not in seen:
            seen.add(addr.casefold())
            out.append((name, addr))
    return out


def _format_addresses(pairs: list[tuple[str, str]]) -> str:
    shown = []
    for name, addr in pairs:
        try:
            shown.append(str(Address(display_name=name, addr_spec=addr)))
        except (ValueError, IndexError):
            shown.append(addr)
    return ", ".join(shown)


def _subject(headers: dict[str, str]) -> str:
    return LINE_BREAKS.sub(" ", decode_header_value(headers.get("subject", ""))).strip()


def _first_message_id(value: str) -> str:
    match = _MESSAGE_ID.search(value)
    return match.group(0) if match else ""


def _references(headers: dict[str, str], message_id: str) -> str:
    """The original's References (or In-Reply-To) plus its Message-ID; the thread root and
    the most recent ones when the chain is long (RFC 5322 3.6.4 allows trimming)."""
    chain = _MESSAGE_ID.findall(headers.get("references", "")) or _MESSAGE_ID.findall(
        headers.get("in-reply-to", "")
    )
    if message_id:
        chain.append(message_id)
    if len(chain) > _MAX_REFERENCES:
        chain = [chain[0], *chain[-(_MAX_REFERENCES - 1) :]]
    return " ".join(chain)


def _attribution(headers: dict[str, str], from_list: list[tuple[str, str]]) -> str:
    who = _format_addresses(from_list[:1]) or "someone"
    try:
        when = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return f"{who} wrote:"
    return f"On {when:%a, %d %b %Y} at {when:%H:%M}, {who} wrote:"


def _quote_block(body: str, links: tuple[object, ...], attribution: str) -> str:
    lines = [*body.split("\n"), *_link_lines(links)] if body else _link_lines(links)
    quoted = [">" + line if line.startswith(">") else ("> " + line).rstrip() for line in lines]
    return "\n".join([attribution, *quoted])


def _link_lines(links: tuple[object, ...]) -> list[str]:
    lines = [f"[{getattr(link, 'number', '')}] {getattr(link, 'url', '')}" for link in links]
    return ["", *lines] if lines else []
