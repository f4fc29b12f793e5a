"""`tui-mail sync` of one 100k INBOX by several source trees, in turns (A B C A B C ...).

    python -m benchmarks.sync_ab TREE [TREE ...] [--rounds N] [--size N]

Each TREE is a directory holding a `tui_mail` package (a copy of another commit, say
`git archive 5c2cace | tar -x -C /tmp/base`), run as `python -m tui_mail` with that tree
first on PYTHONPATH, against one loopback Dovecot (the suite's, tests/support/dovecot.py).
Per round and tree: an empty-cache sync, then a re-sync with nothing changed; wall time,
the in-process time the command prints, and the child's CPU time (user + system, from
`wait4`), which a busy machine disturbs far less than wall time. Medians at the end, with
the load average before and after. The 100k maildir is hard-linked from the suite's
template (benchmarks/maildirs.py), never lent: a suite running meanwhile keeps it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import maildirs
from benchmarks.cli_runs import Timed, _wait4
from benchmarks.clients import TuiMail
from benchmarks.fixture import BenchServer, Mailbox, marker_subject, scratch_dir


def _run(argv: list[str], env: dict[str, str]) -> tuple[Timed, float]:
    """(timed run, child CPU seconds)."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        status, usage = _wait4(process, 600)
        wall = time.perf_counter() - started
        out.seek(0)
        stdout = out.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed: {stdout[-500:]}")
    found = re.search(r"\[(?P<method>[\w-]+), (?P<seconds>\d+(?:\.\d+)?) s\]", stdout)
    timed = Timed(
        wall=wall,
        peak_rss=usage.ru_maxrss * 1024,
        stdout=stdout,
        in_process=float(found["seconds"]) if found else None,
        method=found["method"] if found else None,
    )
    return timed, usage.ru_utime + usage.ru_stime


def _mailbox(server: BenchServer, size: int) -> Mailbox:
    user = server.server.add_user(f"ab{size}")
    template = maildirs.template_dir(size) / "cur"
    if not (template.parent / "complete").exists():  # lent to a running suite, or never made
        raise SystemExit(f"no complete template {template.parent}: run the suite once")
    cur = user.maildir / "cur"
    shutil.rmtree(cur, ignore_errors=True)
    subprocess.run(["cp", "-al", str(template), str(cur)], check=True)
    return Mailbox(user=user, size=size, marker=marker_subject(size))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync_ab")
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument(
        "--runner", type=Path, help="a script run instead of `-m tui_mail` (same arguments)"
    )
    parser.add_argument("--no-compress", action="store_true", help="compress = false")
    args = parser.parse_args()
    work = scratch_dir()
    server = BenchServer(work)
    figures: dict[str, dict[str, list[float]]] = {str(t): {} for t in args.trees}
    try:
        mailbox = _mailbox(server, args.size)
        loads = [os.getloadavg()[0]]
        for round_ in range(args.rounds + 1):  # round 0 warms Dovecot's cache
            order = args.trees[round_ % len(args.trees) :] + args.trees[: round_ % len(args.trees)]
            for tree in order:
                client = TuiMail(work / tree.name, server.ca_pem, compress=not args.no_compress)
                client.clear_cache(mailbox)
                env = {**client.cli_env(mailbox, server.port), "PYTHONPATH": str(tree)}
                run = [str(args.runner)] if args.runner else ["-m", "tui_mail"]
                argv = [sys.executable, *run, "sync", "-f", "INBOX"]
                full, full_cpu = _run(argv, env)
                again, again_cpu = _run(argv, env)
                line = (
                    f"round {round_} {tree.name}: sync {full.wall:.2f} s wall"
                    f" / {full.in_process} in-process / {full_cpu:.2f} s CPU;"
                    f" re-sync {again.wall:.3f} s / {again.in_process} / {again_cpu:.3f} s CPU"
                )
                print(line, flush=True)
                for text in (full.stdout, again.stdout):
                    print("".join(f"    {x}\n" for x in text.splitlines() if "PROBE" in x), end="")
                if round_ == 0:
                    continue
                row = figures[str(tree)]
                for key, value in (
                    ("sync wall", full.wall),
                    ("sync in-process", full.in_process or 0.0),
                    ("sync CPU", full_cpu),
                    ("re-sync wall", again.wall),
                    ("re-sync in-process", again.in_process or 0.0),
                    ("re-sync CPU", again_cpu),
                ):
                    row.setdefault(key, []).append(value)
        loads.append(os.getloadavg()[0])
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average {loads[0]:.2f} -> {loads[-1]:.2f}")
    for tree, row in figures.items():
        print(tree)
        for key, values in row.items():
            print(
                f"  {key:<20} median {statistics.median(values):.3f}"
                f" [{min(values):.3f}-{max(values):.3f}, n={len(values)}]"
            )


if __name__ == "__main__":
    main()
