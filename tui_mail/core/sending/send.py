"""Sending and postponing, from a finished draft to the server and back into the folders.

`send` puts the message in the outbox (on disk, before any network), hands it to the
account's transport, files the Sent copy, already seen (unless `save_sent = false`), flags
the replied or forwarded original (`Flag.ANSWERED`, `Flag.FORWARDED`), removes the postponed
Drafts copy, and only then forgets the outbox entry. A failure leaves the message in the outbox
and raises `NotSent`; `flush_outbox` picks up wherever an entry stopped, so a message
accepted by the server is never submitted again just because filing its copy failed.

`postpone` saves a draft to the Drafts folder (`Flag.DRAFT`, `Flag.SEEN`) and removes the
version it replaces. Only AccountService's public API is used, so any backend works.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, compat32
from email.utils import format_datetime, getaddresses
from typing import TYPE_CHECKING, Literal

from tui_mail.core.errors import (
    ConnectionFailed,
    InsecureConnectionRefused,
    TlsError,
    TuiMailError,
    UsageError,
)
from tui_mail.core.message.correspondents import own_addresses
from tui_mail.core.message.mime import decode_header_value
from tui_mail.core.models import Flag, FolderRole
from tui_mail.core.sending.compose import (
    Draft,
    Origin,
    build_message,
    envelope,
    new_message_id,
)
from tui_mail.core.sending.draft import DRAFT_CRYPTO_HEADER
from tui_mail.core.sending.outbox import Outbox, OutboxEntry
from tui_mail.core.sending.protection import add_autocrypt_header, protected, wkd_for
from tui_mail.core.sending.smtp import Transport, TryLater, transport_for

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.crypto.autocrypt import AutocryptStore

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id:", re.IGNORECASE | re.MULTILINE)
_DATE = re.compile(rb"^date:", re.IGNORECASE | re.MULTILINE)


class NotSent(TuiMailError):
    """The message did not (certainly) go out; it waits in the outbox.

    `cause` is the underlying error (AuthenticationFailed, RecipientsRefused ...), whose
    exit code this one takes.
    """

    def __init__(self, cause: TuiMailError, entry: OutboxEntry, *, may_have_been_sent: bool):
        if may_have_been_sent:
            status = (
                "The connection broke while the message was being handed over, so it may have "
                f"arrived. It stays in the outbox ({entry.id}); a retry sends it again with "
                "the same Message-ID."
            )
        elif entry.retries_itself:  # a 4xx "try later", or the network: not the user's to fix
            wait = max(0, round(entry.retry_at() - time.time()))
            status = (
                f"It was not sent yet and waits in the outbox ({entry.id}); it is retried by "
                f"itself (next in about {wait} s while tui-mail runs), or now with "
                '"tui-mail outbox --flush".'
            )
        else:
            status = (
                f'It was not sent and waits in the outbox ({entry.id}); "tui-mail outbox '
                '--flush" sends it again.'
            )
        super().__init__(f"{cause} {status}")
        self.cause = cause
        self.entry_id = entry.id
        self.may_have_been_sent = may_have_been_sent
        self.exit_code = cause.exit_code


@dataclass(slots=True)
class SendReport:
    """What happened to one message that the server accepted."""

    entry_id: str
    message_id: str
    recipients: tuple[str, ...]
    sent_copy: str | None = None
    """The folder the copy was filed in; None when not filed (see warnings)."""
    resent: bool = False
    """An earlier attempt broke off mid-transfer, so recipients may see it twice."""
    warnings: list[str] = field(default_factory=list)
    """Sentences about what could not be done after sending (flags, filing)."""
    done: bool = True
    """False when the entry stays in the outbox (its Sent copy is still to be filed)."""
    left_machine: bool = True
    """False for a local-only account (the demo): the message was only filed."""


async def send_draft(
    service: AccountService,
    draft: Draft,
    *,
    outbox: Outbox,
    transport: Transport | None = None,
    autocrypt: AutocryptStore | None = None,
) -> SendReport:
    """Build `draft` and `send` it; the replied-to message and the Drafts copy follow.
    A draft to sign or encrypt is protected before it reaches the outbox, so the outbox
    never holds the clear text of an encrypted message; `autocrypt` lends the keys it
    learnt (and the account's `autocrypt` setting adds our own header)."""
    built = build_message(service.account, draft)
    message: EmailMessage | bytes = built
    if service.account.autocrypt:
        await asyncio.to_thread(add_autocrypt_header, built, service.account)
    if draft.sign or draft.encrypt:
        look_up = wkd_for(service.account) if service.account.wkd else None
        message = await asyncio.to_thread(
            protected, built, draft.sign, draft.encrypt, autocrypt=autocrypt, look_up=look_up
        )
    return await send(
        service,
        message,
        outbox=outbox,
        origin=draft.origin,
        drafts_copy=draft.drafts_copy,
        transport=transport,
    )


async def send(
    service: AccountService,
    message: EmailMessage | bytes,
    *,
    outbox: Outbox,
    origin: Origin | None = None,
    drafts_copy: tuple[str, int] | None = None,
    transport: Transport | None = None,
) -> SendReport:
    """Queue `message` durably, then deliver it (see the module docstring).

    A ready-made message may be given as bytes (an .eml): it gets a Date and a Message-ID
    if it has none, and its From must be one of the account's addresses.
    Raises OutboxError (nothing sent, nothing stored) or NotSent (stored, not sent).
    """
    transport = transport or transport_for(service.account)
    if isinstance(message, bytes):
        raw, sender, recipients, message_id = _prepare_raw(service, message)
    else:
        raw = message.as_bytes(policy=SMTP)
        sender, recipients = envelope(message)
        message_id = str(message["Message-ID"] or "")
    entry = await asyncio.to_thread(
        outbox.add,
        raw,
        sender=sender,
        recipients=recipients,
        subject=_subject(raw),
        message_id=message_id,
        origin=origin,
        drafts_copy=drafts_copy,
    )
    return await deliver(service, outbox, entry.id, transport=transport)


def queue_message(
    message: EmailMessage,
    outbox: Outbox,
    *,
    origin: Origin | None = None,
    drafts_copy: tuple[str, int] | None = None,
) -> OutboxEntry:
    """Put a built message in the outbox without sending it (OutboxError when it cannot
    be written): also what keeps a message when the account's cache cannot be opened."""
    raw = message.as_bytes(policy=SMTP)
    sender, recipients = envelope(message)
    return outbox.add(
        raw,
        sender=sender,
        recipients=recipients,
        subject=_subject(raw),
        message_id=str(message["Message-ID"] or ""),
        origin=origin,
        drafts_copy=drafts_copy,
    )


def worth_retrying(error: TuiMailError) -> bool:
    """The server could not be reached, the connection broke, or the server said "try
    later" (4xx): worth trying again unchanged. A TLS or plaintext refusal is a setting to
    fix, not bad weather."""
    if isinstance(error, TryLater):
        return True
    return isinstance(error, ConnectionFailed) and not isinstance(
        error, TlsError | InsecureConnectionRefused
    )


def retries_by_itself(entry: OutboxEntry, now: float, *, due_only: bool = True) -> bool:
    """Whether the outbox sends `entry` again without being asked (now, with `due_only`
    False: the connection has just come back): a message that failed for want of a
    network, or one accepted by the server whose Sent copy is still to be filed."""
    if not entry.attempts:  # queued by a process that may be sending it right now
        return entry.retry_at() <= now
    if not (entry.retries_itself or entry.state in ("accepted", "filed")):
        return False
    return not due_only or entry.retry_at() <= now


async def flush_outbox(
    service: AccountService,
    outbox: Outbox,
    *,
    transport: Transport | None = None,
    automatic: Literal["due", "reconnected"] | None = None,
) -> list[SendReport | NotSent]:
    """Try waiting messages once, oldest first: every one when the user asks, else
    (`automatic`) only those that retry by themselves, and with "due" only those whose
    retry time has come. Failures are returned, not raised, so one bad message does not
    hold up the others; a busy entry (another process) is skipped."""
    results: list[SendReport | NotSent] = []
    entries = outbox.entries()
    now = time.time()
    if automatic is not None:
        due_only = automatic == "due"
        entries = [e for e in entries if retries_by_itself(e, now, due_only=due_only)]
    if not entries:
        return results
    transport = transport or transport_for(service.account)
    for entry in entries:
        try:
            results.append(await deliver(service, outbox, entry.id, transport=transport))
        except NotSent as error:
            results.append(error)
        except UsageError:  # sent by another process meanwhile, or being sent by it now
            continue
    return results


async def deliver(
    service: AccountService, outbox: Outbox, entry_id: str, *, transport: Transport
) -> SendReport:
    """Take one outbox entry as far as it goes: submit, file, follow up, forget."""
    with outbox.claimed(entry_id) as claimed:
        entry = claimed
        report = SendReport(entry.id, entry.message_id, entry.recipients)
        report.left_machine = not service.account.local_only
        raw = await asyncio.to_thread(outbox.message, entry)
        if entry.state in ("queued", "transmitting"):
            report.resent = entry.may_have_been_sent
            entry = await _submit(outbox, entry, raw, transport)
        if entry.state == "accepted":
            try:
                folder = await _file_sent_copy(service, raw, report)
            except TuiMailError as error:
                report.warnings.append(
                    f"Sent, but the copy could not be filed in Sent ({error}). It stays in "
                    'the outbox; "tui-mail outbox --flush" files it.'
                )
                await asyncio.to_thread(outbox.update, entry, last_error=f"Not filed: {error}")
                report.done = False
                return report
            entry = await asyncio.to_thread(
                outbox.update, entry, state="filed", sent_folder=folder, last_error=""
            )
        report.sent_copy = entry.sent_folder
        await _follow_up(service, entry, report)
        await asyncio.to_thread(outbox.remove, entry)
        return report


async def postpone(service: AccountService, draft: Draft) -> int | None:
    """Save `draft` to the Drafts folder, replacing the version it was reopened from or
    last postponed as. Returns the new UID (None when the server does not say it)."""
    folder = await service.role_folder(FolderRole.DRAFTS)
    if folder is None:
        raise UsageError(
            f"Account {service.account.name!r} has no Drafts folder. Create one named "
            '"Drafts" (it is found by its special-use flag or that name).'
        )
    if not draft.message_id:
        draft.message_id = new_message_id(service.account)
    built = build_message(service.account, draft, for_drafts=True)
    if draft.encrypt:  # the Drafts folder never holds the clear text: encrypted to you
        built[DRAFT_CRYPTO_HEADER] = "sign,encrypt" if draft.sign else "encrypt"
        raw = await asyncio.to_thread(protected, built, False, True, to_self_only=True)
    else:
        if draft.sign:
            built[DRAFT_CRYPTO_HEADER] = "sign"
        raw = built.as_bytes(policy=SMTP)
    uid = await service.append(folder, raw, (Flag.DRAFT, Flag.SEEN))
    if uid is None:  # no UIDPLUS: find it by its Message-ID, which no other draft has
        found = await service.find_by_message_id(folder, [draft.message_id])
        uid = max(found) if found else None
    previous, draft.drafts_copy = draft.drafts_copy, (None if uid is None else (folder, uid))
    if previous is not None and previous != draft.drafts_copy:
        await service.expunge(previous[0], [previous[1]])
    return uid


def report_sentence(report: SendReport) -> str:
    """What happened, in one or two sentences, for the status bar or the terminal."""
    again = " again (an earlier attempt broke off mid-way)" if report.resent else ""
    filed = f"; filed in {report.sent_copy}" if report.sent_copy else ""
    to = ", ".join(report.recipients)
    if report.left_machine:
        sentence = f"Sent{again} to {to}{filed}."
    else:
        where = f"filed in {report.sent_copy}" if report.sent_copy else "not filed anywhere"
        sentence = f"Demo account: the message to {to} was {where}; nothing left the machine."
    return " ".join([sentence, *report.warnings])


def without_bcc(raw: bytes) -> bytes:
    """The message as transmitted: the same bytes minus the Bcc header (and its folds)."""
    match = _HEADER_END.search(raw)
    head, rest = (raw[: match.start()], raw[match.start() :]) if match else (raw, b"")
    kept: list[bytes] = []
    dropping = False
    for line in head.splitlines(keepends=True):
        if line[:1] not in (b" ", b"\t"):
            dropping = line[:4].lower() == b"bcc:"
        if not dropping:
            kept.append(line)
    kept_head = b"".join(kept)
    if kept_head.endswith(b"\n"):  # the Bcc was the last line: its line ending is in `rest`
        rest = rest[2:] if rest.startswith(b"\r\n") else rest[1:]
    return kept_head + rest


# -- steps ------------------------------------------------------------------------------


async def _submit(
    outbox: Outbox, entry: OutboxEntry, raw: bytes, transport: Transport
) -> OutboxEntry:
    current = entry

    async def before_data() -> None:
        nonlocal current
        current = await asyncio.to_thread(
            outbox.update,
            current,
            state="transmitting",
            attempts=entry.attempts + 1,
            last_attempt=time.time(),
        )

    try:
        await transport.submit(
            without_bcc(raw), entry.sender, entry.recipients, before_data=before_data
        )
    except TuiMailError as error:
        # Refused outright, the message was not delivered; a broken connection while it
        # travelled may mean it was.
        uncertain = current.state == "transmitting" and isinstance(error, ConnectionFailed)
        failed = await asyncio.to_thread(
            outbox.update,
            current,
            state="transmitting" if uncertain else "queued",
            attempts=entry.attempts + 1,
            last_attempt=time.time(),
            last_error=str(error),
            # Sending twice is the user's call, and so is a fix for a refusal.
            retries_itself=worth_retrying(error) and not uncertain,
        )
        raise NotSent(error, failed, may_have_been_sent=uncertain) from None
    return await asyncio.to_thread(
        outbox.update, current, state="accepted", last_error="", attempts=entry.attempts + 1
    )


async def _file_sent_copy(service: AccountService, raw: bytes, report: SendReport) -> str | None:
    if not service.account.save_sent:
        return None
    folder = await service.role_folder(FolderRole.SENT)
    if folder is None:
        report.warnings.append(
            'The account has no Sent folder, so no copy was kept. Create one named "Sent", '
            "or set save_sent = false if the provider keeps sent mail itself."
        )
        return None
    await service.append(folder, raw, (Flag.SEEN,))
    return folder


async def _follow_up(service: AccountService, entry: OutboxEntry, report: SendReport) -> None:
    """Flag the original and drop the Drafts copy; failures only warn (it was sent)."""
    if entry.origin is not None:
        origin = entry.origin
        try:
            await service.set_flag(origin.folder, [origin.uid], origin.flag, on=True)
        except TuiMailError as error:
            what = "answered" if origin.flag is Flag.ANSWERED else "forwarded"
            report.warnings.append(f"Could not mark the original as {what}: {error}")
    if entry.drafts_copy is not None:
        folder, uid = entry.drafts_copy
        try:
            await service.expunge(folder, [uid])
        except TuiMailError as error:
            report.warnings.append(f"Could not remove the draft from {folder}: {error}")


def _prepare_raw(service: AccountService, raw: bytes) -> tuple[bytes, str, list[str], str]:
    """Envelope and missing Date/Message-ID for a ready-made message."""
    raw = re.sub(rb"\r?\n", b"\r\n", raw)  # a file written on Unix: one line ending throughout
    headers = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    senders = [addr for _n, addr in getaddresses(headers.get_all("From") or []) if "@" in addr]
    if len(senders) != 1:
        raise UsageError("The message needs exactly one address in its From header.")
    if senders[0].casefold() not in own_addresses(service.account):
        raise UsageError(
            f"The message is From {senders[0]}, which is not an address of account "
            f"{service.account.name!r}; add it to aliases or as an [[accounts.identities]] "
            "table to send from it."
        )
    recipients: dict[str, str] = {}
    for name in ("To", "Cc", "Bcc"):
        for _n, addr in getaddresses(headers.get_all(name) or []):
            if "@" in addr:
                recipients.setdefault(addr.casefold(), addr)
    if not recipients:
        raise UsageError("The message has no recipients in To, Cc or Bcc.")
    message_id = str(headers.get("Message-ID", "")).strip()
    added = b""
    if not _DATE.search(raw[: _header_length(raw)]):
        added += f"Date: {format_datetime(datetime.now().astimezone())}\r\n".encode()
    if not _MESSAGE_ID.search(raw[: _header_length(raw)]):
        message_id = new_message_id(service.account)
        added += f"Message-ID: {message_id}\r\n".encode()
    return added + raw, senders[0], list(recipients.values()), message_id


def _header_length(raw: bytes) -> int:
    match = _HEADER_END.search(raw)
    return match.start() if match else len(raw)


def _subject(raw: bytes) -> str:
    headers = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    return decode_header_value(str(headers.get("Subject", "")))
