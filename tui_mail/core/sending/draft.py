"""A message being written (`Draft`) and the message built from it.

A `Draft` is what a compose screen edits: plain strings for the header fields as the user
types them ("Ada <ada@example.org>, bob@example.org"), the body text, and attachments held
in memory. `build_message` turns it into an `email.message.EmailMessage` with the SMTP
policy: non-ASCII names and subjects become RFC 2047 encoded words, text is 7-bit or
quoted-printable (so no server needs 8BITMIME for our own text), every message gets a Date
and a Message-ID on the account's domain. Bad addresses raise UsageError naming the field.

Starting a draft from an original message (reply, forward, reopen) is
`tui_mail.core.sending.compose`.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.policy import default as default_policy
from email.utils import format_datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.core.errors import UsageError
from tui_mail.core.message.correspondents import own_addresses
from tui_mail.core.message.filenames import safe_filename
from tui_mail.core.models import Flag

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig

DRAFT_INFO_HEADER = "X-TUI-Mail-Draft"
"""Drafts-folder copies only: what the draft replies to or forwards (base64 JSON)."""

LINE_BREAKS = re.compile(r"[\r\n]+\s*")
_HARMLESS_DEFECTS = frozenset({"empty element in address-list"})


DRAFT_CRYPTO_HEADER = "X-TUI-Mail-Draft-Crypto"
"""In a postponed draft: the sign/encrypt choice to restore ("sign", "encrypt",
"sign,encrypt"); outside the encryption, like the other headers, so it says only that."""


@dataclass(slots=True)
class FileAttachment:
    """A file going out with a message, held in memory (a draft must survive its file)."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)

    @classmethod
    def from_path(cls, path: Path) -> FileAttachment:
        """Read `path`; its MIME type is guessed from the name (application/octet-stream)."""
        try:
            data = path.expanduser().read_bytes()
        except IsADirectoryError:
            raise UsageError(f"Cannot attach {path}: it is a directory.") from None
        except OSError as error:
            raise UsageError(f"Cannot attach {path}: {error.strerror or error}.") from None
        guessed, encoding = mimetypes.guess_type(path.name)
        # A .tar.gz is sent as what it is on the wire (gzip), not as a tar with an encoding.
        if encoding is not None:
            guessed = {
                "gzip": "application/gzip",
                "bzip2": "application/x-bzip2",
                "xz": "application/x-xz",
            }.get(encoding, "application/octet-stream")
        return cls(path.name, guessed or "application/octet-stream", data)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class Origin:
    """The message a reply or forward came from, flagged once the server accepts ours."""

    folder: str
    uid: int
    flag: Flag
    """Flag.ANSWERED for a reply, Flag.FORWARDED for a forward."""


@dataclass(slots=True)
class Draft:
    """A message being written. Every field may be edited freely until it is sent.

    Drafts compare by value: keep a `copy.deepcopy` from when the screen opened and compare
    it on cancel to know whether anything would be lost.
    """

    from_addr: str
    """"Name <address>": the account's address or another of its identities."""
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    attachments: list[FileAttachment] = field(default_factory=list)
    in_reply_to: str = ""
    references: str = ""
    message_id: str = ""
    """Kept from the first version to the sent message, so a resend is recognisable."""
    origin: Origin | None = None
    drafts_copy: tuple[str, int] | None = None
    """(folder, UID) of the version last postponed to the server, replaced or removed later."""
    sign: bool = False
    """Sign with the sender's PGP key (PGP/MIME; core/crypto/protect.py)."""
    encrypt: bool = False
    """Encrypt to every recipient and the sender; refused, not sent in clear, when a
    recipient has no key. A postponed copy is encrypted to the sender alone."""


class OutgoingMessage(EmailMessage):
    """An EmailMessage whose `as_bytes()` keeps an attached message's 8-bit bytes intact."""

    def as_bytes(self, unixfrom: bool = False, policy: Policy | None = None) -> bytes:
        stream = BytesIO()
        _RawMessageGenerator(stream, mangle_from_=False, policy=policy or self.policy).flatten(
            self, unixfrom=unixfrom
        )
        return stream.getvalue()


class _RawMessageGenerator(BytesGenerator):
    """The stdlib writes a str payload of a message/* part with a strict ASCII encode;
    ours holds the attached message's own bytes as surrogate escapes, written back as is."""

    def _encode(self, s: str) -> bytes:
        return s.encode("ascii", "surrogateescape")


def new_message_id(account: AccountConfig) -> str:
    """A fresh Message-ID on the account's domain; random, with nothing about this machine."""
    domain = account.email.rpartition("@")[2] or "localhost"
    return f"<{secrets.token_hex(12)}@{domain}>"


# -- building the message ---------------------------------------------------------------


def build_message(
    account: AccountConfig, draft: Draft, *, for_drafts: bool = False, now: datetime | None = None
) -> EmailMessage:
    """The message to send (or, with `for_drafts`, to postpone: recipients may be missing
    and a private header remembers what the draft replies to). Raises UsageError for an
    address that cannot be sent to, naming the field."""
    message = OutgoingMessage(policy=SMTP)
    message["Date"] = format_datetime(now or datetime.now().astimezone())
    message["From"] = _sender(account, draft.from_addr)
    recipients = 0
    for name, text in (("To", draft.to), ("Cc", draft.cc), ("Bcc", draft.bcc)):
        addresses = parse_addresses(text, name)
        if addresses:
            message[name] = addresses
            recipients += len(addresses)
    if not recipients and not for_drafts:
        raise UsageError("The message has no recipients: give at least one To, Cc or Bcc.")
    message["Subject"] = LINE_BREAKS.sub(" ", draft.subject).strip()
    message["Message-ID"] = draft.message_id or new_message_id(account)
    if draft.in_reply_to:
        message["In-Reply-To"] = draft.in_reply_to
    if draft.references:
        message["References"] = draft.references
    if for_drafts and draft.origin is not None:
        message[DRAFT_INFO_HEADER] = _draft_info(draft.origin)
    _set_text(message, draft.body)
    for attachment in draft.attachments:
        _attach(message, attachment)
    return message


