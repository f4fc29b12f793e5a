"""Opening a signed or encrypted message: what to render, and what is true about it.

`open_secured` walks the message's MIME entities (cut from the raw bytes, entities.py),
checks each PGP/MIME signature (RFC 3156 multipart/signed), decrypts each PGP/MIME
encrypted part (multipart/encrypted) and each inline PGP block, and returns the bytes the
renderer should show (decrypted parts spliced in, in memory only) with a report.

What the report may claim is decided here, never by the message: a status line in the
body is only text in the body. When only some parts are signed or encrypted the report
says which (a signed part beside unsigned ones is the signature-spoofing trick), and the
clear text of a part that failed its integrity check is never shown (EFAIL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from typing import TYPE_CHECKING

from tui_mail.core.crypto.entities import (
    Entity,
    canonical,
    header_lines,
    outer_headers,
    split_entity,
)
from tui_mail.core.crypto.verdict import Decryption, Severity, Signature, signature_line
from tui_mail.core.message.sanitize import sanitize_line

if TYPE_CHECKING:
    from tui_mail.core.crypto.gnupg import GnuPG
    from tui_mail.core.crypto.smime import SMime

_SMIME_SIGNATURES = {"application/pkcs7-signature", "application/x-pkcs7-signature"}
_SMIME_TYPES = {"application/pkcs7-mime", "application/x-pkcs7-mime"}
_PGP_SIGNATURE = "application/pgp-signature"
_PGP_ENCRYPTED = "application/pgp-encrypted"
_INLINE = re.compile(
    rb"-----BEGIN PGP (?:SIGNED )?MESSAGE-----.*?-----END PGP (?:SIGNATURE|MESSAGE)-----",
    re.DOTALL,
)
_MAX_INLINE_BLOCKS = 8


@dataclass(frozen=True, slots=True)
class Finding:
    """One signed or encrypted entity and what checking it said."""

    path: str
    """Where it is ("" for the whole message, "2", "1.2" ...)."""
    kind: str
    """"signed", "encrypted" or "inline" (a PGP block inside a text part)."""
    signature: Signature | None = None
    decrypted: bool = False
    failure: str = ""
    needs_passphrase: bool = False
    partial_text: bool = False
    """Inline PGP: the part holds text outside the PGP block, which nothing covers."""


@dataclass(frozen=True, slots=True)
class SecurityReport:
    findings: tuple[Finding, ...] = ()
    sender: str = ""

    @property
    def empty(self) -> bool:
        return not self.findings

    @property
    def failed(self) -> bool:
        """A signature was bad (or could not be checked) or a decryption failed: what the
        CLI's exit status says."""
        return any(line[0] is Severity.BAD for line in self.lines())

    @property
    def locked(self) -> bool:
        return any(f.needs_passphrase for f in self.findings)

    def lines(self) -> list[tuple[Severity, str]]:
        """What the reader shows above the body, one sentence each."""
        out: list[tuple[Severity, str]] = []
        for finding in self.findings:
            out += _finding_lines(finding, self.sender)
        covered = {f.path for f in self.findings}
        if covered and "" not in covered:
            out.append((Severity.WARN, "The rest of the message is not signed or encrypted."))
        return out


