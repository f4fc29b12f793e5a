"""The Dovecot harness itself, checked with a real client (imapclient) and stdlib clients."""

from __future__ import annotations

import email
import email.policy
import poplib
import socket
import ssl
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientAbortError, LoginError

from tests.support.dovecot import (
    DEFAULT_CAPABILITIES,
    DovecotFactory,
    DovecotServer,
    MailUser,
    make_message,
)

TIMEOUT = SocketTimeout(connect=5, read=10)
# Roughly what Gmail advertises, limited to what Dovecot implements: CONDSTORE, no QRESYNC.
GMAIL_LIKE = (
    "IMAP4rev1 UNSELECT IDLE NAMESPACE ID CHILDREN UIDPLUS ENABLE MOVE CONDSTORE ESEARCH "
    "LIST-EXTENDED LIST-STATUS"
)


def imaps(server: DovecotServer, host: str | None = None) -> IMAPClient:
    return IMAPClient(
        host or server.host,
        port=server.imaps_port,
        ssl=True,
        ssl_context=ssl.create_default_context(cafile=str(server.ca_pem)),
        timeout=TIMEOUT,
    )


def cleartext(server: DovecotServer, host: str | None = None) -> IMAPClient:
    return IMAPClient(host or server.host, port=server.imap_port, ssl=False, timeout=TIMEOUT)


def crlf(message: bytes) -> bytes:
    return message.replace(b"\n", b"\r\n")


def test_imaps_login_sees_delivered_messages_with_flags(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    messages = [make_message(i) for i in range(4)]
    dovecot.deliver(mail_user, messages[:1])
    dovecot.deliver(mail_user, messages[1:2], flags="S")
    dovecot.deliver(mail_user, messages[2:3], flags="SRF")
    dovecot.deliver(mail_user, messages[3:], flags="D")

    with imaps(dovecot) as client:
        client.login(mail_user.name, mail_user.password)
        assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == 4
        uids = client.search("ALL")
        data = client.fetch(uids, ["FLAGS", "RFC822.SIZE", "BODY.PEEK[]"])

    flags = [set(data[uid][b"FLAGS"]) - {b"\\Recent"} for uid in uids]
    assert flags == [
        set(),
        {b"\\Seen"},
        {b"\\Seen", b"\\Answered", b"\\Flagged"},
        {b"\\Draft"},
    ]
    for uid, original in zip(uids, messages, strict=True):
        assert data[uid][b"BODY[]"] == crlf(original)  # in delivery order, intact
        assert data[uid][b"RFC822.SIZE"] == len(crlf(original))  # W= was right


def test_internaldate_follows_the_date_header(dovecot: DovecotServer, mail_user: MailUser) -> None:
    dovecot.deliver(
        mail_user,
        [
            make_message(0, date="Mon, 05 Feb 2024 10:00:00 +0100"),
            make_message(1, date="Mon, 04 Mar 2024 10:00:00 +0000"),
            make_message(2, date="not a date"),
        ],
    )
    with imaps(dovecot) as client:
        client.login(mail_user.name, mail_user.password)
        client.select_folder("INBOX", readonly=True)
        dates = client.fetch([1, 2, 3], ["INTERNALDATE"])
        march = client.search(["SINCE", date(2024, 3, 1), "BEFORE", date(2024, 3, 31)])
    assert dates[1][b"INTERNALDATE"].astimezone(UTC) == datetime(2024, 2, 5, 9, 0, tzinfo=UTC)
    assert march == [2]
    delivered = dates[3][b"INTERNALDATE"].astimezone(UTC)  # no usable Date: delivery time
    assert abs(delivered - datetime.now(UTC)) < timedelta(minutes=5)


def test_new_users_get_subscribed_special_use_folders(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    with imaps(dovecot) as client:
        client.login(mail_user.name, mail_user.password)
        folders = {name: set(flags) for flags, _, name in client.list_folders()}
        subscribed = {name for _, _, name in client.list_sub_folders()}
    expected = {
        "Drafts": b"\\Drafts",
        "Sent": b"\\Sent",
        "Trash": b"\\Trash",
        "Junk": b"\\Junk",
        "Archive": b"\\Archive",
    }
    for name, flag in expected.items():
        assert flag in folders[name]
    assert set(expected) <= subscribed


def test_user_without_some_auto_folders(dovecot: DovecotServer) -> None:
    user = dovecot.add_user(auto_folders=["Drafts", "Sent", "Trash"])
    with imaps(dovecot) as client:
        client.login(user.name, user.password)
        names = {name for _, _, name in client.list_folders()}
    assert names == {"INBOX", "Drafts", "Sent", "Trash"}
    dovecot.create_folder(user, "Archive")  # still special-use when it exists
    with imaps(dovecot) as client:
        client.login(user.name, user.password)
        assert client.find_special_folder(b"\\Archive") == "Archive"
    dovecot.doveadm("mailbox", "delete", "-u", user.name, "Archive")
    with imaps(dovecot) as client:
        client.login(user.name, user.password)
        assert client.find_special_folder(b"\\Archive") is None  # not re-created


def test_create_folder_and_deliver_into_it(dovecot: DovecotServer, mail_user: MailUser) -> None:
    dovecot.create_folder(mail_user, "Projects/2024")
    dovecot.deliver(mail_user, [make_message(10), make_message(11)], folder="Projects/2024")
    dovecot.deliver(mail_user, [make_message(12)], folder="Rechnungen/Ärger", flags="S")
    dovecot.create_folder(mail_user, "Sent Items", special_use="\\Sent")

    with imaps(dovecot) as client:
        client.login(mail_user.name, mail_user.password)
        folders = {name: set(flags) for flags, _, name in client.list_folders()}
        assert client.folder_status("Projects/2024", ["MESSAGES"])[b"MESSAGES"] == 2
        status = client.folder_status("Rechnungen/Ärger", ["MESSAGES", "UNSEEN"])
    assert status == {b"MESSAGES": 1, b"UNSEEN": 0}
    assert b"\\Sent" in folders["Sent Items"]
    assert b"\\HasChildren" in folders["Projects"]


def test_new_mail_reaches_an_idle_client(dovecot: DovecotServer, mail_user: MailUser) -> None:
    with imaps(dovecot) as client:
        client.login(mail_user.name, mail_user.password)
        client.select_folder("INBOX")
        client.idle()
        dovecot.deliver(mail_user, [make_message(20)])
        responses = client.idle_check(timeout=5)
        client.idle_done()
    assert (1, b"EXISTS") in responses


def test_starttls_offered_on_cleartext_port(dovecot: DovecotServer, mail_user: MailUser) -> None:
    with cleartext(dovecot) as client:
        assert b"STARTTLS" in client.capabilities()
        client.starttls(dovecot.ssl_context())
        client.login(mail_user.name, mail_user.password)
        assert b"STARTTLS" not in client.capabilities()


def test_cleartext_login_disabled_only_from_another_address(dovecot: DovecotServer) -> None:
    # Dovecot trusts a client whose IP equals the server's (127.0.0.1 -> 127.0.0.1).
    with cleartext(dovecot) as same_ip:
        assert b"LOGINDISABLED" not in same_ip.capabilities()
    with cleartext(dovecot, host=dovecot.alt_host) as other_ip:
        assert b"LOGINDISABLED" in other_ip.capabilities()


def test_ssl_false_server_offers_no_starttls(dovecot_factory: DovecotFactory) -> None:
    server = dovecot_factory(ssl=False)
    user = server.add_user()
    with cleartext(server, host=server.alt_host) as client:
        capabilities = client.capabilities()
        assert b"STARTTLS" not in capabilities
        assert b"LOGINDISABLED" not in capabilities
        client.login(user.name, user.password)
    with pytest.raises(RuntimeError, match="ssl=False"):
        _ = server.imaps_port


def test_default_capabilities_match_dovecot(dovecot: DovecotServer, mail_user: MailUser) -> None:
    with imaps(dovecot) as client:
        client.login(mail_user.name, mail_user.password)
        capabilities = client.capabilities()
    assert list(capabilities) == DEFAULT_CAPABILITIES.upper().encode().split()


def test_capabilities_override_hides_qresync(dovecot_factory: DovecotFactory) -> None:
    server = dovecot_factory(name="gmail-like", capabilities=GMAIL_LIKE)
    user = server.add_user()
    with imaps(server) as client:
        client.login(user.name, user.password)
        capabilities = client.capabilities()
    assert list(capabilities) == GMAIL_LIKE.upper().encode().split()  # verbatim, nothing added
    assert b"CONDSTORE" in capabilities
    assert b"QRESYNC" not in capabilities


def test_idle_false_hides_idle(dovecot_factory: DovecotFactory) -> None:
    server = dovecot_factory(name="no-idle", idle=False)
    user = server.add_user()
    with imaps(server) as client:
        assert b"IDLE" not in client.capabilities()
        client.login(user.name, user.password)
        capabilities = client.capabilities()
    assert b"IDLE" not in capabilities
    assert b"QRESYNC" in capabilities


def test_kick_drops_an_idle_connection(dovecot: DovecotServer, mail_user: MailUser) -> None:
    client = imaps(dovecot)
    client.login(mail_user.name, mail_user.password)
    client.select_folder("INBOX")
    client.idle()
    started = time.monotonic()
    dovecot.kick(mail_user)
    responses = client.idle_check(timeout=5)
    assert time.monotonic() - started < 4
    assert responses
    assert responses[0][0] == b"BYE"
    with pytest.raises((IMAPClientAbortError, OSError)):
        client.idle_done()  # the connection is gone
    client.shutdown()


def test_stop_then_start_keeps_ports_and_mail(dovecot_factory: DovecotFactory) -> None:
    server = dovecot_factory(name="restart")
    user = server.add_user()
    server.deliver(user, [make_message(30)])
    ports = (server.imap_port, server.imaps_port, server.pop3_port, server.pop3s_port)
    connected = imaps(server)
    connected.login(user.name, user.password)

    server.stop()
    assert not server.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.imaps_port), timeout=2).close()
    with pytest.raises((IMAPClientAbortError, OSError)):
        connected.noop()
    connected.shutdown()

    server.deliver(user, [make_message(31)])  # works while stopped too
    server.create_folder(user, "Offline/Work", special_use="\\Archive")
    server.deliver(user, [make_message(32)], folder="Offline/Work")
    server.start()
    assert (server.imap_port, server.imaps_port, server.pop3_port, server.pop3s_port) == ports
    with imaps(server) as client:
        client.login(user.name, user.password)
        assert client.select_folder("INBOX")[b"EXISTS"] == 2
        assert client.folder_status("Offline/Work", ["MESSAGES"])[b"MESSAGES"] == 1
        assert "Offline/Work" in {name for _, _, name in client.list_sub_folders()}
        folders = {name: set(flags) for flags, _, name in client.list_folders()}
    assert b"\\Archive" in folders["Offline/Work"]


