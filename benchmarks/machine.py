"""What the figures were measured on: hardware, kernel and the versions of every program."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _first_line(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines else None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _dovecot_version() -> str | None:
    for candidate in ("dovecot", "/usr/sbin/dovecot"):
        found = _first_line([candidate, "--version"])
        if found:
            return found
    return None


def _textual_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("textual")
    except PackageNotFoundError:
        return None


def _tui_mail_revision() -> str:
    from tui_mail import __version__  # noqa: PLC0415

    commit = _first_line(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    if commit is None:
        return __version__
    dirty = _first_line(["git", "-C", str(REPO_ROOT), "status", "--porcelain"])
    return f"{__version__} (git {commit}{', uncommitted changes' if dirty else ''})"


@dataclass(frozen=True)
class Machine:
    """The facts a reader needs to compare figures from two runs."""

    when: str
    cpu: str
    cores: int
    memory: str
    kernel: str
    python: str
    tui_mail: str
    textual: str | None
    dovecot: str | None
    aerc: str | None
    neomutt: str | None
    tmux: str | None
    load: str
    """Load averages when the run started: other work on the machine makes figures noisy."""

    @classmethod
    def describe(cls) -> Machine:
        return cls(
            when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            cpu=_cpu_model(),
            cores=os.cpu_count() or 0,
            memory=_memory(),
            kernel=f"{platform.system()} {platform.release()}",
            python=sys.version.split()[0],
            tui_mail=_tui_mail_revision(),
            textual=_textual_version(),
            dovecot=_dovecot_version(),
            aerc=_first_line(["aerc", "-v"]),
            neomutt=_first_line(["neomutt", "-v"]),
            tmux=_first_line(["tmux", "-V"]),
            load=", ".join(f"{value:.2f}" for value in os.getloadavg()),
        )

    def rows(self) -> list[tuple[str, str]]:
        missing = "not installed"
        return [
            ("date", self.when),
            ("CPU", f"{self.cpu}, {self.cores} cores"),
            ("memory", self.memory),
            ("kernel", self.kernel),
            ("Python", self.python),
            ("tui-mail", self.tui_mail),
            ("Textual", self.textual or missing),
            ("Dovecot", self.dovecot or missing),
            ("aerc", self.aerc or missing),
            ("neomutt", self.neomutt or missing),
            ("tmux", self.tmux or missing),
            ("load average at start (1, 5, 15 min)", self.load),
        ]
