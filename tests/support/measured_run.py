"""Run the CLI as a user would, and measure what it cost: wall time and peak RSS.

Peak RSS comes from `os.wait4` in a small launcher process, not in the test runner: on
Linux a child's ru_maxrss starts from its parent's high-water mark (fork and exec keep
it), so a CLI forked from a pytest that has grown to 240 MB "peaks" at 240 MB however
little it uses. The launcher is exec'd fresh (about 10 MB), so the figure is the
client's own.
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

_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
if code < 0:
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


@dataclass(frozen=True)
class Measured:
    code: int | None
    """The exit code; None when the run was killed at the time limit."""
    seconds: float
    peak_rss_mb: float
    """The client's peak RSS; -1 when it was killed at the time limit (not measured)."""
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
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch, "maxrss")
        out_path, err_path = Path(scratch, "out"), Path(scratch, "err")
        started = time.monotonic()
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, str(report), sys.executable, "-m",
                 "tui_mail", *args],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,  # so the time limit ends the client with the launcher
            )  # fmt: skip
            try:
                code: int | None = process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                code = None
        seconds = time.monotonic() - started
        peak_kib = int(report.read_text()) if code is not None else -1024
        return Measured(
            code,
            seconds,
            peak_kib / 1024,
            out_path.read_bytes().decode("utf-8", "replace"),
            err_path.read_bytes().decode("utf-8", "replace"),
        )
