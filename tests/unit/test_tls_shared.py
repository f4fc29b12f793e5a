"""The TLS context mail sessions share (core/net/tls.py): made once per CA file, early if
asked, and a CA file that could not be read is read again at the next connection."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from tui_mail.core.errors import TlsError
from tui_mail.core.net.tls import prepare_shared_context, shared_context


def _subjects(context: ssl.SSLContext) -> set[str]:
    return {
        value
        for cert in context.get_ca_certs()
        for rdn in cert["subject"]
        for key, value in rdn
        if key == "organizationalUnitName"
    }


def test_one_context_per_ca_file_trusting_that_ca(tmp_path: Path) -> None:
    ca = trustme.CA(organization_unit_name="tui-mail test CA one")
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    prepare_shared_context(pem)  # begun early, on its own thread
    first = shared_context(pem)
    assert shared_context(pem) is first
    assert "tui-mail test CA one" in _subjects(first)
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    other = tmp_path / "other.pem"
    trustme.CA(organization_unit_name="tui-mail test CA two").cert_pem.write_to_path(str(other))
    assert "tui-mail test CA two" in _subjects(shared_context(other))
    assert "tui-mail test CA two" not in _subjects(first)


def test_an_unreadable_ca_file_is_an_error_each_time_until_put_right(tmp_path: Path) -> None:
    pem = tmp_path / "ca.pem"
    pem.write_text("not a certificate\n")
    prepare_shared_context(pem)
    for _ in range(2):
        with pytest.raises(TlsError, match="Cannot load ca_file"):
            shared_context(pem)
    trustme.CA(organization_unit_name="tui-mail fixed CA").cert_pem.write_to_path(str(pem))
    assert "tui-mail fixed CA" in _subjects(shared_context(pem))
