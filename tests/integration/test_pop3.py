"""POP3 accounts against the suite's Dovecot: download into a maildir, then read it locally."""

from __future__ import annotations

import asyncio
import base64
import os
import poplib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Literal

import pytest

from tests.integration.test_idle import Recorder, new_mail_with
from tests.support.dovecot import DovecotFactory, DovecotServer, MailUser, make_message
from tui_mail.config import AccountConfig, Pop3Config
from tui_mail.core.account.service import AccountService
from tui_mail.core.errors import AuthenticationFailed, InsecureConnectionRefused, TlsError
from tui_mail.core.pop3.backend import Pop3Backend

DAY = 86400.0


def pop3_account(
    server: DovecotServer,
    user: MailUser,
    path: Path,
    *,
    security: Literal["tls", "starttls", "plain"] = "tls",
    leave_on_server: bool = True,
    delete_after_days: int | None = None,
    allow_insecure: bool = False,
) -> AccountConfig:
    port = server.pop3s_port if security == "tls" else server.pop3_port
    return AccountConfig(
        name="pop",
        email=f"{user.name}@example.test",
        username=user.name,
        ca_file=server.ca_pem if server.ssl else None,
        allow_insecure=allow_insecure,
        type="pop3",
        path=path,
        pop3=Pop3Config("localhost", port, security, leave_on_server, delete_after_days),
    )


def on_server(server: DovecotServer, user: MailUser) -> int:
    """How many messages the server holds, asked over a separate POP3 connection."""
    client = poplib.POP3_SSL("localhost", server.pop3s_port, context=server.ssl_context())
    try:
        client.user(user.name)
        client.pass_(user.password)
        count, _size = client.stat()
        return count
    finally:
        client.quit()


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


MakeService = Callable[..., tuple[AccountService, Pop3Backend]]


@pytest.fixture
async def make_service(tmp_path: Path) -> AsyncIterator[MakeService]:
    made: list[AccountService] = []

    def make(
        account: AccountConfig, user: MailUser, clock: Callable[[], float] = time.time
    ) -> tuple[AccountService, Pop3Backend]:
        data = tmp_path / "data"
        backend = Pop3Backend(account, lambda: user.password, data_dir=data, clock=clock)
        service = AccountService(account, data, backend_factory=lambda _a, _s: backend)
        made.append(service)
        return service, backend

    yield make
    for service in made:
        await service.close()


async def test_downloads_once_by_uidl_and_leaves_mail_on_the_server(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path, make_service: MakeService
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"Message {i}") for i in range(3)])
    account = pop3_account(dovecot, mail_user, tmp_path / "Mail")
    service, backend = make_service(account, mail_user)

    result = await service.sync("INBOX")
    assert backend.last_fetch is not None and backend.last_fetch.downloaded == 3
    assert (result.new, result.total, result.unseen) == (3, 3, 3)
    assert sorted(m.subject for m in service.messages("INBOX")) == [
        "Message 0", "Message 1", "Message 2"]  # fmt: skip
    assert len(list((tmp_path / "Mail" / "new").iterdir())) == 3

    again = await service.sync("INBOX")
    assert backend.last_fetch.downloaded == 0 and again.new == 0
    assert on_server(dovecot, mail_user) == 3

    dovecot.deliver(mail_user, [make_message(9, subject="Later")])
    await service.sync("INBOX")
    assert backend.last_fetch.downloaded == 1
    assert len(service.messages("INBOX")) == 4

    # A restart remembers what was downloaded: the index lives in the data directory.
    await service.close()
    restarted, restarted_backend = make_service(account, mail_user)
    await restarted.sync("INBOX")
    assert restarted_backend.last_fetch is not None
    assert restarted_backend.last_fetch.downloaded == 0
    assert len(restarted.messages("INBOX")) == 4