def test_certificate_names_only_localhost_and_127_0_0_1(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    context = dovecot.ssl_context()
    for host in ("localhost", dovecot.host):
        with (
            socket.create_connection((host, dovecot.imaps_port), timeout=5) as sock,
            context.wrap_socket(sock, server_hostname=host) as tls,
        ):
            assert tls.recv(100).startswith(b"* OK")
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        imaps(dovecot, host=dovecot.alt_host)
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(dovecot.host, port=dovecot.imaps_port, timeout=TIMEOUT)  # system CAs


def test_wrong_password_is_refused_quickly(dovecot: DovecotServer, mail_user: MailUser) -> None:
    with imaps(dovecot) as client:
        started = time.monotonic()
        with pytest.raises(LoginError):
            client.login(mail_user.name, "wrong")
        assert time.monotonic() - started < 1  # auth_failure_delay = 0


def test_pop3s_and_pop3_stls(dovecot: DovecotServer, mail_user: MailUser) -> None:
    dovecot.deliver(mail_user, [make_message(40), make_message(41)])
    pop = poplib.POP3_SSL(dovecot.host, dovecot.pop3s_port, context=dovecot.ssl_context())
    try:
        pop.user(mail_user.name)
        pop.pass_(mail_user.password)
        assert pop.stat()[0] == 2
    finally:
        pop.quit()
    plain = poplib.POP3(dovecot.host, dovecot.pop3_port, timeout=5)
    try:
        assert "STLS" in plain.capa()
        plain.stls(context=dovecot.ssl_context())
        plain.user(mail_user.name)
        plain.pass_(mail_user.password)
    finally:
        plain.quit()


def test_dot_separator_server(dovecot_factory: DovecotFactory) -> None:
    server = dovecot_factory(name="dot", separator=".")
    user = server.add_user()
    server.deliver(user, [make_message(50)], folder="Work.Reports")
    assert (user.maildir / ".Work.Reports" / "cur").is_dir()
    with imaps(server) as client:
        client.login(user.name, user.password)
        assert client.namespace().personal[0][1] == "."
        assert client.folder_status("Work.Reports", ["MESSAGES"])[b"MESSAGES"] == 1


def test_deliver_many_in_order(dovecot: DovecotServer, mail_user: MailUser) -> None:
    count = 5000
    started = time.perf_counter()
    dovecot.deliver(
        mail_user,
        (make_message(i) for i in range(count)),
        flags=lambda i: "" if i % 4 == 0 else "S",
    )
    elapsed = time.perf_counter() - started
    with imaps(dovecot) as client:
        client.login(mail_user.name, mail_user.password)
        assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == count
        assert len(client.search("UNSEEN")) == count // 4
        last = client.fetch([count], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    assert f"<{count - 1}.".encode() in last[count][b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]
    print(f"deliver({count}) took {elapsed:.2f} s")


def test_make_message_is_deterministic_and_well_formed() -> None:
    assert make_message(7) == make_message(7)
    assert make_message(7) != make_message(8)
    parsed = [
        email.message_from_bytes(make_message(i), policy=email.policy.default) for i in range(40)
    ]
    for i, message in enumerate(parsed):
        for header in ("Date", "From", "To", "Subject", "Message-ID"):
            assert message[header], (i, header)
        assert message["From"].addresses[0].display_name
    subjects = [str(m["Subject"]) for m in parsed]
    assert any(not s.isascii() for s in subjects)  # RFC 2047 round-trips
    assert parsed[1]["In-Reply-To"] == parsed[0]["Message-ID"]
    assert subjects[1] == "Re: " + subjects[0]
    assert any(m.is_multipart() for m in parsed)

    custom = email.message_from_bytes(
        make_message(3, subject="Grüße", from_="Zoë <z@example.org>", body="hi\n", cc=""),
        policy=email.policy.default,
    )
    assert custom["Subject"] == "Grüße"
    assert custom["From"].addresses[0].display_name == "Zoë"
    assert custom["Cc"] is None
    assert custom.get_content() == "hi\n"
