"""S/MIME read with the real openssl: a test CA and a user certificate made by openssl,
messages signed and encrypted by `openssl cms`; trust comes from SSL_CERT_FILE, the way
openssl finds the system's store."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tui_mail.core.crypto.reading import read_secured
from tui_mail.core.crypto.verdict import Severity
from tui_mail.core.message.mime import render_message

SENDER = "Grace Hopper <grace@example.org>"
CONTENT = b"Content-Type: text/plain; charset=utf-8\r\n\r\nQuarterly audit findings.\r\n"


def openssl(*args: str, data: bytes = b"") -> bytes:
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=60,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ca.pem; grace.pem + grace.key (emailAddress and a SAN for grace@example.org)."""
    root = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(root / "ca.key"), "-out", str(root / "ca.pem"), "-days", "30",
            "-subj", "/CN=Test Mail CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(root / "grace.key"),
            "-out", str(root / "grace.csr"), "-subj", "/CN=Grace Hopper")  # fmt: skip
    (root / "ext.cnf").write_text(
        "subjectAltName=email:grace@example.org\nkeyUsage=digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=emailProtection\n"
    )
    openssl("x509", "-req", "-in", str(root / "grace.csr"), "-CA", str(root / "ca.pem"),
            "-CAkey", str(root / "ca.key"), "-CAcreateserial", "-days", "30",
            "-extfile", str(root / "ext.cnf"), "-out", str(root / "grace.pem"))  # fmt: skip
    return root


def headers(to_top: bytes) -> bytes:
    return f"From: {SENDER}\r\nTo: me@example.org\r\nSubject: audit\r\n".encode() + to_top


def signed(pki: Path) -> bytes:
    made = openssl("cms", "-sign", "-signer", str(pki / "grace.pem"), "-inkey",
                   str(pki / "grace.key"), "-binary", "-crlfeol", data=CONTENT)  # fmt: skip
    return headers(made)


def test_trusted_signer_is_named_with_its_fingerprint(
    pki: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki / "ca.pem"))
    secured = read_secured(signed(pki))
    [(severity, text)] = secured.lines
    assert severity is Severity.OK, text
    assert text.startswith("Good signature from Grace Hopper <grace@example.org> (SHA-256 ")
    assert "issued by an authority this system trusts" in text
    assert "Quarterly audit findings." in render_message(secured.raw).body


def test_untrusted_issuer_and_a_changed_body(pki: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki / "grace.pem"))  # not the CA: untrusted
    [(severity, text)] = read_secured(signed(pki)).lines
    assert severity is Severity.WARN
    assert "NOT issued by an authority this system trusts" in text
    changed = read_secured(signed(pki).replace(b"Quarterly", b"Annually!"))
    assert changed.failed
    assert changed.lines[0][0] is Severity.BAD


def test_encrypted_to_the_users_certificate_is_decrypted(pki: Path) -> None:
    raw = headers(openssl("cms", "-encrypt", "-aes256", "-binary", "-crlfeol",
                          str(pki / "grace.pem"), data=CONTENT))  # fmt: skip
    secured = read_secured(raw, smime_key=pki / "grace.key", smime_cert=pki / "grace.pem")
    assert secured.lines[0] == (Severity.OK, "Encrypted; decrypted for reading (not stored).")
    assert "Quarterly audit findings." in render_message(secured.raw).body
    no_key = read_secured(raw)
    assert no_key.failed
    assert "No S/MIME key is set" in no_key.lines[0][1]
