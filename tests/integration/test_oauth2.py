"""OAuth2 for real: the device-code flow and refresh against a local provider double, and
XOAUTH2/OAUTHBEARER logins to a Dovecot whose oauth2 passdb asks that provider."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import time
import tomllib
import traceback
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest

from tests.support.dovecot import DovecotServer, MailUser, tmpfs_dir
from tests.support.setup_servers import (
    FileKeyring,
    LocalCA,
    OAuthProvider,
    read_file_keyring,
    smtp_server,
)
from tui_mail.config import AccountConfig, OAuth2Config, ServerConfig
from tui_mail.core.account.service import AccountService
from tui_mail.core.auth import credentials
from tui_mail.core.auth.oauth2 import (
    Endpoints,
    OAuth2Error,
    TokenSet,
    poll_device_authorization,
    start_device_authorization,
)
from tui_mail.core.errors import AuthenticationFailed, CredentialsUnavailable
from tui_mail.core.imap.session import ImapSession
from tui_mail.core.net.tls import client_context
from tui_mail.core.sending.smtp import SmtpTransport

ROOT = Path(__file__).resolve().parents[2]
USER = "oauser"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA(tmp_path_factory.mktemp("oauth-ca"))


@pytest.fixture(scope="module")
def provider(ca: LocalCA) -> Iterator[OAuthProvider]:
    server = OAuthProvider(ca, USER)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh_script(provider: OAuthProvider) -> None:
    provider.script = ["approve"]
    provider.expires_in = 600
    provider.interval = 0.01


@pytest.fixture(scope="module")
def oauth_dovecot(
    tmp_path_factory: pytest.TempPathFactory, provider: OAuthProvider
) -> Iterator[DovecotServer]:
    mail_root = tmpfs_dir()
    server = DovecotServer(
        tmp_path_factory.mktemp("dovecot-oauth"), name="oauth", mail_root=mail_root,
        oauth2_introspection_url=provider.introspection_url,
    )  # fmt: skip
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def oauth_user(oauth_dovecot: DovecotServer) -> MailUser:
    return oauth_dovecot.add_user(USER)


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("TUI_MAIL_TEST_KEYRING", str(path))
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(FileKeyring())
    return path


def endpoints(provider: OAuthProvider, client_id: str = "my-client") -> Endpoints:
    return Endpoints(client_id, provider.token_endpoint, provider.device_endpoint, ("mail",))


class FakeTime:
    """Sleeping advances the clock at once: polling logic without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def device_flow(provider: OAuthProvider, ca: LocalCA, fake: FakeTime) -> TokenSet:
    context = client_context(ca.pem)
    authorization = start_device_authorization(endpoints(provider), context=context,
                                               clock=fake.clock)  # fmt: skip
    return poll_device_authorization(endpoints(provider), authorization, context=context,
                                     clock=fake.clock, sleep=fake.sleep)  # fmt: skip


# -- the device-code flow ---------------------------------------------------------------


def test_device_flow_waits_slows_down_and_gets_tokens(provider: OAuthProvider, ca: LocalCA) -> None:
    provider.script = ["pending", "slow_down", "pending", "approve"]
    fake = FakeTime()

    authorization = start_device_authorization(
        endpoints(provider), context=client_context(ca.pem), clock=fake.clock
    )
    assert authorization.instructions() == (
        "Open https://localhost/device in a browser and enter the code WDJB-MJHT."
    )
    tokens = poll_device_authorization(endpoints(provider), authorization,
                                       context=client_context(ca.pem), clock=fake.clock,
                                       sleep=fake.sleep)  # fmt: skip

    assert fake.sleeps == pytest.approx([0.01, 0.01, 5.01, 5.01])
    assert tokens.access_token == provider.issued[-1]
    assert tokens.refresh_token is not None
    assert tokens.expires_at == pytest.approx(time.time() + 3600, abs=60)


def test_device_flow_stops_when_the_code_expires(provider: OAuthProvider, ca: LocalCA) -> None:
    provider.script = ["pending"] * 50
    provider.expires_in = 30
    fake = FakeTime()

    provider.interval = 5

    with pytest.raises(OAuth2Error, match="the sign-in code expired before it was approved"):
        device_flow(provider, ca, fake)

    assert fake.sleeps == [5.0] * 6  # the last poll at the expiry instant, none after


