"""The user's own GnuPG, through python-gnupg: their keyring, their agent, their config.

Why python-gnupg (measured on this project's 2-core VM, medians of 20, GnuPG 2.2.40):
verifying a detached signature took 13 ms through it and 13 ms through our own gpg
subprocess, decrypting 17 ms and 23 ms; GPGME's Python bindings took 35 ms and 79 ms, cost
123 ms to make a context, and do not install from PyPI without libgpgme's headers and a C
build. python-gnupg runs the same `gpg` binary the user runs and parses its status lines,
which is what we would otherwise write by hand.

Nothing here may pop up a passphrase prompt over the TUI: gpg runs with
`--pinentry-mode error`, so a locked key fails with `needs_passphrase` and the UI can
suspend itself and let `unlock_command` ask on the real terminal (the agent then keeps
the passphrase). Nothing fetches keys from the network when a message is opened
(`--no-auto-key-retrieve`): that would tell the sender the message was read.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import gnupg  # type: ignore[import-untyped]

from tui_mail.core.crypto.verdict import Decryption, Signature, SigState, Trust, user_id
from tui_mail.core.errors import TuiMailError
from tui_mail.core.message.sanitize import sanitize_line

_QUIET = ["--pinentry-mode", "error", "--no-auto-key-retrieve"]
_TRUST = {
    "TRUST_ULTIMATE": Trust.ULTIMATE,
    "TRUST_FULLY": Trust.FULL,
    "TRUST_MARGINAL": Trust.MARGINAL,
    "TRUST_UNDEFINED": Trust.UNDEFINED,
    "TRUST_NEVER": Trust.NEVER,
}
_MAX_INPUT = 64 * 1024 * 1024
"""Larger signed or encrypted data is not handed to gpg (nothing a mail needs)."""


_HASHES = {"1": "md5", "2": "sha1", "3": "ripemd160", "8": "sha256", "9": "sha384",
           "10": "sha512", "11": "sha224"}  # fmt: skip
"""OpenPGP hash algorithm numbers (RFC 4880 9.4) as RFC 3156's micalg names them."""


class CryptoFailed(TuiMailError):
    """Signing or encrypting could not be done: nothing was sent."""


class KeyLocked(CryptoFailed):
    """The key's passphrase is needed: run `command` on the terminal, then try again."""

    def __init__(self, sentence: str, command: list[str]) -> None:
        super().__init__(sentence)
        self.command = command


class GnuPGMissing(RuntimeError):
    """No gpg binary: signed and encrypted mail is shown as it came, with this sentence."""


