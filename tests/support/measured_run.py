"""Run the CLI as a user would, and measure what it cost: wall time and peak RSS.

`os.wait4` gives the child's own resource usage (ru_maxrss, in KiB on Linux), so the
figure is the client's peak memory, not the test runner's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    code: int | None
    """The exit code; None when the run was killed at the time limit."""
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_cli(
    args: list[str],
    *,
    config: Path,
    data_dir: Path,
    limit: float,
    extra_env: dict[str, str] | None = None,
) -> Measured:
    """`python -m tui_mail ARGS`; killed after `limit` seconds (code None)."""
    env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(data_dir))
    env.update(extra_env or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "tui_mail", *args],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        code: int | None = None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - started > limit:
                process.send_signal(signal.SIGKILL)
                _pid, _status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.monotonic() - started
        process.returncode = code if code is not None else -9  # Popen must not reap it again
        out.seek(0)
        err.seek(0)
        return Measured(
            code,
            seconds,
            usage.ru_maxrss / 1024,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )
