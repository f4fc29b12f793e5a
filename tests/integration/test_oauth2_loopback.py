"""Google's loopback-redirect sign-in (RFC 8252 + PKCE) against the local provider double:
the test plays the browser by requesting the redirect URL itself."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import keyring
import keyring.core
import pytest

from tests.integration.test_oauth2 import everything_shown
from tests.support.setup_servers import (
    FileKeyring,
    LocalCA,
    OAuthProvider,
    free_port,
    read_file_keyring,
)
from tui_mail.config import AccountConfig, OAuth2Config, ServerConfig
from tui_mail.core.auth import credentials
from tui_mail.core.auth.oauth2 import OAuth2Error, TokenSet
from tui_mail.core.auth.sign_in import sign_in
from tui_mail.core.errors import ConnectionFailed

AUTHORIZE = "https://accounts.example.test/authorize"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA(tmp_path_factory.mktemp("loopback-ca"))


@pytest.fixture(scope="module")
def provider(ca: LocalCA) -> Iterator[OAuthProvider]:
    server = OAuthProvider(ca, "guser")
    yield server
    server.close()


def google_account(provider: OAuthProvider, ca: LocalCA, port: int | None = None) -> AccountConfig:
    return AccountConfig(
        name="gmail", email="guser@example.test", username="guser", auth="oauth2",
        ca_file=ca.pem, imap=ServerConfig("localhost", 993, "tls"),
        oauth2=OAuth2Config(provider="google", client_id="my-client",
                            token_endpoint=provider.token_endpoint,
                            authorization_endpoint=AUTHORIZE, redirect_port=port),
    )  # fmt: skip


class Browser:
    """Plays the user: given the instructions, "signs in" at the provider (a code is issued
    for the URL's PKCE challenge) and is sent back to the redirect URI with `answer`
    (default: that code and the right state), from another thread as a browser would be."""

    def __init__(self, provider: OAuthProvider, **answer: str) -> None:
        self.provider = provider
        self.answer = answer
        self.shown: list[str] = []

    def __call__(self, text: str) -> None:
        self.shown.append(text)
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.url).query).items()}
        self.provider.codes["code-77"] = (query["code_challenge"], query["redirect_uri"])
        back = {"code": "code-77", "state": query["state"], **self.answer}
        target = query["redirect_uri"] + "?" + urlencode({k: v for k, v in back.items() if v})
        threading.Thread(target=_visit, args=(target,), daemon=True).start()

    @property
    def url(self) -> str:
        return self.shown[0].split("allow access: ", 1)[1].split(" -- ", 1)[0]


def _visit(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 -- loopback http
        response.read()


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("TUI_MAIL_TEST_KEYRING", str(path))
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(FileKeyring())
    return path


def test_sign_in_through_the_browser_stores_tokens(
    provider: OAuthProvider, ca: LocalCA, file_keyring: Path
) -> None:
    port = free_port()
    account = google_account(provider, ca, port)
    browser = Browser(provider)

    tokens = sign_in(account, browser, client_secret="google-secret-5")
    credentials.store_oauth2_tokens(account, tokens)

    assert f"http://127.0.0.1:{port}/" in browser.shown[0]
    assert f"ssh -L {port}:127.0.0.1:{port} HOST" in browser.shown[0]
    query = parse_qs(urlsplit(browser.url).query)
    assert browser.url.startswith(AUTHORIZE + "?")
    assert query["code_challenge_method"] == ["S256"] and query["scope"] == [
        "https://mail.google.com/"
    ]
    assert provider.code_forms[-1]["client_secret"] == "google-secret-5"
    assert len(provider.code_forms[-1]["code_verifier"]) >= 43
    stored = TokenSet.from_json(read_file_keyring(file_keyring)[("tui-mail", "gmail:guser:oauth2")])
    assert stored is not None and stored.access_token == provider.issued[-1]
    assert stored.client_secret == "google-secret-5" and stored.refresh_token
    assert credentials.get_oauth2_token(account) == provider.issued[-1]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"state": "forged"}, "the state parameter does not match"),
        ({"code": "", "error": "access_denied"}, "access was not allowed in the browser"),
    ],
)
def test_wrong_state_and_denial_are_refused(
    provider: OAuthProvider, ca: LocalCA, answer: dict[str, str], expected: str
) -> None:
    issued = len(provider.issued)
    with pytest.raises(OAuth2Error) as caught:
        sign_in(google_account(provider, ca), Browser(provider, **answer))

    assert expected in str(caught.value) and "nothing was stored" in str(caught.value)
    assert len(provider.issued) == issued  # no code was exchanged
    assert "code-77" not in everything_shown(caught.value)


def test_no_answer_from_the_browser_times_out(provider: OAuthProvider, ca: LocalCA) -> None:
    from tui_mail.core.auth.oauth2_loopback import loopback_sign_in  # noqa: PLC0415

    port = free_port()
    shown: list[str] = []
    with pytest.raises(OAuth2Error) as caught:
        loopback_sign_in(google_account(provider, ca, port), shown.append, timeout=0.5)

    assert str(caught.value).startswith("no answer from the browser within 0.5 s")
    assert f"ssh -L {port}:127.0.0.1:{port} HOST" in str(caught.value)


def test_a_port_in_use_is_explained(provider: OAuthProvider, ca: LocalCA) -> None:
    import socket  # noqa: PLC0415

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConnectionFailed) as caught:
            sign_in(google_account(provider, ca, port), lambda _text: None)
    assert f"cannot listen on 127.0.0.1:{port}" in str(caught.value)
    assert "redirect_port" in str(caught.value)


def test_authorize_on_the_command_line_with_a_chosen_port(
    provider: OAuthProvider, ca: LocalCA, tmp_path: Path
) -> None:
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        '[[accounts]]\nname = "gmail"\nemail = "guser@example.test"\nusername = "guser"\n'
        f'auth = "oauth2"\nca_file = "{ca.pem}"\n\n[accounts.imap]\nhost = "localhost"\n\n'
        f'[accounts.oauth2]\nprovider = "google"\nclient_id = "my-client"\n'
        f'token_endpoint = "{provider.token_endpoint}"\n'
        f'authorization_endpoint = "{AUTHORIZE}"\n'
    )
    config.chmod(0o600)  # as tui-mail writes it: no "made ... private" note on stderr
    env = dict(
        os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(tmp_path / "data"),
        PYTHON_KEYRING_BACKEND="tests.support.setup_servers.FileKeyring",
        TUI_MAIL_TEST_KEYRING=str(tmp_path / "keyring.json"), PYTHONPATH=str(ROOT),
    )  # fmt: skip
    command = [sys.executable, "-m", "tui_mail", "authorize", "-a", "gmail",
               "--redirect-port", str(port), "--client-secret-stdin"]  # fmt: skip
    with subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as process:  # fmt: skip
        assert process.stdin is not None and process.stderr is not None
        process.stdin.write("google-secret-6\n")
        process.stdin.close()
        line = process.stderr.readline()
        assert f"ssh -L {port}:127.0.0.1:{port} HOST" in line
        Browser(provider)(line.removeprefix("To sign in: "))
        rest = process.stderr.read()
        assert process.wait(timeout=60) == 0, rest

    assert "Stored new OAuth2 tokens for 'gmail'" in rest
    assert provider.code_forms[-1]["redirect_uri"] == f"http://127.0.0.1:{port}/"
    stored = read_file_keyring(tmp_path / "keyring.json")[("tui-mail", "gmail:guser:oauth2")]
    tokens = TokenSet.from_json(stored)
    assert tokens is not None and tokens.access_token == provider.issued[-1]
    assert tokens.client_secret == "google-secret-6"
    assert "google-secret-6" not in line + rest and provider.issued[-1] not in line + rest
