"""A hostile or broken IMAP server (tests/support/hostile_imap.py): every case ends within
its deadline, in bounded memory, with a sentence and exit code 5 (or 3 for a plain BYE),
never an "internal error".

In-process cases use the account service as the CLI and the UI do; the CLI cases run
`python -m tui_mail sync` in a subprocess and measure its wall time and peak RSS. The long
versions (a 400 MiB literal streamed for real, a drip at the default deadline) are marked
`faults_long` and run by `make test-faults-long`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.hostile_imap import PASSWORD, HostileImap, Script
from tests.support.measured_run import run_cli
from tui_mail.core.account.service import AccountService
from tui_mail.core.errors import ConnectionFailed, ServerMisbehaved, ServerTimeout
from tui_mail.core.imap.session import ImapSession

DEADLINE = 1
"""server_timeout_seconds for the fast cases."""

TIMEOUTS = {
    "drip": Script(drip=0.4),
    "stall after greeting": Script(stall_at="CAPABILITY", capabilities="IMAP4rev1"),
    "stall at greeting": Script(stall_at="greeting"),
    "stall at login": Script(stall_at="LOGIN"),
    "no answer to ENABLE": Script(stall_at="ENABLE"),
    "stall at select": Script(stall_at="SELECT"),
    "stall mid-FETCH": Script(stall_at="FETCH"),
    "huge literal, slow": Script(
        huge_literal=5 * 1024 * 1024, literal_mode="slow", literal_pause=2
    ),
}
BROKEN = {
    "huge literal announced": (Script(huge_literal=419430400), "announced 400.0 MiB"),
    "line without CRLF": (Script(long_line=50_000_000), "sent a line of more than 1,000,000"),
    "deep nesting in LIST": (Script(nest=10_000), "nested more than 100 deep"),
    "deep nesting in FETCH": (Script(nest=10_000, nest_at="FETCH"), "nested more than 100 deep"),
    "garbage for SELECT": (Script(garbage_at="SELECT"), "answer to SELECT INBOX that is not IMAP"),
    "garbage for FETCH": (Script(garbage_at="FETCH"), "answer to FETCH that is not IMAP"),
    "SELECT without UIDVALIDITY": (
        Script(no_uidvalidity=True),
        "answer to SELECT INBOX that is not valid IMAP (KeyError)",
    ),
}


async def _sync(server: HostileImap, tmp_path: Path, *, folders: bool = False) -> float:
    account = replace(server.account(), server_timeout_seconds=DEADLINE)
    service = AccountService(account, tmp_path, secret=lambda: PASSWORD)
    started = time.monotonic()
    try:
        if folders:
            await service.refresh_folders()
        await service.sync("INBOX")
    finally:
        elapsed = time.monotonic() - started
        await asyncio.wait_for(service.close(), 5)  # no LOGOUT wait on a broken connection
    return elapsed


@pytest.mark.parametrize("script", TIMEOUTS.values(), ids=TIMEOUTS.keys())
async def test_a_stalled_or_dripping_server_ends_at_the_deadline(
    script: Script, tmp_path: Path
) -> None:
    with HostileImap(script) as server:
        started = time.monotonic()
        with pytest.raises(ServerTimeout) as caught:
            await _sync(server, tmp_path)
        elapsed = time.monotonic() - started
    assert "stopped answering in time" in str(caught.value)
    assert f"within {DEADLINE} s); try again later" in str(caught.value)
    assert caught.value.exit_code == 5
    assert elapsed < DEADLINE + 3


def test_a_drip_in_the_starttls_handshake_ends_at_the_deadline() -> None:
    """The server says OK to STARTTLS, then drips its handshake. CPython bounds a handshake
    by the socket timeout as a whole, but that is the read timeout (30 s on the IDLE
    connection), not the deadline: imaplib's wrap detached the plain socket the watchdog
    held, so before, the watchdog could not end it (here 10 s instead of 1)."""
    with HostileImap(Script(capabilities="IMAP4rev1 STARTTLS")) as server:
        account = server.account()
        assert account.imap is not None
        account = replace(
            account,
            imap=replace(account.imap, security="starttls"),
            server_timeout_seconds=DEADLINE,
        )
        session = ImapSession(account, lambda: PASSWORD, read_timeout=10)
        started = time.monotonic()
        with pytest.raises(ServerTimeout) as caught:
            session.connect()
        elapsed = time.monotonic() - started
        assert server.seen.commands == ["CAPABILITY", "STARTTLS"]
    assert "stopped answering in time (no complete answer to the greeting within 1 s)" in str(
        caught.value
    )
    assert caught.value.exit_code == 5
    assert elapsed < DEADLINE + 2


@pytest.mark.parametrize(("script", "said"), BROKEN.values(), ids=BROKEN.keys())
async def test_a_server_that_breaks_the_protocol_gets_a_sentence(
    script: Script, said: str, tmp_path: Path
) -> None:
    with HostileImap(script) as server:
        started = time.monotonic()
        with pytest.raises(ServerMisbehaved) as caught:
            await _sync(server, tmp_path, folders=script.nest_at == "LIST")
        elapsed = time.monotonic() - started
    assert said in str(caught.value)
    assert "the connection was closed" in str(caught.value)
    assert not isinstance(caught.value, ServerTimeout)
    assert elapsed < DEADLINE + 3
    if script.huge_literal:  # refused on the announcement, not after reading it
        assert server.seen.literal_bytes_sent <= 4 * 65536


@pytest.mark.parametrize("where", ["SELECT", "FETCH"])
async def test_bye_at_any_point_is_a_lost_connection(where: str, tmp_path: Path) -> None:
    with HostileImap(Script(bye_at=where)) as server, pytest.raises(ConnectionFailed) as caught:
        await _sync(server, tmp_path)
    assert "Try again later" in str(caught.value)


def test_the_same_server_behaving_syncs(tmp_path: Path) -> None:
    """The harness itself: without a script the client syncs all its messages."""
    with HostileImap(Script(messages=5)) as server:
        asyncio.run(_sync(server, tmp_path))
        assert "FETCH" in server.seen.commands


CLI_CASES = {
    "drip": (Script(drip=0.5), 5, "stopped answering in time"),
    "no answer to ENABLE": (Script(stall_at="ENABLE"), 5, "no complete answer to ENABLE"),
    "huge literal": (Script(huge_literal=419430400, literal_mode="fast"), 5, "announced 400.0"),
    "line without CRLF": (Script(long_line=50_000_000), 5, "sent a line of more than"),
    "deep nesting in LIST": (Script(nest=10_000), 5, "nested more than 100 deep"),
}


@pytest.mark.parametrize(("script", "code", "said"), CLI_CASES.values(), ids=CLI_CASES.keys())
def test_cli_sync_ends_in_time_in_bounded_memory(
    script: Script, code: int, said: str, tmp_path: Path
) -> None:
    (tmp_path / "secret").write_text(PASSWORD + "\n")
    with HostileImap(script) as server:
        config = tmp_path / "config.toml"
        extra = f"server_timeout_seconds = {DEADLINE + 1}\n"
        config.write_text(server.config_text(tmp_path / "secret", extra=extra))
        args = ["sync", "--all"] if script.nest else ["sync"]
        run = run_cli(args, config=config, data_dir=tmp_path / "data", limit=30)
    assert run.code == code, run.stderr
    assert said in run.stderr and "internal error" not in run.stderr
    assert "server" in run.stderr and "Traceback" not in run.stderr
    assert run.seconds < 15  # interpreter start-up under load, plus one deadline
    assert run.peak_rss_mb < 150


@pytest.mark.faults_long
@pytest.mark.parametrize("mode", ["fast", "slow"])
def test_long_a_400_mib_literal_streamed_for_real(mode: str, tmp_path: Path) -> None:
    """The server really sends the 400 MiB (as fast as it can, or slowly): the client
    refuses on the announcement and stays small."""
    (tmp_path / "secret").write_text(PASSWORD + "\n")
    script = Script(huge_literal=419430400, literal_mode=mode, literal_pause=0.01)  # type: ignore[arg-type]
    with HostileImap(script) as server:
        config = tmp_path / "config.toml"
        config.write_text(server.config_text(tmp_path / "secret"))
        run = run_cli(["sync"], config=config, data_dir=tmp_path / "data", limit=120)
    assert run.code == 5, run.stderr
    assert run.peak_rss_mb < 150


@pytest.mark.faults_long
def test_long_drip_at_the_default_deadline(tmp_path: Path) -> None:
    """One byte every 10 s: under every per-read timeout (15 s connect, 60 s read), so
    only the default 60 s deadline ends it. (Before: still running after 330 s.)"""
    (tmp_path / "secret").write_text(PASSWORD + "\n")
    with HostileImap(Script(drip=10)) as server:
        config = tmp_path / "config.toml"
        config.write_text(server.config_text(tmp_path / "secret"))
        run = run_cli(["sync"], config=config, data_dir=tmp_path / "data", limit=300)
    assert run.code == 5, run.stderr
    assert "within 60 s" in run.stderr
    assert run.seconds < 75
