"""Connecting by policy: TLS verified, STARTTLS required when chosen, no silent downgrade."""

from __future__ import annotations

import dataclasses

import pytest

from tests.support.accounts import imap_account
from tests.support.dovecot import DovecotServer, MailUser
from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.core.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    InsecureConnectionRefused,
    TlsError,
)
from tui_mail.core.imap.session import ImapSession


def connect(account: AccountConfig, password: str, **timeouts: float) -> ImapSession:
    session = ImapSession(account, lambda: password, **timeouts)
    session.connect()
    return session


def test_implicit_tls_with_the_accounts_ca(dovecot: DovecotServer, mail_user: MailUser) -> None:
    session = connect(imap_account(dovecot, mail_user), mail_user.password)
    try:
        assert session.has("IMAP4REV1")
        assert session.has("QRESYNC")
        assert "INBOX" in {f.name for f in session.list_folders()}
    finally:
        session.close()


def test_starttls_upgrades_before_login(dovecot: DovecotServer, mail_user: MailUser) -> None:
    session = connect(imap_account(dovecot, mail_user, security="starttls"), mail_user.password)
    try:
        sock = session.client._imap.sock
        assert sock.version() in {"TLSv1.2", "TLSv1.3"}  # the socket really is TLS now
    finally:
        session.close()


def test_starttls_required_but_not_offered_is_refused(
    dovecot_factory: type[DovecotServer], mail_user: MailUser
) -> None:
    plain_server = dovecot_factory(ssl=False)
    user = plain_server.add_user()
    account = imap_account(plain_server, user, security="starttls", port=plain_server.imap_port)
    with pytest.raises(TlsError, match="does not offer STARTTLS") as caught:
        connect(account, user.password)
    assert "Refusing to continue unencrypted" in str(caught.value)


def test_plaintext_needs_allow_insecure(dovecot_factory: type[DovecotServer]) -> None:
    plain_server = dovecot_factory(ssl=False)
    user = plain_server.add_user()
    account = imap_account(plain_server, user, security="plain", port=plain_server.imap_port)
    with pytest.raises(InsecureConnectionRefused, match="allow_insecure = true"):
        connect(account, user.password)
    allowed = dataclasses.replace(account, allow_insecure=True)
    session = connect(allowed, user.password)
    session.close()


def test_untrusted_certificate_is_a_clear_error(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    account = imap_account(dovecot, mail_user, trust_ca=False)
    with pytest.raises(TlsError, match="not trusted") as caught:
        connect(account, mail_user.password)
    assert "ca_file" in str(caught.value)


def test_certificate_for_another_name_is_refused(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    account = imap_account(dovecot, mail_user, host=dovecot.alt_host)
    with pytest.raises(TlsError, match="not valid for the name"):
        connect(account, mail_user.password)


def test_tls_against_a_cleartext_port(dovecot: DovecotServer, mail_user: MailUser) -> None:
    account = imap_account(dovecot, mail_user, port=dovecot.imap_port)
    with pytest.raises(TlsError, match="starttls"):
        connect(account, mail_user.password)


def test_starttls_against_an_implicit_tls_port_times_out_with_advice(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    account = imap_account(dovecot, mail_user, security="starttls", port=dovecot.imaps_port)
    with pytest.raises(ConnectionFailed, match='security = "tls"'):
        connect(account, mail_user.password, connect_timeout=1.0, read_timeout=1.0)


def test_wrong_password(dovecot: DovecotServer, mail_user: MailUser) -> None:
    with pytest.raises(AuthenticationFailed, match="rejected the login") as caught:
        connect(imap_account(dovecot, mail_user), "not-the-password")
    assert "not-the-password" not in str(caught.value)


def test_closed_port(dovecot: DovecotServer, mail_user: MailUser) -> None:
    account = dataclasses.replace(
        imap_account(dovecot, mail_user),
        imap=ServerConfig(host="127.0.0.1", port=1, security="tls"),
    )
    with pytest.raises(ConnectionFailed, match="refused the connection"):
        connect(account, mail_user.password)


def test_unknown_host(dovecot: DovecotServer, mail_user: MailUser) -> None:
    account = dataclasses.replace(
        imap_account(dovecot, mail_user),
        imap=ServerConfig(host="no-such-host.invalid", port=993, security="tls"),
    )
    with pytest.raises(ConnectionFailed, match="Cannot resolve"):
        connect(account, mail_user.password)
