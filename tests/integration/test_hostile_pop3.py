"""A POP3 server that drips or stalls, and TLS handshakes that never end (POP3 on 995,
IMAP on 993): every case ends at the account's deadline (server_timeout_seconds) with
ServerTimeout, exit code 5 and the same sentence as IMAP's.

Before, poplib's 30 s timeout bounded each read alone: a server dripping its replies a
byte at a time kept a fetch going for as long as it liked, and a TLS handshake was bounded
only by the socket timeout (ssl detaches the plain socket the watchdog held).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.support.hostile_pop3 import PASSWORD, HostilePop3, Pop3Script, tls_drip
from tests.support.measured_run import run_cli
from tests.support.pty_app import PtyApp
from tui_mail.config import AccountConfig, Pop3Config, ServerConfig
from tui_mail.core.errors import ConnectionFailed, ServerTimeout
from tui_mail.core.imap.session import ImapSession
from tui_mail.core.pop3.backend import Pop3Backend
from tui_mail.core.pop3.session import Pop3Session

DEADLINE = 1


def _account(port: int, tmp_path: Path, security: str = "plain", **extra: object) -> AccountConfig:
    extra.setdefault("server_timeout_seconds", DEADLINE)
    return AccountConfig(
        name="pop", email="me@example.test", type="pop3", path=tmp_path / "Mail",
        pop3=Pop3Config("127.0.0.1", port, security), allow_insecure=True,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def _times_out(connect: object, what: str) -> float:
    started = time.monotonic()
    with pytest.raises(ServerTimeout) as caught:
        connect()  # type: ignore[operator]
    elapsed = time.monotonic() - started
    assert (
        f"The server at 127.0.0.1 stopped answering in time (no complete answer to {what} "
        f"within {DEADLINE} s); try again later." in str(caught.value)
    )
    assert caught.value.exit_code == 5
    return elapsed


def test_a_dripping_pop3_server_ends_at_the_deadline(tmp_path: Path) -> None:
    with HostilePop3(Pop3Script(drip=0.2)) as server:
        session = Pop3Session(_account(server.port, tmp_path), lambda: PASSWORD)
        elapsed = _times_out(session.connect, "the greeting")
    assert elapsed < DEADLINE + 2


def test_a_pop3_server_silent_on_retr_ends_at_the_deadline(tmp_path: Path) -> None:
    with HostilePop3(Pop3Script(stall_at="RETR")) as server:
        backend = Pop3Backend(_account(server.port, tmp_path), lambda: PASSWORD, data_dir=tmp_path)
        elapsed = _times_out(backend.fetch_new_mail, "RETR 1")
    assert elapsed < DEADLINE + 2
    assert "QUIT" not in server.seen.commands  # nothing deleted


@pytest.mark.parametrize("protocol", ["pop3", "imap"])
def test_a_tls_handshake_that_never_ends_ends_at_the_deadline(
    protocol: str, tmp_path: Path
) -> None:
    """The socket timeout (10 s here) bounds a handshake as a whole; before, the watchdog
    held a socket ssl had detached, so only that timeout ended it."""
    with tls_drip() as server:
        if protocol == "pop3":
            account = _account(server.port, tmp_path, "tls")
            connect = Pop3Session(account, lambda: PASSWORD, timeout=10).connect
        else:
            imap = ServerConfig("127.0.0.1", server.port, "tls")
            account = _account(server.port, tmp_path, imap=imap)
            connect = ImapSession(account, lambda: PASSWORD, read_timeout=10).connect
        elapsed = _times_out(connect, "the greeting")
    assert elapsed < DEADLINE + 2


def test_interrupt_ends_a_stalled_fetch_at_once(tmp_path: Path) -> None:
    """What quitting the UI does (AccountService.abandon -> backend.interrupt)."""
    with HostilePop3(Pop3Script(stall_at="RETR")) as server:
        account = _account(server.port, tmp_path, server_timeout_seconds=60)
        backend = Pop3Backend(account, lambda: PASSWORD, data_dir=tmp_path)
        failed: list[BaseException] = []

        def fetch() -> None:
            try:
                backend.fetch_new_mail()
            except BaseException as error:
                failed.append(error)

        worker = threading.Thread(target=fetch, daemon=True)
        worker.start()
        while "RETR" not in server.seen.commands:
            time.sleep(0.02)
        started = time.monotonic()
        backend.interrupt()
        worker.join(5)
        elapsed = time.monotonic() - started
    assert elapsed < 0.5
    [error] = failed
    assert isinstance(error, ConnectionFailed) and not isinstance(error, ServerTimeout)


def test_cli_fetch_from_a_dripping_server_exits_5_in_time(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text(PASSWORD + "\n")
    with HostilePop3(Pop3Script(drip=0.5)) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            '[[accounts]]\nname = "pop"\nemail = "me@example.test"\ntype = "pop3"\n'
            f'path = "{tmp_path / "Mail"}"\npassword_command = "cat {tmp_path / "secret"}"\n'
            "allow_insecure = true\nserver_timeout_seconds = 2\n"
            f'[accounts.pop3]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "plain"\n'
        )
        run = run_cli(["fetch"], config=config, data_dir=tmp_path / "data", limit=40)
    assert run.code == 5, run.stderr
    assert "stopped answering in time (no complete answer to the greeting within 2 s)" in (
        run.stderr
    )
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert run.seconds < 12


def test_quitting_the_tui_during_a_stalled_pop3_fetch_takes_under_a_second(
    tmp_path: Path,
) -> None:
    """The real app in a pty, q pressed while RETR gets no answer (deadline 600 s, so only
    quitting can end the wait): AccountService.abandon reaches Pop3Backend.interrupt."""
    (tmp_path / "secret").write_text(PASSWORD + "\n")
    with HostilePop3(Pop3Script(stall_at="RETR")) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            '[[accounts]]\nname = "pop"\nemail = "me@example.test"\ntype = "pop3"\n'
            f'path = "{tmp_path / "Mail"}"\npassword_command = "cat {tmp_path / "secret"}"\n'
            "allow_insecure = true\nserver_timeout_seconds = 600\n"
            f'[accounts.pop3]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "plain"\n'
        )
        app = PtyApp(config, tmp_path / "data", cwd=tmp_path)
        try:
            assert app.wait_for(lambda: "RETR" in server.seen.commands, timeout=20)
            app.pump(1.0)
            app.press(b"q")
            seconds = app.exit_time(10)
        finally:
            app.kill()
    assert seconds is not None, "still running 10 s after q"
    assert seconds < 1.0