def parse_addresses(text: str, field_name: str = "To") -> list[Address]:
    """Addresses as a user types them, comma separated; UsageError names a bad one."""
    if not text.strip():
        return []
    advice = 'separate addresses with commas, e.g. "Ada <ada@example.org>, bob@example.org"'
    try:
        header = default_policy.header_factory(field_name, LINE_BREAKS.sub(" ", text))
    except Exception:  # the stdlib parser raises IndexError and friends on some input
        raise UsageError(f"{field_name}: cannot read {text.strip()!r}; {advice}.") from None
    found = [_checked(address, field_name, text) for address in getattr(header, "addresses", ())]
    problems = [str(d) for d in header.defects if str(d) not in _HARMLESS_DEFECTS]
    if problems:
        raise UsageError(f"{field_name}: cannot read {text.strip()!r} ({problems[0]}); {advice}.")
    if not found:
        raise UsageError(f"{field_name}: {text.strip()!r} holds no email address.")
    return found


def envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """(envelope sender, recipients): From, and every To, Cc and Bcc address once."""
    senders = message["From"].addresses if message["From"] is not None else ()
    recipients: dict[str, str] = {}
    for name in ("To", "Cc", "Bcc"):
        for header in message.get_all(name) or ():
            for address in header.addresses:
                recipients.setdefault(address.addr_spec.casefold(), address.addr_spec)
    return (senders[0].addr_spec if senders else ""), list(recipients.values())


def account_address(account: AccountConfig) -> str:
    return str(Address(display_name=account.display_name, addr_spec=account.email))


def _sender(account: AccountConfig, from_addr: str) -> Address:
    addresses = parse_addresses(from_addr or account_address(account), "From")
    if len(addresses) != 1:
        raise UsageError(f"From: give exactly one address, not {from_addr!r}.")
    address = addresses[0]
    if address.addr_spec.casefold() not in own_addresses(account):
        allowed = ", ".join(identity.email for identity in account.every_identity)
        raise UsageError(
            f"From: {address.addr_spec} is not an address of account {account.name!r} "
            f"({allowed}). Add it to aliases or as an [[accounts.identities]] table in the "
            "account to send from it."
        )
    return address


def _checked(address: Address, field_name: str, text: str) -> Address:
    local, _at, domain = address.addr_spec.rpartition("@")
    if not local or not domain or ("." not in domain.strip(".") and domain != "localhost"):
        shown = address.addr_spec or text.strip()
        raise UsageError(
            f"{field_name}: {shown!r} is not a complete email address (like name@example.org)."
        )
    if not local.isascii():
        raise UsageError(
            f"{field_name}: {address.addr_spec!r} has non-ASCII characters before the @, "
            "which this version cannot send."
        )
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise UsageError(f"{field_name}: {domain!r} is not a valid domain name.") from None
    return Address(display_name=address.display_name, username=local, domain=domain)


def _set_text(message: EmailMessage, body: str) -> None:
    text = body.replace("\r\n", "\n")
    if text and not text.endswith("\n"):
        text += "\n"
    plain = text.isascii() and all(len(line) <= 998 for line in text.split("\n"))
    message.set_content(text, cte="7bit" if plain else "quoted-printable")


def _attach(message: EmailMessage, attachment: FileAttachment) -> None:
    filename = safe_filename(attachment.filename, "attachment")
    if attachment.content_type.lower() == "message/rfc822":
        _attach_message(message, attachment.data, filename)
        return
    maintype, _slash, subtype = attachment.content_type.partition("/")
    if not maintype or not subtype or maintype in ("multipart", "message"):
        maintype, subtype = "application", "octet-stream"
    message.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=filename)


def _attach_message(message: EmailMessage, raw: bytes, filename: str) -> None:
    """Attach a whole message byte for byte (re-serialising it would re-encode its headers
    and body); message/rfc822 may not be base64, so 8-bit content stays 8-bit."""
    if not message.is_multipart():
        message.make_mixed()
    part = EmailMessage(policy=SMTP)
    part["Content-Type"] = "message/rfc822"
    part.add_header("Content-Disposition", "attachment", filename=filename)
    normalised = re.sub(rb"\r?\n", b"\r\n", raw)
    if not normalised.endswith(b"\r\n"):
        normalised += b"\r\n"
    if not normalised.isascii():
        part["Content-Transfer-Encoding"] = "8bit"
    # A str payload is written out as is by the generator (surrogateescape keeps 8-bit bytes).
    part.set_payload(normalised.decode("ascii", "surrogateescape"))
    message.attach(part)


def _draft_info(origin: Origin) -> str:
    info = {"folder": origin.folder, "uid": origin.uid, "flag": origin.flag.name}
    return base64.b64encode(json.dumps(info).encode()).decode("ascii")


def read_draft_info(value: str) -> Origin | None:
    """What a draft replies to or forwards; None for anything not written by us."""
    try:
        info = json.loads(base64.b64decode("".join(value.split()), validate=True))
        flag = Flag[info["flag"]]
        if flag not in (Flag.ANSWERED, Flag.FORWARDED):
            return None
        folder, uid = info["folder"], info["uid"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if not isinstance(folder, str) or not isinstance(uid, int) or isinstance(uid, bool):
        return None
    return Origin(folder, uid, flag)