def _finding_lines(finding: Finding, sender: str) -> list[tuple[Severity, str]]:
    where = "" if finding.path == "" else f"Part {finding.path} only: "
    out: list[tuple[Severity, str]] = []
    if finding.decrypted:
        out.append((Severity.OK, f"{where}Encrypted; decrypted for reading (not stored)."))
    elif finding.failure:
        out.append((Severity.BAD, f"{where}Encrypted, and could not be read: {finding.failure}"))
    if finding.signature is not None:
        severity, text = signature_line(finding.signature, sender)
        out.append((severity, where + text))
    if finding.partial_text:
        out.append(
            (
                Severity.WARN,
                f"Part {finding.path or 1} has text outside its PGP block: that text is NOT "
                "signed or encrypted.",
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Opened:
    raw: bytes = field(repr=False)
    """What to render: the message with decrypted parts in place (memory only)."""
    report: SecurityReport
    locked: bytes = field(default=b"", repr=False)
    """The first encrypted data that needs the key's passphrase (b"" when none)."""


def needs_checking(raw: bytes) -> bool:
    """Whether `raw` holds anything PGP or S/MIME (cheap: a plain message starts nothing)."""
    lowered = raw[:65536].lower()
    return (
        b"application/pgp-" in lowered or b"pkcs7-" in lowered or b"-----begin pgp " in raw.lower()
    )


@dataclass(frozen=True)
class _Tools:
    gpg: GnuPG | None
    smime: SMime | None


def open_secured(raw: bytes, gpg: GnuPG | None, smime: SMime | None = None) -> Opened:
    """The message to render and the report on it. Never raises for a message's sake.
    `gpg` None: GnuPG is not installed (PGP parts say so); `smime` None: S/MIME parts are
    shown as they came."""
    top = split_entity(raw)
    findings: list[Finding] = []
    locked: list[bytes] = []
    shown = _open(top, _Tools(gpg, smime), findings, locked, depth=0)
    sender = _header_text(top, "From")
    return Opened(shown, SecurityReport(tuple(findings), sender), locked[0] if locked else b"")


def _open(
    entity: Entity, tools: _Tools, findings: list[Finding], locked: list[bytes], depth: int
) -> bytes:
    """`entity`'s raw bytes as they should be rendered."""
    kind = entity.content_type
    protocol = entity.param("protocol").lower()
    if depth > 10:
        return entity.raw
    if tools.smime is not None and (
        (kind == "multipart/signed" and protocol in _SMIME_SIGNATURES) or kind in _SMIME_TYPES
    ):
        return _smime(entity, tools, findings, locked, depth)
    gpg = tools.gpg
    pgp = (kind == "multipart/signed" and protocol == _PGP_SIGNATURE) or (
        kind == "multipart/encrypted" and protocol == _PGP_ENCRYPTED
    )
    if gpg is None:
        if pgp or (not entity.parts and b"-----BEGIN PGP " in entity.body):
            findings.append(Finding(entity.path, "signed", failure=_NO_GNUPG))
            return entity.raw
        if not entity.parts:
            return entity.raw
    if kind == "multipart/signed" and protocol == _PGP_SIGNATURE and gpg is not None:
        if len(entity.parts) != 2:
            findings.append(Finding(entity.path, "signed", failure="malformed"))
            return entity.raw
        signed, signature = entity.parts
        verdict = gpg.verify_detached(canonical(signed.raw), signature.body)
        findings.append(Finding(entity.path, "signed", verdict))
        inner = _open(signed, tools, findings, locked, depth + 1)
        return _replace_entity(entity, inner)
    if kind == "multipart/encrypted" and protocol == _PGP_ENCRYPTED and gpg is not None:
        if len(entity.parts) != 2:
            findings.append(Finding(entity.path, "encrypted", failure="It is malformed."))
            return entity.raw
        result = gpg.decrypt(entity.parts[1].body)
        findings.append(_decrypted(entity.path, "encrypted", result))
        if result.needs_passphrase:
            locked.append(entity.parts[1].body)
        if not result.ok:
            return entity.raw
        # The clear text is a MIME entity of its own; signed-then-encrypted is checked too.
        inner_entity = split_entity(result.plaintext, entity.path)
        return _replace_entity(entity, _open(inner_entity, tools, findings, locked, depth + 1))
    if entity.parts:
        shown = entity.raw
        for part in entity.parts:
            opened = _open(part, tools, findings, locked, depth + 1)
            if opened is not part.raw:
                shown = shown.replace(part.raw, opened, 1)
        return shown
    if kind == "text/plain" and b"-----BEGIN PGP " in entity.body and gpg is not None:
        return _inline(entity, gpg, findings, locked)
    return entity.raw


_NO_GNUPG = "GnuPG (gpg) is not installed, so this PGP part cannot be checked or read."


def _smime(
    entity: Entity, tools: _Tools, findings: list[Finding], locked: list[bytes], depth: int
) -> bytes:
    """An S/MIME entity: a detached signature, opaque signed data, or enveloped data."""
    smime = tools.smime
    assert smime is not None  # noqa: S101 (the caller checked)
    if entity.content_type == "multipart/signed":
        if len(entity.parts) != 2:
            findings.append(Finding(entity.path, "signed", failure="It is malformed."))
            return entity.raw
        signed, signature = entity.parts
        verdict = smime.verify_detached(canonical(signed.raw), _payload(signature))
        findings.append(Finding(entity.path, "signed", verdict))
        return _replace_entity(entity, _open(signed, tools, findings, locked, depth + 1))
    data = _payload(entity)
    if entity.param("smime-type").lower() == "signed-data":
        verdict, content = smime.verify_opaque(data)
        findings.append(Finding(entity.path, "signed", verdict))
        if not content:
            return entity.raw
        inner = split_entity(content, entity.path)
        return _replace_entity(entity, _open(inner, tools, findings, locked, depth + 1))
    result = smime.decrypt(data)
    findings.append(_decrypted(entity.path, "encrypted", result))
    if not result.ok:
        return entity.raw
    inner = split_entity(result.plaintext, entity.path)
    return _replace_entity(entity, _open(inner, tools, findings, locked, depth + 1))


def _payload(entity: Entity) -> bytes:
    """The entity's content with its transfer encoding (base64) undone."""
    from email.parser import BytesParser  # noqa: PLC0415
    from email.policy import compat32  # noqa: PLC0415

    payload = BytesParser(policy=compat32).parsebytes(entity.raw).get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _decrypted(path: str, kind: str, result: Decryption) -> Finding:
    return Finding(
        path,
        kind,
        result.signature,
        decrypted=result.ok,
        failure=result.failure,
        needs_passphrase=result.needs_passphrase,
    )


def _inline(entity: Entity, gpg: GnuPG, findings: list[Finding], locked: list[bytes]) -> bytes:
    """A text part with PGP blocks in it: each block replaced by what it says."""
    text = _decoded_body(entity)
    blocks = list(_INLINE.finditer(text))[:_MAX_INLINE_BLOCKS]
    if not blocks:
        return entity.raw
    outside = _INLINE.sub(b"", text).strip()
    pieces: list[bytes] = []
    last = 0
    for block in blocks:
        pieces.append(text[last : block.start()])
        result = gpg.decrypt(block.group(0))
        if result.needs_passphrase:
            locked.append(block.group(0))
        findings.append(
            Finding(
                entity.path,
                "inline",
                result.signature,
                decrypted=result.ok and b"BEGIN PGP MESSAGE" in block.group(0),
                failure="" if result.ok else result.failure,
                needs_passphrase=result.needs_passphrase,
                partial_text=bool(outside),
            )
        )
        pieces.append(result.plaintext if result.ok else block.group(0))
        last = block.end()
    pieces.append(text[last:])
    body = b"".join(pieces)
    head = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    return _replace_entity(entity, head + body)


def _decoded_body(entity: Entity) -> bytes:
    """A text part's content as UTF-8 (its transfer encoding and charset undone)."""
    charset = entity.headers.get_content_charset() or "utf-8"
    try:
        return _payload(entity).decode(charset, "replace").encode("utf-8")
    except LookupError:
        return _payload(entity).decode("utf-8", "replace").encode("utf-8")


def _replace_entity(entity: Entity, inner: bytes) -> bytes:
    """`entity` replaced by `inner` (an entity with its own Content-* headers). At the top
    the message's own headers (From, Subject ...) are kept, its Content-* ones dropped."""
    if entity.path != "":
        return inner
    split = header_lines(entity.raw)
    return outer_headers(split[0] if split else [entity.raw]) + inner


def _header_text(entity: Entity, name: str) -> str:
    value = entity.headers.get(name, "")
    try:
        return sanitize_line(str(make_header(decode_header(str(value)))))
    except Exception:  # a malformed header: its raw text, sanitised
        return sanitize_line(str(value))