async def test_reading_and_flagging_is_local(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path, make_service: MakeService
) -> None:
    dovecot.deliver(mail_user, [make_message(1, subject="Hello", body="Offline body.")])
    service, _backend = make_service(pop3_account(dovecot, mail_user, tmp_path / "Mail"), mail_user)
    await service.sync("INBOX")
    (message,) = service.messages("INBOX")
    raw = await service.fetch_raw("INBOX", message.uid, mark_seen=True)
    assert b"Offline body." in raw
    assert [p.name.endswith(":2,S") for p in (tmp_path / "Mail" / "cur").iterdir()] == [True]
    await service.create_folder("Kept")
    await service.move("INBOX", [message.uid], "Kept")
    await service.sync("Kept")
    assert [m.subject for m in service.messages("Kept")] == ["Hello"]


async def test_delete_after_days_removes_old_downloads_from_the_server(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path, make_service: MakeService
) -> None:
    dovecot.deliver(mail_user, [make_message(i) for i in range(2)])
    clock = Clock()
    account = pop3_account(dovecot, mail_user, tmp_path / "Mail", delete_after_days=7)
    service, backend = make_service(account, mail_user, clock)
    await service.sync("INBOX")
    dovecot.deliver(mail_user, [make_message(5)])

    clock.now += 6 * DAY
    await service.sync("INBOX")
    assert backend.last_fetch is not None
    assert (backend.last_fetch.downloaded, backend.last_fetch.deleted) == (1, 0)
    assert on_server(dovecot, mail_user) == 3

    clock.now += 1.5 * DAY  # the first two are now 7.5 days old, the third 1.5
    await service.sync("INBOX")
    assert (backend.last_fetch.downloaded, backend.last_fetch.deleted) == (0, 2)
    assert on_server(dovecot, mail_user) == 1
    assert len(service.messages("INBOX")) == 3  # still here, locally


async def test_leave_on_server_false_deletes_each_message_once_saved(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path, make_service: MakeService
) -> None:
    dovecot.deliver(mail_user, [make_message(i) for i in range(4)])
    account = pop3_account(dovecot, mail_user, tmp_path / "Mail", leave_on_server=False)
    service, backend = make_service(account, mail_user)
    await service.sync("INBOX")
    assert backend.last_fetch is not None and backend.last_fetch.deleted == 4
    assert on_server(dovecot, mail_user) == 0
    assert len(service.messages("INBOX")) == 4


