"""Clients in a real terminal: a private tmux server, one 120x40 pane per launch.

Everything a user sees is read back with ``capture-pane``; a keystroke is ``send-keys``.
Both go through one tmux *control-mode* client (``tmux -C``) that stays connected: a
capture costs about 0.3 ms there, against 2.5-5.6 ms and a process start for a
``tmux capture-pane`` command, which on a 2-core machine stole CPU from the client
under test and blurred the timings.  Polls run every ~10 ms while waiting for
something that takes a second, back to back while timing a repaint.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

WIDTH = 120
HEIGHT = 40
POLL_INTERVAL = 0.01

# No client ever attaches, so the panes keep the size they are created with.  (tmux 3.3a's
# server dies on new-session with `history-limit` or `window-size manual` in its config.)
_TMUX_CONF = """\
set -g status off
set -g remain-on-exit on
set -g default-terminal tmux-256color
set -s escape-time 0
"""


class PaneExitedError(RuntimeError):
    """The program in the pane exited; the message holds what it left on screen."""


@dataclass(frozen=True)
class Appearance:
    """When something showed up on screen, seconds after ``started``."""

    seconds: float
    screen: str


class TmuxCommandError(RuntimeError):
    """tmux refused a command (e.g. the session is gone)."""


class _ControlClient:
    """A ``tmux -C`` client on its own idle session, taking commands on stdin.

    Each command's output comes back between ``%begin`` and ``%end`` (or ``%error``)
    lines; other lines starting with ``%`` are notifications, skipped.
    """

    def __init__(self, prefix: list[str]) -> None:
        self._process = subprocess.Popen(
            [*prefix, "-C", "new-session", "-s", "control", "cat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._read_block()  # the new-session command's own (empty) block

    def run(self, *args: str) -> str:
        assert self._process.stdin is not None
        if any("'" in arg or "\n" in arg for arg in args):
            raise ValueError(f"not quotable for tmux control mode: {args!r}")
        self._process.stdin.write((" ".join(f"'{arg}'" for arg in args) + "\n").encode())
        self._process.stdin.flush()
        ok, output = self._read_block()
        if not ok:
            raise TmuxCommandError(f"tmux {' '.join(args)}: {output.strip()}")
        return output

    def _read_block(self) -> tuple[bool, str]:
        stdout = self._process.stdout
        assert stdout is not None
        while True:
            line = stdout.readline()
            if not line:
                raise RuntimeError("the tmux control client exited")
            if not line.startswith(b"%begin "):
                continue  # a notification
            lines: list[bytes] = []
            while True:
                line = stdout.readline()
                if not line:
                    raise RuntimeError("the tmux control client exited")
                if line.startswith((b"%end ", b"%error ")):
                    return line.startswith(b"%end "), b"".join(lines).decode(errors="replace")
                lines.append(line)

    def close(self) -> None:
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class Tmux:
    """A tmux server of our own (socket in ``work_dir``): nothing touches the user's sessions."""

    def __init__(self, work_dir: Path) -> None:
        self._socket = work_dir / "tmux.sock"
        self._conf = work_dir / "tmux.conf"
        self._conf.write_text(_TMUX_CONF)
        self._counter = 0
        self._control = _ControlClient(self._prefix)

    @property
    def _prefix(self) -> list[str]:
        return ["tmux", "-S", str(self._socket), "-f", str(self._conf)]

    def command(self, *args: str, check: bool = True) -> str:
        """A tmux command through the control client (no process start)."""
        try:
            return self._control.run(*args)
        except TmuxCommandError:
            if check:
                raise
            return ""

    def spawn_command(self, *args: str) -> None:
        """A tmux command as its own process: for arguments control mode cannot quote."""
        done = subprocess.run([*self._prefix, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise TmuxCommandError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")

    def launch(self, shell_command: str) -> Pane:
        """Start ``shell_command`` in a new 120x40 session; returns at once.

        The command should ``exec`` the client so the pane's pid is the client's own.
        """
        self._counter += 1
        name = f"bench{self._counter}"
        started = time.perf_counter()
        self.spawn_command(
            "new-session", "-d", "-s", name, "-x", str(WIDTH), "-y", str(HEIGHT), shell_command
        )
        if self._counter == 1:  # the control client must not have resized the window
            size = self.command("display", "-p", "-t", name, "#{pane_width}x#{pane_height}")
            if size.strip() != f"{WIDTH}x{HEIGHT}":
                raise RuntimeError(f"tmux made a {size.strip()} pane, not {WIDTH}x{HEIGHT}")
        return Pane(self, name, started)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.command("kill-server", check=False)
        self._control.close()
        self._socket.unlink(missing_ok=True)


class Pane:
    """One running client; ``started`` is the moment just before tmux was asked to run it."""

    def __init__(self, tmux: Tmux, session: str, started: float) -> None:
        self._tmux = tmux
        self.session = session
        self.started = started
        self._pid: int | None = None

    @property
    def pid(self) -> int:
        if self._pid is None:
            self._pid = int(self._tmux.command("display", "-p", "-t", self.session, "#{pane_pid}"))
        return self._pid

    def screen(self, *, styles: bool = False) -> str:
        """The pane's text; with ``styles``, also the colours (a moved cursor shows there)."""
        args = ["capture-pane", "-p", "-t", self.session]
        if styles:
            args.insert(2, "-e")
        return self._tmux.command(*args)

    def last_words(self) -> str:
        """What an exited client left on screen, wrapped lines joined, tmux's note dropped."""
        text = self._tmux.command("capture-pane", "-p", "-J", "-t", self.session, check=False)
        lines = [
            line.strip()
            for line in text.splitlines()
            if line.strip() and not line.startswith("Pane is dead")
        ]
        return " / ".join(lines[-2:]) or "(the screen was empty)"

    def dead(self) -> bool:
        out = self._tmux.command("display", "-p", "-t", self.session, "#{pane_dead}", check=False)
        return out.strip() in ("1", "")

    def send_keys(self, *keys: str) -> None:
        self._tmux.command("send-keys", "-t", self.session, *keys)

    def wait_for(
        self, predicate: Callable[[str], bool], timeout: float, since: float | None = None
    ) -> Appearance | None:
        """Poll the screen until ``predicate`` holds; None on timeout.

        Raises PaneExitedError if the client exits first.
        """
        origin = self.started if since is None else since
        deadline = time.perf_counter() + timeout
        checks = 0
        while True:
            text = self.screen()
            seen = time.perf_counter()
            if predicate(text):
                return Appearance(seen - origin, text)
            checks += 1
            if checks % 20 == 0 and self.dead():
                raise PaneExitedError(self.last_words())
            if seen > deadline:
                return None
            time.sleep(POLL_INTERVAL)

    def wait_for_text(self, text: str, timeout: float) -> Appearance | None:
        return self.wait_for(lambda screen: text in screen, timeout)

    def time_repaint(self, *keys: str, timeout: float = 2.0) -> float | None:
        """Seconds from sending ``keys`` until the screen (text or colours) changes."""
        before = self.screen(styles=True)
        started = time.perf_counter()
        self.send_keys(*keys)
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.screen(styles=True) != before:
                return time.perf_counter() - started
        return None

    def wait_still(self, quiet: float = 0.05, timeout: float = 2.0) -> None:
        """Wait until two captures ``quiet`` seconds apart are the same."""
        deadline = time.perf_counter() + timeout
        previous = self.screen(styles=True)
        while time.perf_counter() < deadline:
            time.sleep(quiet)
            current = self.screen(styles=True)
            if current == previous:
                return
            previous = current

    def close(self, quit_keys: tuple[str, ...] = (), timeout: float = 5.0) -> None:
        """Quit the way a user would (so caches are written), then remove the session."""
        if quit_keys and not self.dead():
            with contextlib.suppress(TmuxCommandError):
                self.send_keys(*quit_keys)
            deadline = time.perf_counter() + timeout
            while time.perf_counter() < deadline and not self.dead():
                time.sleep(0.02)
        self._tmux.command("kill-session", "-t", self.session, check=False)
        if self._pid is not None:
            _wait_gone(self._pid, timeout)


def _wait_gone(pid: int, timeout: float) -> None:
    """Wait until ``pid`` has exited (a zombie waiting for tmux to reap it counts)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                state = stat.read().rpartition(b")")[2].split()[0]
        except OSError:
            return
        if state in (b"Z", b"X"):
            return
        time.sleep(0.02)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def peak_rss(pid: int) -> int | None:
    """VmHWM (the resident-set high-water mark) of a live process, in bytes."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def wait_idle(pid: int, *, window: float = 1.0, busy_share: float = 0.03, timeout: float) -> bool:
    """Wait until the process uses under ``busy_share`` of a core for ``window`` seconds.

    True when it settled, False on timeout.  Used to let a client finish loading in the
    background before reading its peak memory or trusting its cache to be complete.
    """
    deadline = time.perf_counter() + timeout
    previous = cpu_seconds(pid)
    while time.perf_counter() < deadline:
        time.sleep(window)
        current = cpu_seconds(pid)
        if current is None or previous is None:
            return True
        if current - previous < busy_share * window:
            return True
        previous = current
    return False
