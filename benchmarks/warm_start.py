"""Launch -> first rows on screen with a warm cache, without a server: a helper's probe.

The suite's "first rows, warm cache" (benchmarks/screen.py) needs the lab Dovecot and a
synced mailbox; this launches the TUI in the same 120x40 tmux pane over a made-up cache
(benchmarks/scale.py's `synthetic`, its full-text index built first) with the account's
server refusing connections (a closed loopback port), so the figure is the client's own
start-up: imports, the cache's opening, the first page, the first paint (wall, and the
process's CPU seconds when the rows show: steadier on a shared machine). Several source
trees (before/after a change) are launched in turn, A B A B ..., and their medians are
printed with the load average.

    python -m benchmarks.warm_start CACHE.sqlite3 --tree before=/tmp/base --tree after=.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.warm_start")
    parser.add_argument("cache", type=Path)
    parser.add_argument("--tree", action="append", required=True, help="NAME=PATH")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    trees = dict(item.split("=", 1) for item in args.tree)
    for tree in trees.values():
        compile_tree(Path(tree).resolve())
    marker = newest_subject(args.cache)
    work = Path(tempfile.mkdtemp(prefix="tui-mail-warm-"))
    data, config = _data_dir(work, args.cache.resolve()), _config(work)
    tmux = Tmux(work)
    figures: dict[str, list[float]] = {name: [] for name in trees}
    cpus: dict[str, list[float]] = {name: [] for name in trees}
    loads: list[float] = []
    try:
        for run in range(args.runs + 1):  # the first round warms the page cache
            for name, tree in trees.items():
                environment = {
                    "TUI_MAIL_CONFIG": str(config),
                    "TUI_MAIL_DATA_DIR": str(data),
                    "PYTHONPATH": str(Path(tree).resolve()),
                }
                assignments = [f"{key}={value}" for key, value in environment.items()]
                command = [*assignments, sys.executable, "-m", "tui_mail"]
                # From the tree itself: `python -m` puts the working directory first.
                where = shlex.quote(str(Path(tree).resolve()))
                pane = tmux.launch(f"cd {where} && exec " + shlex.join(["env", *command]))
                try:
                    seen = pane.wait_for_text(marker, 30)
                    cpu = cpu_seconds(pane.pid)
                    wait_idle(pane.pid, timeout=20)
                finally:
                    pane.close(("q",))
                if seen is None:
                    raise SystemExit(f"{name}: no rows in 30 s")
                if run:
                    figures[name].append(seen.seconds)
                    cpus[name].append(cpu or 0.0)
                    loads.append(os.getloadavg()[0])
                time.sleep(0.5)
    finally:
        tmux.close()
        shutil.rmtree(work, ignore_errors=True)  # the cache's copy
    for name, values in figures.items():
        shown = " ".join(f"{value:.3f}" for value in values)
        print(f"{name}: median {statistics.median(values):.3f} s [{shown}]")
        cpu_shown = " ".join(f"{value:.3f}" for value in cpus[name])
        print(f"  CPU at first rows: median {statistics.median(cpus[name]):.3f} s [{cpu_shown}]")
    print(f"load average (1 min) during: median {statistics.median(loads):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
