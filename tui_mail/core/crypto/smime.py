"""S/MIME (RFC 8551) read: signatures checked by the openssl binary against the system's
trust store, encrypted mail decrypted with the key the user points to.

Why two tools: `cryptography` (already a dependency) decrypts PKCS#7 enveloped data but
cannot verify a PKCS#7 signature at all, so verification runs `openssl cms -verify`, which
uses the same trust store as every other program on the system (SSL_CERT_FILE and
SSL_CERT_DIR move it, as they do for openssl).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from tui_mail.core.crypto.verdict import Decryption, Signature, SigState, Trust
from tui_mail.core.message.sanitize import sanitize_line

_TIMEOUT = 20
_MAX_INPUT = 64 * 1024 * 1024


class SMime:
    """openssl for verifying; the user's key and certificate (PEM) for decrypting."""

    def __init__(
        self, openssl: str = "openssl", key: Path | None = None, cert: Path | None = None
    ) -> None:
        self.openssl = shutil.which(openssl)
        self.key = key
        self.cert = cert

    def verify_detached(self, data: bytes, signature: bytes) -> Signature:
        """A multipart/signed application/pkcs7-signature over `data` (as signed)."""
        return self._verify(signature, data)[0]

    def verify_opaque(self, signed: bytes) -> tuple[Signature, bytes]:
        """application/pkcs7-mime; smime-type=signed-data: the signature and the content."""
        return self._verify(signed, None)

    def _verify(self, signature: bytes, content: bytes | None) -> tuple[Signature, bytes]:
        if self.openssl is None:
            return Signature(SigState.ERROR, detail="openssl is not installed"), b""
        if len(signature) + len(content or b"") > _MAX_INPUT:
            return Signature(SigState.ERROR, detail="the signed part is too large to check"), b""
        with tempfile.TemporaryDirectory(prefix="tui-mail-smime-") as directory:
            folder = Path(directory)
            (folder / "sig.der").write_bytes(signature)
            base = [self.openssl, "cms", "-verify", "-binary", "-inform", "DER",
                    "-in", str(folder / "sig.der"), "-purpose", "smimesign",
                    "-signer", str(folder / "signer.pem"),
                    "-out", str(folder / "content")]  # fmt: skip
            if content is not None:
                (folder / "content.in").write_bytes(content)
                base += ["-content", str(folder / "content.in")]
            trusted = _run(base)
            # Chain refused: is the signature itself sound? Then only the issuer is unknown.
            sound = trusted.returncode == 0 or _run([*base, "-noverify"]).returncode == 0
            signer = folder / "signer.pem"
            out = folder / "content"
            body = out.read_bytes() if sound and out.exists() else b""
            if not sound:
                detail = sanitize_line(trusted.stderr.decode("utf-8", "replace"))[:200]
                bad = "digest" in detail.lower() or "content verify" in detail.lower()
                state = SigState.BAD if bad else SigState.ERROR
                return Signature(state, detail=detail, scheme="smime"), b""
            trust = Trust.FULL if trusted.returncode == 0 else Trust.UNDEFINED
            return _signer(signer, trust), body

    def decrypt(self, enveloped: bytes) -> Decryption:
        """application/pkcs7-mime; smime-type=enveloped-data, with the user's key."""
        if self.key is None or self.cert is None:
            return Decryption(False, failure="No S/MIME key is set (smime_key and smime_cert "
                              "in the account's settings).")  # fmt: skip
        try:
            key = serialization.load_pem_private_key(self.key.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(self.cert.read_bytes())
        except (OSError, ValueError, TypeError) as error:
            reason = type(error).__name__
            return Decryption(False, failure=f"The S/MIME key could not be read ({reason}).")
        try:
            clear = pkcs7.pkcs7_decrypt_der(enveloped, cert, key, [])  # type: ignore[arg-type]
        except (ValueError, TypeError):
            return Decryption(False, failure="It is not encrypted to your S/MIME certificate.")
        return Decryption(True, clear)


def _run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(args, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return subprocess.CompletedProcess(args, 1, b"", str(error).encode())


def _signer(path: Path, trust: Trust) -> Signature:
    """Who signed: the signer certificate's name, address and SHA-256 fingerprint."""
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return Signature(SigState.GOOD, trust=trust, scheme="smime")
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = sanitize_line(str(names[0].value))[:200] if names else ""
    emails = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        emails += alt.value.get_values_for_type(x509.RFC822Name)
    except x509.ExtensionNotFound:
        pass
    clean = tuple(sorted({sanitize_line(e).lower()[:200] for e in emails}))
    fingerprint = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return Signature(
        SigState.GOOD, name, clean[0] if clean else "", fingerprint.upper(), "", trust, clean,
        scheme="smime",
    )  # fmt: skip
