"""Launch -> first rows on screen with a warm cache, without a server: a helper's probe.

The suite's "first rows, warm cache" (benchmarks/screen.py) needs the lab Dovecot and a
synced mailbox; this launches the TUI in the same 120x40 tmux pane over a made-up cache
(benchmarks/scale.py's `synthetic`, its full-text index built first) with the account's
server refusing connections (a closed loopback port), so the figure is the client's own
start-up: imports, the cache's opening, the first page, the first paint (wall, and the
process's CPU seconds when the rows show: steadier on a shared machine). Several source
trees (before/after a change) are launched in turn, A B A B ..., and their medians are
printed with the load average. Each tree is byte-compiled first, as an installed
package is; with --probe each launch also reports, from inside, when its first rows were
written (benchmarks/start_probe.py).

    python -m benchmarks.warm_start CACHE.sqlite3 --tree before=/tmp/base --tree after=. --probe
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.clients import compile_tree
from benchmarks.tmux import Tmux, cpu_seconds, wait_idle

ACCOUNT = "bench"
CLOSED_PORT = 9  # discard: nothing listens on the loopback


def _data_dir(work: Path, cache: Path) -> Path:
    """A TUI_MAIL_DATA_DIR whose account cache is a copy of `cache` (the TUI writes to
    it), its folders marked as synced as `tui-mail sync` leaves them: a folder never
    synced makes the CLI begin a sync (core/account/head_start.py), whose imports on the
    worker thread compete with the UI's, where the suite's warm launch begins none."""
    data = work / "data"
    digest = hashlib.sha256(ACCOUNT.encode()).hexdigest()[:8]
    target = data / "cache" / f"{ACCOUNT}-{digest}.sqlite3"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(cache, target)
        db = sqlite3.connect(target)
        try:
            with db:
                db.execute(
                    "UPDATE folders SET uidvalidity = 1, uidnext = 1 + (SELECT max(uid)"
                    " FROM messages WHERE folder_id = folders.id) WHERE uidvalidity IS NULL"
                )
        finally:
            db.close()
    return data


def _config(work: Path) -> Path:
    config = work / "config.toml"
    config.write_text(
        f'[[accounts]]\nname = "{ACCOUNT}"\nemail = "b@example.com"\nusername = "b"\n'
        'password_command = "echo x"\n\n[accounts.imap]\n'
        f'host = "127.0.0.1"\nport = {CLOSED_PORT}\nsecurity = "tls"\n'
    )
    return config


def newest_subject(cache: Path) -> str:
    db = sqlite3.connect(cache)
    try:
        (subject,) = db.execute(
            "SELECT subject FROM messages ORDER BY date DESC, uid DESC LIMIT 1"
        ).fetchone()
    finally:
        db.close()
    return str(subject)[:30]


@dataclass
class _Launch:
    """How one tree is launched, and what its launches gave."""

    tree: Path
    probe_out: Path | None
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    probed: list[tuple[float, float]] = field(default_factory=list)

    def command(self, config: Path, data: Path, marker: str) -> str:
        environment = {
            "TUI_MAIL_CONFIG": str(config),
            "TUI_MAIL_DATA_DIR": str(data),
            "PYTHONPATH": str(self.tree),
        }
        program = ["-m", "tui_mail"]
        if self.probe_out is not None:
            environment["TUI_MAIL_PROBE_MARK"] = marker
            environment["TUI_MAIL_PROBE_OUT"] = str(self.probe_out)
            program = [str(Path(__file__).with_name("start_probe.py"))]
            self.probe_out.unlink(missing_ok=True)
        assignments = [f"{key}={value}" for key, value in environment.items()]
        # From the tree itself: `python -m` puts the working directory first.
        where = shlex.quote(str(self.tree))
        return f"cd {where} && exec " + shlex.join(["env", *assignments, sys.executable, *program])

    def note(self, seconds: float, cpu: float) -> None:
        self.walls.append(seconds)
        self.cpus.append(cpu)
        if self.probe_out is not None:
            wall_cpu = json.loads(self.probe_out.read_text())["rows written"]
            self.probed.append((wall_cpu[0], wall_cpu[1]))

    def report(self, name: str) -> None:
        shown = " ".join(f"{value:.3f}" for value in self.walls)
        print(f"{name}: median {statistics.median(self.walls):.3f} s [{shown}]")
        cpu_shown = " ".join(f"{value:.3f}" for value in self.cpus)
        print(f"  CPU at first rows: median {statistics.median(self.cpus):.3f} s [{cpu_shown}]")
        if self.probed:
            walls = [wall for wall, _ in self.probed]
            used = [cpu for _, cpu in self.probed]
            print(
                "  in-process, process start -> rows written: wall median"
                f" {statistics.median(walls):.3f} s [{min(walls):.3f}-{max(walls):.3f}],"
                f" CPU median {statistics.median(used):.3f} s [{min(used):.3f}-{max(used):.3f}]"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.warm_start")
    parser.add_argument("cache", type=Path)
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--probe",
        action="store_true",
        help="through benchmarks/start_probe.py: also the in-process figures (from the"
        " process's start to the write of its first rows, wall and CPU)",
    )
    args = parser.parse_args(argv)
    marker = newest_subject(args.cache)
    work = Path(tempfile.mkdtemp(prefix="tui-mail-warm-"))
    launches: dict[str, _Launch] = {}
    for name, tree in (item.split("=", 1) for item in args.tree):
        launches[name] = _Launch(Path(tree).resolve(), work / "probe.json" if args.probe else None)
        compile_tree(launches[name].tree)
    data, config = _data_dir(work, args.cache.resolve()), _config(work)
    tmux = Tmux(work)
    loads: list[float] = []
    try:
        for run in range(args.runs + 1):  # the first round warms the page cache
            for name, launch in launches.items():
                pane = tmux.launch(launch.command(config, data, marker))
                try:
                    seen = pane.wait_for_text(marker, 30)
                    cpu = cpu_seconds(pane.pid)
                    wait_idle(pane.pid, timeout=20)
                finally:
                    pane.close(("q",))
                if seen is None:
                    raise SystemExit(f"{name}: no rows in 30 s")
                time.sleep(0.5)  # the probe writes its figures as the process exits
                if run:
                    launch.note(seen.seconds, cpu or 0.0)
                    loads.append(os.getloadavg()[0])
    finally:
        tmux.close()
        shutil.rmtree(work, ignore_errors=True)  # the cache's copy
    for name, launch in launches.items():
        launch.report(name)
    print(f"load average (1 min) during: median {statistics.median(loads):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
