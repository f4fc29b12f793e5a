"""Autocrypt Level 1 (https://autocrypt.org/level1.html): learning peers' keys from their
mail, sending ours, and recommending encryption by the spec's state rules.

Peers' keys live in a keyring of their own (`<data>/autocrypt/gnupg`, 0700), never in the
user's: a key that came in a header is not one the user chose to trust, and must not
change what their own gpg says about anything. The peer table beside it
(`peers.json`, 0600) holds, per address, what section 2.3 of the spec keeps: last_seen,
autocrypt_timestamp, the key's fingerprint and prefer-encrypt.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import tempfile
import textwrap
import threading
import time
from dataclasses import asdict, dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr, parsedate_to_datetime
from enum import StrEnum
from pathlib import Path

from tui_mail.core.crypto.gnupg import GnuPG

STALE_SECONDS = 35 * 24 * 3600
"""Spec 2.4: a key last seen in a header more than 35 days before the peer's last
message only 'discourages' encryption."""
_MAX_KEYDATA = 64 * 1024


class Recommendation(StrEnum):
    """Spec 2.4, for one recipient or the whole message."""

    DISABLE = "disable"
    DISCOURAGE = "discourage"
    AVAILABLE = "available"
    ENCRYPT = "encrypt"


@dataclass(frozen=True, slots=True)
class Header:
    addr: str
    keydata: bytes
    prefer_encrypt: str = "nopreference"


@dataclass(slots=True)
class Peer:
    last_seen: float = 0.0
    autocrypt_timestamp: float = 0.0
    fingerprint: str = ""
    prefer_encrypt: str = "nopreference"
    source: str = "autocrypt"
    """"autocrypt" (a header) or "wkd" (the peer's domain published it; never more than
    'available': it does not say the peer's client reads encrypted mail)."""


def parse_header(value: str) -> Header | None:
    """An `Autocrypt:` header's attributes; None when it breaks the spec (then ignored)."""
    attributes: dict[str, str] = {}
    for item in value.split(";"):
        key, _eq, val = item.strip().partition("=")
        if key:
            attributes[key.strip().lower()] = val.strip()
    addr = attributes.pop("addr", "").lower()
    keydata = "".join(attributes.pop("keydata", "").split())
    prefer = attributes.pop("prefer-encrypt", "nopreference")
    if not addr or not keydata or any(not key.startswith("_") for key in attributes):
        return None  # a critical attribute we do not know: the header is not for us
    try:
        decoded = base64.b64decode(keydata, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(decoded) > _MAX_KEYDATA:
        return None
    return Header(addr, decoded, "mutual" if prefer == "mutual" else "nopreference")


class AutocryptStore:
    """The peer table and the peers' keyring of one user (every account shares it)."""

    def __init__(self, directory: Path, gpg_binary: str = "gpg") -> None:
        self.directory = directory
        self._gpg_binary = gpg_binary
        self._lock = threading.Lock()
        self._peers: dict[str, Peer] | None = None

    @property
    def home(self) -> Path:
        return self.directory / "gnupg"

    def gpg(self) -> GnuPG:
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        return GnuPG(self._gpg_binary, self.home)

    def peers(self) -> dict[str, Peer]:
        with self._lock:
            if self._peers is None:
                self._peers = self._load()
            return self._peers

    def peer(self, address: str) -> Peer | None:
        return self.peers().get(address.strip().lower())

    def learn(self, raw: bytes, *, now: float | None = None) -> bool:
        """Spec 2.3: update the sender's state from a message; True when its key changed.
        Messages with several From addresses, or a header for another address, teach
        nothing; a message dated in the future counts as sent now."""
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:262144])
        senders = [parseaddr(str(v))[1].lower() for v in headers.get_all("From", [])]
        if len(senders) != 1 or not senders[0]:
            return False
        sender = senders[0]
        if "multipart/report" in str(headers.get("Content-Type", "")).lower():
            return False  # bounces and receipts say nothing about the sender's client
        now = time.time() if now is None else now
        sent = min(_date(str(headers.get("Date", ""))) or now, now)
        found = [h for v in headers.get_all("Autocrypt", []) if (h := parse_header(str(v)))]
        matching = [h for h in found if h.addr == sender]
        peers = self.peers()
        peer = peers.setdefault(sender, Peer())
        if sent <= peer.last_seen and len(matching) != 1:
            return False
        peer.last_seen = max(peer.last_seen, sent)
        changed = False
        if len(matching) == 1 and sent > peer.autocrypt_timestamp:
            header = matching[0]
            fingerprint = self._import(header.keydata, sender)
            if fingerprint:
                changed = fingerprint != peer.fingerprint
                peer.autocrypt_timestamp = sent
                peer.fingerprint = fingerprint
                peer.prefer_encrypt = header.prefer_encrypt
        self._save()
        return changed

    def recommend(self, addresses: list[str], *, reply_to_encrypted: bool = False,
                  own_prefers_mutual: bool = False) -> Recommendation:  # fmt: skip
        """Spec 2.4 over all recipients: disable if any lacks a key; encrypt when every
        peer and we prefer mutual (or it replies to encrypted mail); discourage when a
        key is stale; else available."""
        if not addresses:
            return Recommendation.DISABLE
        each = [self._recommend_one(a, reply_to_encrypted, own_prefers_mutual) for a in addresses]
        for level in (Recommendation.DISABLE, Recommendation.DISCOURAGE, Recommendation.AVAILABLE):
            if level in each:
                return level
        return Recommendation.ENCRYPT

    def _recommend_one(self, address: str, replying: bool, own_mutual: bool) -> Recommendation:
        peer = self.peer(address)
        if peer is None or not peer.fingerprint:
            return Recommendation.DISABLE
        if peer.source == "wkd":
            return Recommendation.AVAILABLE
        if peer.autocrypt_timestamp < peer.last_seen - STALE_SECONDS:
            return Recommendation.ENCRYPT if replying else Recommendation.DISCOURAGE
        if replying or (own_mutual and peer.prefer_encrypt == "mutual"):
            return Recommendation.ENCRYPT
        return Recommendation.AVAILABLE

    def remember_found(self, address: str, keydata: bytes) -> bool:
        """A key found for `address` elsewhere (WKD): kept if it carries the address."""
        address = address.strip().lower()
        fingerprint = self._import(keydata, address)
        if not fingerprint:
            return False
        peer = self.peers().setdefault(address, Peer(source="wkd"))
        if not peer.fingerprint or peer.source == "wkd":
            peer.fingerprint, peer.source = fingerprint, "wkd"
        self._save()
        return True

    def fingerprints(self, addresses: list[str]) -> dict[str, str]:
        """address -> the fingerprint learnt for it (only the addresses that have one)."""
        found = {}
        for address in addresses:
            peer = self.peer(address)
            if peer is not None and peer.fingerprint:
                found[address] = peer.fingerprint
        return found

    def _import(self, keydata: bytes, sender: str) -> str:
        """Import into the peers' keyring; the key must carry the sender's address."""
        gpg = self.gpg()
        fingerprint = gpg.import_key(keydata)
        if fingerprint and sender in gpg.addresses_of(fingerprint):
            return fingerprint
        return ""

    def _load(self) -> dict[str, Peer]:
        try:
            data = json.loads((self.directory / "peers.json").read_text("utf-8"))
            return {str(a): Peer(**{k: v for k, v in p.items() if k in Peer.__slots__})
                    for a, p in data.items()}  # fmt: skip
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def _save(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = json.dumps({a: asdict(p) for a, p in self.peers().items()}, sort_keys=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".peers-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(data)
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.directory / "peers.json")
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def outgoing_header(gpg: GnuPG, address: str, *, mutual: bool) -> str | None:
    """Our `Autocrypt:` header's value for `address` (None without a usable key of ours):
    the minimal key (primary, encryption subkey, this user ID), foldable for transport."""
    keydata = gpg.export_minimal(address)
    if not keydata:
        return None
    prefer = " prefer-encrypt=mutual;" if mutual else ""
    encoded = base64.b64encode(keydata).decode("ascii")
    # Spaces between 72-character pieces: where the header is folded (a reader drops them).
    return f"addr={address};{prefer} keydata= " + " ".join(textwrap.wrap(encoded, 72))


def autocrypt_store(data_dir: Path) -> AutocryptStore:
    """The user's Autocrypt state, under the data directory."""
    return AutocryptStore(data_dir / "autocrypt")


def _date(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