@pytest.mark.parametrize(
    ("answer", "message"),
    [("expired", "the sign-in code expired"), ("denied", "declined in the browser")],
)
def test_device_flow_errors(
    provider: OAuthProvider, ca: LocalCA, answer: str, message: str
) -> None:
    provider.script = ["pending", answer]

    with pytest.raises(OAuth2Error, match=message):
        device_flow(provider, ca, FakeTime())


def test_unknown_client_is_explained(provider: OAuthProvider, ca: LocalCA) -> None:
    with pytest.raises(OAuth2Error) as caught:
        start_device_authorization(endpoints(provider, "stolen-id"), context=client_context(ca.pem))

    assert str(caught.value) == (
        f"{provider.device_endpoint} refused to start the sign-in (invalid_client); check "
        "client_id (and client secret), and that the application allows this flow"
    )


# -- tokens in the credential store, refreshed ------------------------------------------


def oauth_account(provider: OAuthProvider, ca: Path | None = None, **imap: object) -> AccountConfig:
    server = ServerConfig(str(imap.get("host", "localhost")), int(imap.get("port", 993)), "tls")  # type: ignore[call-overload]
    return AccountConfig(
        name="corp", email=f"{USER}@example.test", username=USER, auth="oauth2", ca_file=ca,
        imap=server,
        oauth2=OAuth2Config(client_id="my-client", token_endpoint=provider.token_endpoint,
                            device_authorization_endpoint=provider.device_endpoint),
    )  # fmt: skip


def everything_shown(error: BaseException) -> str:
    shown: list[str] = []
    current = traceback.TracebackException.from_exception(error, capture_locals=True)
    while current is not None:
        shown.extend(current.format_exception_only())
        for frame in current.stack:
            if "/tui_mail/" in frame.filename:
                shown.extend(f"{n}={v}" for n, v in (frame.locals or {}).items())
        current = current.__cause__ or current.__context__  # type: ignore[assignment]
    return "\n".join(shown)


def test_expired_token_is_refreshed_and_stored(
    provider: OAuthProvider, ca: LocalCA, file_keyring: Path
) -> None:
    account = oauth_account(provider, ca.pem)
    stale = TokenSet(provider.issue()["access_token"], "refresh-stale", expires_at=time.time() + 5)
    provider.refresh_tokens.add("refresh-stale")
    credentials.store_oauth2_tokens(account, stale)

    fresh = credentials.get_oauth2_token(account)

    assert fresh == provider.issued[-1] != stale.access_token
    stored = TokenSet.from_json(read_file_keyring(file_keyring)[("tui-mail", "corp:oauser:oauth2")])
    assert stored is not None and stored.access_token == fresh
    assert stored.refresh_token not in (None, "refresh-stale")
    assert credentials.get_oauth2_token(account) == fresh  # still valid: no new request
    assert credentials.get_oauth2_token(account, force_refresh=True) != fresh


def test_revoked_refresh_token_says_sign_in_again_and_leaks_nothing(
    provider: OAuthProvider, ca: LocalCA, file_keyring: Path
) -> None:
    account = oauth_account(provider, ca.pem)
    credentials.store_oauth2_tokens(account, TokenSet("old-access-9", "revoked-refresh-9", 1.0))

    with pytest.raises(CredentialsUnavailable) as caught:
        credentials.get_oauth2_token(account)

    assert str(caught.value) == (
        'cannot refresh the OAuth2 token of account "corp": '
        f"{provider.token_endpoint} refused to refresh the access token (invalid_grant: "
        "refresh token revoked); sign in again with tui-mail authorize. Sign in again with "
        '"tui-mail authorize -a corp"'
    )
    shown = everything_shown(caught.value)
    assert "old-access-9" not in shown and "revoked-refresh-9" not in shown


# -- logging in to Dovecot with a token -------------------------------------------------


def test_token_from_the_keyring_logs_in_to_dovecot(
    provider: OAuthProvider, ca: LocalCA, oauth_dovecot: DovecotServer, oauth_user: MailUser,
    file_keyring: Path, tmp_path: Path,
) -> None:  # fmt: skip
    account = oauth_account(provider, oauth_dovecot.ca_pem, port=oauth_dovecot.imaps_port)
    credentials.store_oauth2_tokens(account, TokenSet(provider.issue()["access_token"]))

    async def folders() -> list[str]:
        service = AccountService(account, tmp_path / "data")
        try:
            return [f.name for f in await service.refresh_folders()]
        finally:
            await service.close()

    assert "INBOX" in asyncio.run(folders())


