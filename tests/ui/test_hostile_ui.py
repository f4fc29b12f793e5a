"""The TUI against a hostile IMAP server (tests/support/hostile_imap.py): what the user sees
when the server stalls or sends garbage, and how fast quitting is whatever it does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.hostile_imap import PASSWORD, HostileImap, Script
from tests.support.pty_app import PtyApp
from tests.ui.conftest import wait_for
from tui_mail.config import AccountConfig, AppConfig
from tui_mail.core.account.service import AccountService
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.screen import MainScreen

CASES = {
    # The command connection stalls mid-FETCH while the IDLE connection idles happily:
    # the status bar must not say "idling".
    "stall": (Script(stall_at="FETCH"), "server not answering", "stopped answering in time"),
    "garbage": (Script(garbage_at="FETCH"), "server error", "answer to FETCH that is not IMAP"),
}


def _app(server: HostileImap, tmp_path: Path) -> MailApp:
    account = replace(server.account(), server_timeout_seconds=1)
    config = AppConfig(path=tmp_path / "config.toml", accounts=(account,))

    def service(account: AccountConfig, data: Path) -> AccountService:
        return AccountService(account, data, secret=lambda: PASSWORD)

    return MailApp(config, data_dir=tmp_path / "data", service_factory=service)


@pytest.mark.parametrize(("script", "state", "said"), CASES.values(), ids=CASES.keys())
async def test_the_status_bar_says_what_the_server_did(
    script: Script, state: str, said: str, tmp_path: Path
) -> None:
    with HostileImap(script) as server:
        app = _app(server, tmp_path)
        async with app.run_test(size=(120, 30)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await wait_for(pilot, lambda: screen.status.state("hostile") == state, timeout=15)
            await wait_for(pilot, lambda: "IDLE" in server.seen.commands, timeout=15)
            await pilot.pause(0.3)  # the watcher's "idling" event has arrived by now
            assert screen.status.state("hostile") == state
            message = str(screen.status.query_one("#status-message").render())
            assert said in message and "internal error" not in message
            assert any(said in n.message for n in app._notifications)


QUIT_CASES = {
    "stall mid-FETCH": (Script(stall_at="FETCH", messages=300), "FETCH"),
    "stall at greeting": (Script(stall_at="greeting"), None),
    "stall at select": (Script(stall_at="SELECT"), "SELECT"),
}


@pytest.mark.parametrize(("script", "reached"), QUIT_CASES.values(), ids=QUIT_CASES.keys())
def test_quit_takes_under_a_second_whatever_the_server_does(
    script: Script, reached: str | None, tmp_path: Path
) -> None:
    """The real app in a pty, q pressed while the server stalls (deadline 600 s, so only
    quitting can end the wait)."""
    (tmp_path / "secret").write_text(PASSWORD + "\n")
    with HostileImap(script) as server:
        config = tmp_path / "config.toml"
        extra = "server_timeout_seconds = 600\n"
        config.write_text(server.config_text(tmp_path / "secret", extra=extra))
        app = PtyApp(config, tmp_path / "data", cwd=tmp_path)
        try:
            assert app.wait_for(
                lambda: (
                    server.seen.connections >= 1
                    and (reached is None or reached in server.seen.commands)
                ),
                timeout=20,
            )
            app.pump(1.0)  # the UI is up and waiting on the server
            app.press(b"q")
            seconds = app.exit_time(10)
        finally:
            app.kill()
    assert seconds is not None, "still running 10 s after q"
    assert seconds < 1.0
