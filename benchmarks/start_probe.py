"""Run `tui-mail` and note, from the process's own start, when its first rows were written.

    TUI_MAIL_PROBE_MARK=TEXT TUI_MAIL_PROBE_OUT=FILE python benchmarks/start_probe.py [ARGS]

Run as a script (not `-m`), with the tree to measure first on PYTHONPATH, in a terminal
(benchmarks/warm_start.py --probe does both). At exit FILE holds JSON: seconds since the
process started (the kernel's start time, so interpreter start-up counts) and the
process's CPU seconds at each milestone: the interpreter ready, the first import of
Textual begun, and the first write to the terminal that holds TEXT (Textual writes to
stderr, wrapped here). Only an audit hook and the wrapper are added to the run.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from typing import Any


def _since_start() -> float:
    """Seconds since the kernel started this process."""
    with open("/proc/self/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime") as uptime:
        return float(uptime.read().split()[0]) - started


_BASE = time.monotonic() - _since_start()
_MARKS: dict[str, tuple[float, float]] = {}


def _mark(what: str) -> None:
    if what not in _MARKS:
        _MARKS[what] = (time.monotonic() - _BASE, time.process_time())


def _on_audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "import" and args[0] == "textual":
        _mark("textual import begun")


class _Terminal:
    """sys.__stderr__ as Textual uses it, noting the first write that holds the marker."""

    def __init__(self, inner: Any, marker: str) -> None:
        self._inner = inner
        self._marker = marker

    def write(self, text: str) -> int:
        if self._marker in text:
            _mark("rows written")
        written: int = self._inner.write(text)
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def main() -> int:
    _mark("interpreter ready")
    out = os.environ["TUI_MAIL_PROBE_OUT"]
    atexit.register(lambda: _write(out))
    sys.addaudithook(_on_audit)
    sys.__stderr__ = _Terminal(sys.__stderr__, os.environ["TUI_MAIL_PROBE_MARK"])
    sys.argv = ["tui-mail", *sys.argv[1:]]
    from tui_mail.cli import main as tui_mail  # noqa: PLC0415  (the tree measured)

    return tui_mail()


def _write(path: str) -> None:
    with open(path, "w") as file:
        json.dump({name: list(values) for name, values in _MARKS.items()}, file)


if __name__ == "__main__":
    raise SystemExit(main())
