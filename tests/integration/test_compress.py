"""COMPRESS=DEFLATE (RFC 4978) against the suite's Dovecot with its imap_zlib plugin: used
where offered, not where not offered or turned off, a refusal survived, fewer bytes on the
wire for the same answers, and the doctor saying which."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pytest

from benchmarks.fixture import ByteCountingProxy, counting_proxy
from tests.integration.conftest import ServiceFactory
from tests.support.accounts import imap_account, server_flags
from tests.support.dovecot import (
    DEFAULT_CAPABILITIES,
    DovecotFactory,
    DovecotServer,
    MailUser,
    make_message,
)
from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.core.doctor import Check, diagnose_account
from tui_mail.core.imap.backend import ImapBackend
from tui_mail.core.imap.session import ImapSession
from tui_mail.core.models import Flag

HEADERS = "UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER]"


@pytest.fixture(scope="module")
def zlib_dovecot(dovecot_factory: DovecotFactory) -> DovecotServer:
    return dovecot_factory(name="zlib", compress=True)


@pytest.fixture
def zlib_user(zlib_dovecot: DovecotServer) -> MailUser:
    user = zlib_dovecot.add_user()
    zlib_dovecot.deliver(user, [make_message(i) for i in range(500)])
    return user


@pytest.fixture
def proxy(zlib_dovecot: DovecotServer) -> Iterator[ByteCountingProxy]:
    with counting_proxy(zlib_dovecot.imaps_port) as relay:
        yield relay


def through(proxy: ByteCountingProxy, account: AccountConfig, **changes: object) -> AccountConfig:
    return dataclasses.replace(
        account, imap=ServerConfig("localhost", proxy.port, "tls"), **changes
    )


def headers_of_inbox(account: AccountConfig, user: MailUser) -> tuple[ImapSession, list[bytes]]:
    session = ImapSession(account, lambda: user.password, compress=True)
    session.connect()
    session.select("INBOX", readonly=True)
    sections = [m.section or b"" for m in session.fetch_stream("1:*", HEADERS)]
    return session, sections


def test_offered_used_and_the_wire_carries_far_fewer_bytes(
    zlib_dovecot: DovecotServer, zlib_user: MailUser, proxy: ByteCountingProxy
) -> None:
    account = imap_account(zlib_dovecot, zlib_user)
    plain_session, plain = headers_of_inbox(through(proxy, account, compress=False), zlib_user)
    plain_bytes = proxy.received
    proxy.reset()
    session, deflated = headers_of_inbox(through(proxy, account), zlib_user)
    deflated_bytes = proxy.received
    try:
        assert plain_session.has("COMPRESS=DEFLATE") and plain_session.compression is None
        assert session.compression is not None
        assert deflated == plain and len(deflated) == 500  # the same answers, byte for byte
        assert deflated_bytes * 4 < plain_bytes, (deflated_bytes, plain_bytes)
        ratio = session.compression.ratio
        assert ratio is not None and ratio > 4
    finally:
        session.close()
        plain_session.close()


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_sync_fetch_search_flag_move_append_over_a_compressed_connection(
    zlib_dovecot: DovecotServer, zlib_user: MailUser, make_service: ServiceFactory, security: str
) -> None:
    # (test_actions.py and test_sync.py run whole against this server too.)
    zlib_dovecot.deliver(
        zlib_user, [make_message(600 + i, subject="Zqxcompress plan") for i in range(2)]
    )
    account = imap_account(zlib_dovecot, zlib_user, security=security)  # type: ignore[arg-type]
    service = make_service(account, zlib_user)
    await service.sync("INBOX")
    backend = service.link.backend
    assert isinstance(backend, ImapBackend) and backend.session.compression is not None
    uids = sorted(m.uid for m in service.messages("INBOX"))
    assert len(uids) == 502

    raw = await service.fetch_raw("INBOX", uids[0])
    assert raw == make_message(0).replace(b"\n", b"\r\n")
    assert await service.search_uids("INBOX", "subject:Zqxcompress") == uids[-2:]
    await service.set_flag("INBOX", uids[:3], Flag.FLAGGED, on=True)
    flags = server_flags(zlib_dovecot, zlib_user, "INBOX")
    assert [b"\\Flagged" in flags[uid] for uid in uids[:4]] == [True, True, True, False]
    await service.move("INBOX", uids[3:5], "Archive")
    assert len(server_flags(zlib_dovecot, zlib_user, "Archive")) == 2
    draft = make_message(9000, subject="Appended over deflate").replace(b"\n", b"\r\n")
    await service.append("Drafts", draft, (Flag.SEEN,))
    assert list(server_flags(zlib_dovecot, zlib_user, "Drafts").values()) == [{b"\\Seen"}]
    await service.sync("INBOX")
    assert len(service.messages("INBOX")) == 500
    assert backend.session.compression is not None and backend.session.compression.ratio


def test_not_asked_where_not_offered_nor_where_turned_off(
    dovecot: DovecotServer, mail_user: MailUser, zlib_dovecot: DovecotServer, zlib_user: MailUser
) -> None:
    for account, user, offered in (
        (imap_account(dovecot, mail_user), mail_user, False),
        (
            dataclasses.replace(imap_account(zlib_dovecot, zlib_user), compress=False),
            zlib_user,
            True,
        ),
    ):
        session = ImapSession(account, lambda u=user: u.password, compress=True)
        session.connect()
        try:
            assert session.has("COMPRESS=DEFLATE") is offered
            assert session.compression is None
            assert session.list_folders()  # and the connection works as ever
        finally:
            session.close()


def test_a_session_that_does_not_ask_stays_uncompressed(
    zlib_dovecot: DovecotServer, zlib_user: MailUser
) -> None:
    # The IDLE watchers' sessions: they wait with poll() on the socket (core/imap/compress.py).
    session = ImapSession(imap_account(zlib_dovecot, zlib_user), lambda: zlib_user.password)
    session.connect()
    try:
        assert session.has("COMPRESS=DEFLATE") and session.compression is None
    finally:
        session.close()


def test_a_refusal_leaves_the_connection_working_uncompressed(
    dovecot_factory: DovecotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # Advertised without the plugin loaded: Dovecot answers COMPRESS with BAD.
    liar = dovecot_factory(name="nozlib", capabilities=DEFAULT_CAPABILITIES + " COMPRESS=DEFLATE")
    user = liar.add_user()
    liar.deliver(user, [make_message(i) for i in range(3)])
    account = imap_account(liar, user)
    session = ImapSession(account, lambda: user.password, compress=True)
    with caplog.at_level(logging.WARNING, logger="tui_mail.core.imap.compress"):
        session.connect()
    try:
        assert session.compression is None
        assert "refused COMPRESS DEFLATE" in caplog.text and "going on uncompressed" in caplog.text
        session.select("INBOX")
        assert len(list(session.fetch_stream("1:*", HEADERS))) == 3
    finally:
        session.close()

    step = compression_step(account, user)
    assert (step.status, step.fix) == (
        "warn",
        "set compress = false for this account to stop asking",
    )


def compression_step(account: AccountConfig, user: MailUser) -> Check:
    report = diagnose_account(account, lambda: user.password, timeout=10)
    steps = {check.step: check for check in report.checks if check.protocol == "IMAP"}
    return steps["compression"]


def test_the_doctor_says_whether_compression_is_in_use(
    dovecot: DovecotServer, mail_user: MailUser, zlib_dovecot: DovecotServer, zlib_user: MailUser
) -> None:
    in_use = compression_step(imap_account(zlib_dovecot, zlib_user), zlib_user)
    assert in_use.status == "ok"
    assert in_use.detail.startswith("DEFLATE in use (the folder list arrived ")
    assert in_use.detail.endswith("x smaller)")

    off = dataclasses.replace(imap_account(zlib_dovecot, zlib_user), compress=False)
    assert compression_step(off, zlib_user).detail == "offered, but turned off (compress = false)"

    absent = compression_step(imap_account(dovecot, mail_user), mail_user)
    assert (absent.status, absent.detail) == ("ok", "not offered: mail arrives uncompressed")


async def test_new_mail_is_announced_while_the_command_connection_is_compressed(
    zlib_dovecot: DovecotServer, zlib_user: MailUser, make_service: ServiceFactory
) -> None:
    from tests.integration.test_idle import (  # noqa: PLC0415
        Recorder,
        append_from_other_client,
        new_mail_with,
        state_is,
    )

    service = make_service(imap_account(zlib_dovecot, zlib_user), zlib_user)
    await service.sync("INBOX")
    events = Recorder(service)
    service.start_watching()
    await events.wait(state_is("idling"))
    append_from_other_client(zlib_dovecot, zlib_user, "Fresh over deflate")
    await events.wait(new_mail_with("Fresh over deflate"), timeout=5.0)
    backend = service.link.backend
    assert isinstance(backend, ImapBackend) and backend.session.compression is not None
    assert any(m.subject == "Fresh over deflate" for m in service.messages("INBOX"))
