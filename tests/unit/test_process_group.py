"""A Ctrl-C while a piped command is being started must still end the command's group."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import alive
from tui_mail.core import process_group


def test_ctrl_c_during_the_start_kills_the_command_group(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The interrupt lands inside Popen, after the child exists and before Popen returns:
    without holding it, KeyboardInterrupt escaped there and `sleep` ran on unkilled."""
    started: list[int] = []
    # A shell that starts jobs in the background ignores SIGINT for them (CI may): the
    # user's terminal does not, so the test puts Python's own handler in place.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)

    class InterruptedWhileStarting(subprocess.Popen[bytes]):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self.pid)
            os.kill(os.getpid(), signal.SIGINT)  # the user's Ctrl-C, at the worst moment
            time.sleep(0.1)  # let Python run its signal handler here, inside Popen

    monkeypatch.setattr(process_group.subprocess, "Popen", InterruptedWhileStarting)
    with pytest.raises(KeyboardInterrupt):
        process_group.pipe_into(["sleep", "300"], b"", cwd=str(tmp_path))
    [pid] = started
    deadline = time.monotonic() + 5
    while alive(pid):
        assert time.monotonic() < deadline, "the command outlived the interrupt"
        time.sleep(0.05)
    # The handler is Python's own again afterwards.
    assert signal.signal(signal.SIGINT, before) is signal.default_int_handler


def test_a_command_runs_with_its_input_and_status(tmp_path: Path) -> None:
    out = tmp_path / "out"
    status = process_group.pipe_into(["sh", "-c", f"cat > {out}; exit 3"], b"hello\n")
    assert (status, out.read_bytes()) == (3, b"hello\n")