@pytest.mark.parametrize("mechanism", ["OAUTHBEARER", "XOAUTH2"])
def test_bearer_logins_and_a_wrong_token(
    provider: OAuthProvider, oauth_dovecot: DovecotServer, oauth_user: MailUser, mechanism: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    if mechanism == "XOAUTH2":  # pretend to be Gmail/Outlook: XOAUTH2 only
        offered = ImapSession._read_capabilities
        monkeypatch.setattr(ImapSession, "_read_capabilities",
                            lambda self: offered(self) - {"AUTH=OAUTHBEARER"})  # fmt: skip
    account = oauth_account(provider, oauth_dovecot.ca_pem, port=oauth_dovecot.imaps_port)
    good = provider.issue()["access_token"]
    logins_before = oauth_dovecot.log_tail(400).count(f"user=<{USER}>, method={mechanism}")

    session = ImapSession(account, lambda: good)
    session.connect()
    try:
        assert "INBOX" in [f.name for f in session.list_folders(with_counts=False)]
    finally:
        session.close()
    # Dovecot's log process writes asynchronously: give it a moment.
    deadline = time.monotonic() + 5
    while oauth_dovecot.log_tail(400).count(f"user=<{USER}>, method={mechanism}") <= logins_before:
        assert time.monotonic() < deadline, f"no {mechanism} login in the Dovecot log"
        time.sleep(0.05)

    wrong = ImapSession(account, lambda: "forged-token-77")
    with pytest.raises(AuthenticationFailed) as caught:
        wrong.connect()
    assert "rejected the login for 'oauser'" in str(caught.value)
    assert "forged-token-77" not in everything_shown(caught.value)


def test_add_account_with_the_device_flow_then_use_it(
    provider: OAuthProvider, ca: LocalCA, oauth_dovecot: DovecotServer, oauth_user: MailUser,
    tmp_path: Path,
) -> None:  # fmt: skip
    provider.script = ["pending", "approve"]
    bundle = ca.bundle_with(oauth_dovecot.ca_pem)
    env = dict(
        os.environ, TUI_MAIL_CONFIG=str(tmp_path / "config.toml"),
        TUI_MAIL_DATA_DIR=str(tmp_path / "data"),
        PYTHON_KEYRING_BACKEND="tests.support.setup_servers.FileKeyring",
        TUI_MAIL_TEST_KEYRING=str(tmp_path / "keyring.json"), PYTHONPATH=str(ROOT),
    )  # fmt: skip

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tui_mail", *args], capture_output=True,
                              text=True, env=env, timeout=120, check=False)  # fmt: skip

    added = cli(
        "add-account", "--email", f"{USER}@example.test", "--name", "corp", "--username", USER,
        "--imap-host", "localhost", "--imap-port", str(oauth_dovecot.imaps_port), "--no-smtp",
        "--ca-file", str(bundle), "--auth", "oauth2", "--client-id", "my-client",
        "--device-endpoint", provider.device_endpoint, "--token-endpoint",
        provider.token_endpoint, "--scope", "mail", "--yes",
    )  # fmt: skip

    assert added.returncode == 0, added.stderr
    assert "enter the code WDJB-MJHT" in added.stderr
    assert "IMAP  login         ok    as oauser (oauth2)" in added.stderr
    config_text = (tmp_path / "config.toml").read_text()
    saved = tomllib.loads(config_text)["accounts"][0]
    assert saved["auth"] == "oauth2"
    assert saved["oauth2"] == {
        "client_id": "my-client", "device_authorization_endpoint": provider.device_endpoint,
        "token_endpoint": provider.token_endpoint, "scopes": ["mail"],
    }  # fmt: skip
    token = provider.issued[-1]
    assert token not in config_text and token not in added.stderr + added.stdout
    stored = read_file_keyring(tmp_path / "keyring.json")[("tui-mail", "corp:oauser:oauth2")]
    assert TokenSet.from_json(stored) is not None

    listed = cli("folders")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("INBOX")


# -- a token the server refuses is refreshed once, then the login is tried again ----------


def _revoked_but_refreshable(provider: OAuthProvider, account: AccountConfig) -> TokenSet:
    """Stored tokens whose access token looks fresh but the introspection endpoint rejects."""
    provider.refresh_tokens.add("refresh-good")
    stale = TokenSet("revoked-access-3", "refresh-good", expires_at=time.time() + 3000)
    credentials.store_oauth2_tokens(account, stale)
    return stale


