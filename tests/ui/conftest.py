"""The real app, driven by Pilot, against the suite's real Dovecot."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from textual.pilot import Pilot

from tests.support.accounts import imap_account
from tests.support.dovecot import DovecotServer, MailUser
from tests.support.setup_servers import FileKeyring, LocalCA, smtp_server
from tui_mail.config import AccountConfig, AppConfig
from tui_mail.core.account.service import AccountService
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.screen import MainScreen


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Dates on screen depend on the zone; screenshots must not."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


AppFactory = Callable[..., MailApp]

SETTLED_STATES = {
    *("connected", "idling", "polling", "offline", "auth failed", "error"),
    *("disk full", "cache error", "cache rebuilt"),
}
"""States in which an account does nothing until something happens."""


@pytest.fixture
def make_app(tmp_path: Path, dovecot: DovecotServer) -> AppFactory:
    def make(
        *users: MailUser,
        names: tuple[str, ...] = ("work", "home"),
        keymap: dict[str, str] | None = None,
        bind: dict[str, str] | None = None,
        theme: str | None = None,
        data_dir: Path | None = None,
        server: DovecotServer | None = None,
    ) -> MailApp:
        server = server or dovecot
        accounts = tuple(
            imap_account(server, user, name=name) for user, name in zip(users, names, strict=False)
        )
        passwords = {a.name: u.password for a, u in zip(accounts, users, strict=False)}
        config = AppConfig(
            path=tmp_path / "config" / "config.toml",
            accounts=accounts,
            keymap=keymap or {},
            bind=bind or {},
            theme=theme,
        )

        def service(account: AccountConfig, data: Path) -> AccountService:
            return AccountService(account, data, secret=lambda: passwords[account.name])

        return MailApp(config, data_dir=data_dir or tmp_path / "data", service_factory=service)

    return make


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 20) -> None:
    """Let the app run until `condition` holds (network work finishes on its own time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the app did not get there in time: {describe(pilot.app)}")
        await pilot.pause(0.05)


def describe(app: Any) -> str:
    """What the app was doing, for a failure message."""
    screen = app.screen
    if not isinstance(screen, MainScreen):
        return f"screen {type(screen).__name__}"
    states = {name: screen.status.state(name) for name in app.services}
    workers = [(w.name, w.state.name) for w in screen.workers if not w.is_finished]
    message = str(screen.status.query_one("#status-message").render())
    return f"states {states}, unfinished workers {workers}, status {message!r}"


def main_screen(app: MailApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def settled(pilot: Pilot[Any], app: MailApp) -> MainScreen:
    """Every account connected and synced, nothing running."""
    await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
    screen = main_screen(app)
    await wait_for(
        pilot,
        lambda: (
            all(screen.status.state(name) in SETTLED_STATES for name in app.services)
            and all(w.is_finished for w in screen.workers)
        ),
    )
    await pilot.pause()
    return screen


def visible_rows(screen: MainScreen) -> list[str]:
    """Subjects of the rows in the list, top to bottom."""
    source = screen.messages.source
    rows = [source.row(i) for i in range(len(source))]
    return [r.summary.subject for r in rows if r is not None]


# -- set-up wizard fixtures (test_account_setup*.py) --------------------------------------


@pytest.fixture
def ca(tmp_path: Path) -> LocalCA:
    """A private CA for the test's local servers (autoconfig, submission)."""
    return LocalCA(tmp_path / "ca")


@pytest.fixture
def smtp_port(ca: LocalCA, mail_user: MailUser) -> Iterator[int]:
    """A local submission server (STARTTLS, certificate from `ca`) that knows `mail_user`."""
    with smtp_server(ca, {mail_user.name: mail_user.password}) as (port, _authenticator):
        yield port


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The keyring, for this test, is a JSON file at the path yielded."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("TUI_MAIL_TEST_KEYRING", str(path))
    before = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.set_keyring(before)
