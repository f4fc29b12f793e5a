"""The real TUI in a pseudo-terminal: start `python -m tui_mail`, type keys, time its exit."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path


class PtyApp:
    """`python -m tui_mail` on a 100x30 pty; the screen output is read and kept (raw)."""

    def __init__(self, config: Path, data_dir: Path, *, cwd: Path | None = None) -> None:
        env = dict(
            os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(data_dir),
            TERM="xterm-256color", COLUMNS="100", LINES="30",
        )  # fmt: skip
        env.pop("TEXTUAL", None)
        self.master, slave = pty.openpty()
        fcntl_size = struct.pack("HHHH", 30, 100, 0, 0)
        import fcntl  # noqa: PLC0415

        fcntl.ioctl(slave, termios.TIOCSWINSZ, fcntl_size)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui_mail"],
            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.output = b""

    def pump(self, seconds: float) -> None:
        """Read what the app draws for `seconds` (keeps its pty from filling up)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    return

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            self.pump(0.05)
        return condition()

    def press(self, key: bytes) -> None:
        os.write(self.master, key)

    def exit_time(self, limit: float) -> float | None:
        """Seconds until the process ended (reading its output meanwhile), None if it did not
        within `limit`."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if self.process.poll() is not None:
                return time.monotonic() - started
            self.pump(0.01)
        return None

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(OSError):
            os.close(self.master)