class GnuPG:
    """One user's GnuPG (GNUPGHOME from the environment unless `home` is given)."""

    def __init__(self, binary: str = "gpg", home: Path | None = None) -> None:
        found = shutil.which(binary)
        if found is None:
            raise GnuPGMissing(
                f"GnuPG ({binary}) is not installed, so signatures cannot be checked "
                "and encrypted mail cannot be read."
            )
        self.binary = found
        self.home = home
        self._gpg = gnupg.GPG(gpgbinary=found, gnupghome=str(home) if home else None)
        self._gpg.encoding = "utf-8"

    def verify_detached(self, data: bytes, signature: bytes) -> Signature:
        """Check a detached signature (PGP/MIME) over `data`, exactly as signed."""
        if len(data) > _MAX_INPUT:
            return Signature(SigState.ERROR, detail="the signed part is too large to check")
        with tempfile.TemporaryDirectory(prefix="tui-mail-sig-") as directory:
            path = Path(directory, "signature.asc")
            path.write_bytes(signature)
            result = self._gpg.verify_data(str(path), data, extra_args=_QUIET)
        return self._signature(result)

    def decrypt(self, data: bytes) -> Decryption:
        """Decrypt (and verify, if signed inside) PGP data, or verify a clearsigned text:
        either way `plaintext` is what the sender wrote."""
        if len(data) > _MAX_INPUT:
            return Decryption(False, failure="The encrypted part is too large to decrypt.")
        result = self._gpg.decrypt(data, extra_args=_QUIET)
        status = str(getattr(result, "stderr", "") or "")
        signature = self._signature(result) if _signed(status) else None
        if "[GNUPG:] BADMDC" in status or "DECRYPTION_FAILED" in status or not result.ok:
            return Decryption(
                False,
                signature=signature,
                failure=_decrypt_failure(str(result.status or ""), status),
                needs_passphrase=_locked(status),
            )
        return Decryption(True, bytes(result.data), signature)

    # -- writing ---------------------------------------------------------------------------

    def sign_detached(self, data: bytes, signer: str) -> tuple[bytes, str]:
        """An armored detached signature over `data` by `signer` (an address or a
        fingerprint) and its micalg (RFC 3156: "pgp-sha256" ...). Raises KeyLocked when the
        key's passphrase is needed, CryptoFailed when gpg cannot sign."""
        result = self._gpg.sign(data, keyid=signer, detach=True, clearsign=False,
                                extra_args=_QUIET)  # fmt: skip
        status = str(getattr(result, "stderr", "") or "")
        if not result.data:
            raise self._failure(status, signer, "sign with")
        algo = _HASHES.get(str(getattr(result, "hash_algo", "") or ""), "sha256")
        return bytes(result.data), f"pgp-{algo}"

    def encrypt(
        self,
        data: bytes,
        fingerprints: list[str],
        *,
        sign_as: str = "",
        key_files: tuple[Path, ...] = (),
    ) -> bytes:
        """`data` encrypted (armored) to these keys and to the keys in `key_files` (learnt
        by Autocrypt, kept out of the user's keyring), signed by `sign_as` when given. The
        keys were chosen by `encryption_keys` (valid, carrying the address), hence
        always_trust."""
        files = [arg for path in key_files for arg in ("--recipient-file", str(path))]
        result = self._gpg.encrypt(data, fingerprints, sign=sign_as or None, always_trust=True,
                                   armor=True, extra_args=[*_QUIET, *files])  # fmt: skip
        status = str(getattr(result, "stderr", "") or "")
        if not result.ok or not result.data:
            raise self._failure(status, sign_as, "sign with" if sign_as else "encrypt to")
        return bytes(result.data)

    def encryption_keys(self, addresses: list[str]) -> dict[str, str | None]:
        """address -> the fingerprint of a usable key in the user's keyring that carries
        exactly that address (not expired, not revoked, able to encrypt); None when none."""
        found: dict[str, str | None] = {}
        for address in addresses:
            wanted = address.strip().lower()
            found[address] = None
            for key in self._gpg.list_keys(keys=[f"<{wanted}>"]):
                if str(key.get("trust", "")) in {"e", "r", "d", "i", "n"}:
                    continue  # expired, revoked, disabled, invalid, or never trusted
                if "E" not in str(key.get("cap", "")):
                    continue
                addresses_on_key = {user_id(str(uid))[1].lower() for uid in key.get("uids", [])}
                if wanted in addresses_on_key:
                    found[address] = str(key.get("fingerprint", ""))
                    break
        return found

    def import_key(self, keydata: bytes) -> str:
        """Import one public key; its fingerprint ("" when gpg took none)."""
        result = self._gpg.import_keys(keydata, extra_args=["--import-options", "import-clean"])
        fingerprints = [str(f) for f in getattr(result, "fingerprints", []) if f]
        return fingerprints[0] if len(set(fingerprints)) == 1 else ""

    def addresses_of(self, fingerprint: str) -> set[str]:
        return set(self._emails(fingerprint))

    def export_minimal(self, address: str, *, armor: bool = False) -> bytes:
        """The public key for `address`, minimal (its own user ID only), or b""."""
        fingerprint = self.encryption_keys([address]).get(address)
        if not fingerprint:
            return b""
        home = ["--homedir", str(self.home)] if self.home else []
        args = [self.binary, *home, "--batch", "--export-options", "export-minimal",
                "--export-filter", f"keep-uid=mbox={address.lower()}",
                *(["--armor"] if armor else []), "--export", fingerprint]  # fmt: skip
        done = subprocess.run(args, capture_output=True, timeout=30, check=False)
        return done.stdout if done.returncode == 0 else b""

    def prime_command(self, signer: str) -> list[str]:
        """A command that asks for `signer`'s passphrase on the terminal (by signing a
        throwaway byte) so that the agent holds it for the real signing that follows."""
        home = ["--homedir", str(self.home)] if self.home else []
        return [self.binary, *home, "--pinentry-mode", "ask", "--local-user", signer,
                "--sign", "--output", os.devnull]  # fmt: skip

    def _failure(self, status: str, key: str, doing: str) -> Exception:
        if _locked(status):
            return KeyLocked(
                f"Your key's passphrase is needed to {doing.split(maxsplit=1)[0]} ({key}).",
                self.prime_command(key),
            )
        if "INV_SGNR" in status or "secret key not available" in status.lower():
            return CryptoFailed(f"There is no secret key for {key} to sign with in your keyring.")
        return CryptoFailed(f"gpg could not {doing} {key or 'the recipients'}.")

    def unlock_command(self) -> list[str]:
        """A command that asks for the passphrase on the terminal (stdin: the encrypted
        data) so that the agent holds it: run it with the terminal, then decrypt again."""
        home = ["--homedir", str(self.home)] if self.home else []
        return [self.binary, *home, "--pinentry-mode", "ask", "--decrypt", "--output", os.devnull]

    def _signature(self, result: object) -> Signature:
        status = str(getattr(result, "status", "") or "")
        fingerprint = str(getattr(result, "pubkey_fingerprint", "") or "") or str(
            getattr(result, "fingerprint", "") or ""
        )
        name, email = user_id(str(getattr(result, "username", "") or ""))
        key_id = sanitize_line(str(getattr(result, "key_id", "") or ""))[:40]
        trust = _TRUST.get(str(getattr(result, "trust_text", "") or ""), Trust.UNKNOWN)
        lines = str(getattr(result, "stderr", "") or "")
        state = _state(status, bool(getattr(result, "valid", False)), lines)
        emails = self._emails(fingerprint) if state is SigState.GOOD else ()
        detail = sanitize_line(status)[:200]
        return Signature(state, name, email, fingerprint, key_id, trust, emails, detail)

    def _emails(self, fingerprint: str) -> tuple[str, ...]:
        """Every address on the key, so From is compared with all of its user IDs."""
        if not fingerprint:
            return ()
        found: set[str] = set()
        for key in self._gpg.list_keys(keys=[fingerprint]):
            for uid in key.get("uids", []):
                address = user_id(str(uid))[1].lower()
                if address:
                    found.add(address)
        return tuple(sorted(found))


_lock = threading.Lock()
_instances: dict[tuple[str, Path | None], GnuPG] = {}


def ask_on_this_terminal() -> None:
    """Before gpg asks for a passphrase on the real terminal: GPG_TTY names it, since
    pinentry-curses draws on the terminal gpg passes on to the agent (unset under tmux or
    SSH unless the user's shell exports it)."""
    with contextlib.suppress(OSError):
        os.environ.setdefault("GPG_TTY", os.ttyname(sys.stdin.fileno()))


def prime_on_terminal(locked: KeyLocked) -> None:
    """Let gpg's own pinentry ask for the passphrase `locked` needs, on this terminal (the
    agent then keeps it, so the job that failed can run again). The caller owns the
    terminal meanwhile: a TUI suspends itself first."""
    ask_on_this_terminal()
    print(f"tui-mail: {locked}", file=sys.stderr, flush=True)
    subprocess.run(locked.command, input=b"\n", check=False)


def user_gnupg(binary: str = "gpg", home: Path | None = None) -> GnuPG:
    """One GnuPG per binary and home (making one runs `gpg --version`: ~27 ms); the home
    is GNUPGHOME's when not given, as for the user's own gpg."""
    if home is None and os.environ.get("GNUPGHOME"):
        home = Path(os.environ["GNUPGHOME"])
    with _lock:
        key = (binary, home)
        if key not in _instances:
            _instances[key] = GnuPG(binary, home)
        return _instances[key]


def _signed(status: str) -> bool:
    return any(
        f"[GNUPG:] {word} " in status
        for word in ("GOODSIG", "BADSIG", "ERRSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG")
    )


def _state(status: str, valid: bool, lines: str = "") -> SigState:
    """What the signature is, from gpg's status lines (python-gnupg's summary of a
    decryption says only "decryption ok", whatever the signature inside said)."""
    if "[GNUPG:] BADSIG " in lines or status == "signature bad":
        return SigState.BAD
    if "[GNUPG:] NO_PUBKEY " in lines or status == "no public key":
        return SigState.UNKNOWN_KEY
    if "[GNUPG:] REVKEYSIG " in lines or status == "key revoked":
        return SigState.REVOKED_KEY
    if any(f"[GNUPG:] {w} " in lines for w in ("EXPKEYSIG", "EXPSIG")) or status in {
        "key expired",
        "signature expired",
    }:
        return SigState.EXPIRED_KEY
    if "[GNUPG:] ERRSIG " in lines:
        return SigState.ERROR
    return SigState.GOOD if valid else SigState.ERROR


_NO_PINENTRY = 85
"""GPG_ERR_NO_PIN_ENTRY: the key wants its passphrase and `--pinentry-mode error` said no."""


def _locked(status: str) -> bool:
    """Whether gpg stopped because the secret key's passphrase is needed."""
    for code in re.findall(r"\[GNUPG:\] (?:ERROR|FAILURE) \S+ (\d+)", status):
        if int(code) & 0xFFFF == _NO_PINENTRY:
            return True
    return "No pinentry" in status


def _decrypt_failure(summary: str, status: str) -> str:
    if "[GNUPG:] NO_SECKEY" in status and "DECRYPTION_OKAY" not in status:
        return "It is not encrypted to any key you have (no secret key for it)."
    if _locked(status) or "NEED_PASSPHRASE" in status:
        return "Your key is locked: its passphrase is needed."
    if "BADMDC" in status or "integrity" in status.lower():
        return "It failed its integrity check: it was changed on the way, so it is not shown."
    if "NODATA" in status or "no data" in summary:
        return "It holds no encrypted data gpg can read."
    return f"gpg could not decrypt it ({sanitize_line(summary)[:120] or 'no reason given'})."