async def test_periodic_check_through_the_service_brings_new_mail(
    dovecot: DovecotServer,
    mail_user: MailUser,
    tmp_path: Path,
    make_service: MakeService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dovecot.deliver(mail_user, [make_message(1, subject="Before")])
    service, backend = make_service(pop3_account(dovecot, mail_user, tmp_path / "Mail"), mail_user)
    await service.sync("INBOX")  # the UI's first sync; later ones come from the check
    monkeypatch.setattr("tui_mail.core.pop3.backend.CHECK_INTERVAL_SECONDS", 0.2)
    events = Recorder(service)
    service.start_watching()
    try:
        dovecot.deliver(mail_user, [make_message(2, subject="After start")])
        await events.wait(new_mail_with("After start"))
    finally:
        await asyncio.to_thread(service.stop_watching)
    assert sorted(m.subject for m in service.messages("INBOX")) == ["After start", "Before"]
    assert backend.last_fetch is not None
    assert on_server(dovecot, mail_user) == 2  # left on the server, as configured


async def test_stls_required_but_not_offered_is_refused(
    dovecot_factory: DovecotFactory, tmp_path: Path
) -> None:
    plain_server = dovecot_factory(ssl=False)
    user = plain_server.add_user()
    account = pop3_account(plain_server, user, tmp_path / "Mail", security="starttls")
    sent: list[str] = []

    def secret() -> str:
        sent.append("asked")
        return user.password

    backend = Pop3Backend(account, secret, data_dir=tmp_path / "data")
    with pytest.raises(TlsError, match="does not offer STLS") as refused:
        backend.fetch_new_mail()
    assert "Refusing to continue unencrypted" in str(refused.value)
    assert sent == []  # the password was never even looked up
    backend.close()

    insecure = pop3_account(plain_server, user, tmp_path / "Mail", security="plain")
    with pytest.raises(InsecureConnectionRefused, match="allow_insecure"):
        Pop3Backend(insecure, secret, data_dir=tmp_path / "data").fetch_new_mail()


async def test_starttls_upgrade_and_a_wrong_password(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [make_message(1)])
    account = pop3_account(dovecot, mail_user, tmp_path / "Mail", security="starttls")
    backend = Pop3Backend(account, lambda: mail_user.password, data_dir=tmp_path / "data")
    assert backend.fetch_new_mail().downloaded == 1
    backend.check()

    wrong = Pop3Backend(account, lambda: "hunter2-wrong", data_dir=tmp_path / "data2")
    with pytest.raises(AuthenticationFailed, match="rejected the login") as rejected:
        wrong.fetch_new_mail()
    assert "hunter2-wrong" not in str(rejected.value)
    backend.close()
    wrong.close()


def test_fetch_command_reports_and_list_shows_the_mail(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"CLI {i}") for i in range(2)])
    secret = tmp_path / "secret"
    secret.write_text(mail_user.password + "\n")
    config = tmp_path / "config.toml"
    config.write_text(
        "[[accounts]]\n"
        'name = "pop"\n'
        f'email = "{mail_user.name}@example.test"\n'
        f'username = "{mail_user.name}"\n'
        f'password_command = "cat {secret}"\n'
        f'ca_file = "{dovecot.ca_pem}"\n'
        'type = "pop3"\n'
        f'path = "{tmp_path / "Mail"}"\n'
        "[accounts.pop3]\n"
        'host = "localhost"\n'
        f"port = {dovecot.pop3s_port}\n"
        "delete_after_days = 30\n"
    )
    env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(tmp_path / "d"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tui_mail", *args], capture_output=True,
                              text=True, env=env, timeout=60, check=False)  # fmt: skip

    fetched = run("fetch")
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.strip() == (
        "2 new message(s) downloaded from localhost; 0 deleted from the server, 2 left there."
    )
    listed = run("list")
    assert [line.split()[-1] for line in listed.stdout.splitlines()] == ["1", "0"]
    assert "CLI 1" in listed.stdout
    synced = run("sync")
    assert synced.returncode == 0 and "0 new" in synced.stdout


def test_pop3_table_settings_are_read_written_and_checked(tmp_path: Path) -> None:
    from tui_mail.config import load_config, save_config  # noqa: PLC0415
    from tui_mail.core.errors import ConfigError  # noqa: PLC0415

    path = tmp_path / "config.toml"
    head = '[[accounts]]\nname = "pop"\nemail = "a@b.example"\ntype = "pop3"\npath = "Mail"\n'
    path.write_text(head + '[accounts.pop3]\nhost = "pop.example.org"\ndelete_after_days = 14\n')
    config = load_config(path)
    pop3 = config.accounts[0].pop3
    assert pop3 == Pop3Config("pop.example.org", 995, "tls", True, 14)
    save_config(config)
    assert load_config(path) == config

    path.write_text(head + '[accounts.pop3]\nhost = "h"\nleave_on_server = false\n'
                    "delete_after_days = 3\n")  # fmt: skip
    with pytest.raises(ConfigError, match=r"delete_after_days is set, but pop3\.leave_on_server"):
        load_config(path)
    path.write_text(head + '[accounts.pop3]\nhost = "h"\nleave_on_sever = false\n')
    with pytest.raises(ConfigError, match=r'did you mean "pop3\.leave_on_server"'):
        load_config(path)


def test_oauth2_initial_responses_match_the_published_examples() -> None:
    from tui_mail.core.pop3.session import oauthbearer_response, xoauth2_response  # noqa: PLC0415

    # Google's XOAUTH2 documentation example.
    assert xoauth2_response(
        "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
    ) == (
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52"
        "YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
    )
    # RFC 7628 section 4.1, without the host and port fields this client does not send.
    token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
    decoded = base64.b64decode(oauthbearer_response("user@example.com", token))
    assert decoded == b"n,a=user@example.com,\x01auth=Bearer " + token.encode() + b"\x01\x01"