def test_imap_login_refreshes_a_rejected_token_and_stores_the_new_one(
    provider: OAuthProvider, ca: LocalCA, oauth_dovecot: DovecotServer, oauth_user: MailUser,
    file_keyring: Path, tmp_path: Path,
) -> None:  # fmt: skip
    bundle = ca.bundle_with(oauth_dovecot.ca_pem)
    account = oauth_account(provider, bundle, port=oauth_dovecot.imaps_port)
    _revoked_but_refreshable(provider, account)

    async def folders() -> list[str]:
        service = AccountService(account, tmp_path / "data")
        try:
            return [f.name for f in await service.refresh_folders()]
        finally:
            await service.close()

    assert "INBOX" in asyncio.run(folders())
    stored = TokenSet.from_json(read_file_keyring(file_keyring)[("tui-mail", "corp:oauser:oauth2")])
    assert stored is not None and stored.access_token == provider.issued[-1]
    assert "refresh-good" not in provider.refresh_tokens  # it was used


def test_a_forged_token_is_not_refreshed_and_a_revoked_refresh_says_sign_in(
    provider: OAuthProvider, ca: LocalCA, oauth_dovecot: DovecotServer, oauth_user: MailUser,
    file_keyring: Path, tmp_path: Path,
) -> None:  # fmt: skip
    bundle = ca.bundle_with(oauth_dovecot.ca_pem)
    account = oauth_account(provider, bundle, port=oauth_dovecot.imaps_port)
    issued = len(provider.issued)
    _revoked_but_refreshable(provider, account)
    with pytest.raises(AuthenticationFailed, match="rejected the login"):
        ImapSession(account, lambda: "forged-token-78").connect()
    assert len(provider.issued) == issued  # not the stored token: nothing refreshed

    credentials.store_oauth2_tokens(account, TokenSet("revoked-access-4", "refresh-gone"))
    with pytest.raises(CredentialsUnavailable, match="sign in again") as caught:
        ImapSession(account, lambda: credentials.get_oauth2_token(account)).connect()
    shown = everything_shown(caught.value)
    assert "revoked-access-4" not in shown and "refresh-gone" not in shown


def test_smtp_login_refreshes_a_rejected_token(
    provider: OAuthProvider, ca: LocalCA, file_keyring: Path
) -> None:
    def accept(user: str, token: str) -> bool:
        return user == USER and token in provider.issued

    with smtp_server(ca, {}, bearer=accept) as (port, handler):
        account = dataclasses.replace(
            oauth_account(provider, ca.pem), smtp=ServerConfig("localhost", port, "starttls")
        )
        _revoked_but_refreshable(provider, account)
        asyncio.run(
            SmtpTransport(account).submit(b"Subject: hi\r\n\r\nhi\r\n", account.email, ["a@b.org"])
        )
        assert handler.bearer_logins == [provider.issued[-1]]
        assert len(handler.messages) == 1
    stored = TokenSet.from_json(read_file_keyring(file_keyring)[("tui-mail", "corp:oauser:oauth2")])
    assert stored is not None and stored.access_token == provider.issued[-1]


def test_browser_sign_in_then_xoauth2_login_to_dovecot(
    provider: OAuthProvider, ca: LocalCA, oauth_dovecot: DovecotServer, oauth_user: MailUser,
    file_keyring: Path,
) -> None:  # fmt: skip
    from tests.integration.test_oauth2_loopback import Browser  # noqa: PLC0415
    from tui_mail.core.auth.sign_in import sign_in  # noqa: PLC0415

    account = oauth_account(provider, ca.bundle_with(oauth_dovecot.ca_pem),
                            port=oauth_dovecot.imaps_port)  # fmt: skip
    account = dataclasses.replace(account, oauth2=OAuth2Config(
        client_id="my-client", token_endpoint=provider.token_endpoint,
        authorization_endpoint="https://accounts.example.test/authorize",
    ))  # fmt: skip
    credentials.store_oauth2_tokens(account, sign_in(account, Browser(provider)))

    session = ImapSession(account, lambda: credentials.get_oauth2_token(account))
    session.connect()
    try:
        assert "INBOX" in [f.name for f in session.list_folders(with_counts=False)]
    finally:
        session.close()
