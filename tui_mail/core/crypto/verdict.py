"""What a signature or a decryption said, in our own types, and the sentences for it.

Every string that came from a key or a message (user IDs, notations, error text) is
sanitised before it is kept here, because it ends up on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import parseaddr
from enum import StrEnum

from tui_mail.core.message.sanitize import sanitize_line


class SigState(StrEnum):
    GOOD = "good"
    BAD = "bad"
    UNKNOWN_KEY = "unknown key"
    EXPIRED_KEY = "expired key"
    REVOKED_KEY = "revoked key"
    ERROR = "error"


class Trust(StrEnum):
    """How far the user's keyring vouches for the signing key (GnuPG's validity)."""

    ULTIMATE = "ultimate"
    FULL = "full"
    MARGINAL = "marginal"
    UNDEFINED = "undefined"
    NEVER = "never"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    """How a line is shown: fine, worth a look, or wrong."""

    OK = "ok"
    WARN = "warn"
    BAD = "bad"


@dataclass(frozen=True, slots=True)
class Signature:
    state: SigState
    name: str = ""
    """The signer's primary user ID's name (sanitised)."""
    email: str = ""
    fingerprint: str = ""
    key_id: str = ""
    trust: Trust = Trust.UNKNOWN
    emails: tuple[str, ...] = ()
    """Every address on the signing key (lowercase), to compare with From."""
    detail: str = ""
    """GnuPG's or openssl's own words when something failed (sanitised)."""
    scheme: str = "pgp"
    """"pgp" (trust is the user's keyring's) or "smime" (trust is the system's CAs')."""

    def matches(self, sender: str) -> bool:
        """Whether the key carries the From address `sender`."""
        address = parseaddr(sender)[1].lower()
        return bool(address) and address in {*self.emails, self.email.lower()}


@dataclass(frozen=True, slots=True)
class Decryption:
    ok: bool
    plaintext: bytes = field(default=b"", repr=False)
    """The clear text, kept in memory only; never in a repr, a log or a traceback."""
    signature: Signature | None = None
    """A signature inside the encrypted data (signed, then encrypted)."""
    failure: str = ""
    """Why it failed, in a sentence (sanitised)."""
    needs_passphrase: bool = False
    """The secret key is locked: asking for its passphrase would unlock it."""


def user_id(text: str) -> tuple[str, str]:
    """(name, address) of a user ID such as `Ada Lovelace <ada@example.org>`, sanitised."""
    name, address = parseaddr(text)
    if not address and "@" not in text:
        return sanitize_line(text)[:200], ""
    return sanitize_line(name)[:200], sanitize_line(address)[:200]


def fingerprint_text(fingerprint: str) -> str:
    """A fingerprint in groups of four, as gpg prints it."""
    clean = "".join(c for c in fingerprint.upper() if c in "0123456789ABCDEF")
    return " ".join(clean[i : i + 4] for i in range(0, len(clean), 4))


_TRUST_WORDS = {
    Trust.ULTIMATE: "your own key (ultimately trusted)",
    Trust.FULL: "a key you trust fully",
    Trust.MARGINAL: "a key you trust marginally",
    Trust.UNDEFINED: "a key you have not certified: it could belong to anyone",
    Trust.NEVER: "a key you said never to trust",
    Trust.UNKNOWN: "a key you have not certified: it could belong to anyone",
}


def signature_line(signature: Signature, sender: str) -> tuple[Severity, str]:
    """One sentence saying what is true about `signature` on mail from `sender`."""
    who = f"{signature.name} <{signature.email}>" if signature.email else signature.name
    key = fingerprint_text(signature.fingerprint) or signature.key_id
    if signature.state is SigState.GOOD:
        trusted = signature.trust in {Trust.ULTIMATE, Trust.FULL}
        signer = who or "an unnamed key"
        words = _TRUST_WORDS[signature.trust]
        if signature.scheme == "smime":
            words = (
                "certificate issued by an authority this system trusts"
                if trusted
                else "certificate NOT issued by an authority this system trusts"
            )
            key = f"SHA-256 {key[:39]}…"
        text = f"Good signature from {signer} ({key}), {words}."
        severity = Severity.OK if trusted else Severity.WARN
        if not signature.matches(sender):
            address = sanitize_line(parseaddr(sender)[1]) or "no address"
            text += f" The key does not carry the From address ({address})."
            severity = Severity.WARN
        return severity, text
    if signature.state is SigState.BAD:
        return Severity.BAD, (
            f"BAD signature (claimed by {who or key or 'an unknown key'}): the message was "
            "changed after it was signed, or the signature is forged."
        )
    if signature.state is SigState.UNKNOWN_KEY:
        return Severity.WARN, (
            f"Signed with a key you do not have ({key or 'no key ID'}): the signature cannot "
            "be checked. Import the sender's key (e.g. gpg --locate-keys ADDRESS) to check it."
        )
    if signature.state is SigState.EXPIRED_KEY:
        return Severity.WARN, f"Signature by {who or key} made with a key that has expired."
    if signature.state is SigState.REVOKED_KEY:
        return Severity.BAD, f"Signature by {who or key} made with a REVOKED key."
    return Severity.BAD, f"The signature could not be checked: {signature.detail or 'gpg failed'}."
