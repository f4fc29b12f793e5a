"""``python -m benchmarks``: run the suite, print the tables, optionally write the Markdown."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.machine import Machine
from benchmarks.report import markdown_section, text_report, write_markdown
from benchmarks.screen import Timeouts
from benchmarks.suite import Options, Suite, log

SMOKE_SIZES = (10_000,)
FULL_SIZES = (10_000, 100_000)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part.replace("_", "")) for part in text.split(",")}))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--sizes takes comma-separated message counts, e.g. 10000,100000 (got {text!r})"
        ) from None
    if not sizes or min(sizes) < 10:
        raise argparse.ArgumentTypeError("each folder size must be at least 10 messages")
    return sizes


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="tui-mail against the raw wire, aerc and neomutt on one loopback Dovecot.",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="quick check that the suite works: 10k messages, one round, no peers",
    )
    parser.add_argument("--runs", type=_positive, help="rounds to take medians over (default 5)")
    parser.add_argument(
        "--sizes", type=_sizes, help="INBOX sizes, comma-separated (default 10000,100000)"
    )
    parser.add_argument("--no-peers", action="store_true", help="measure tui-mail only")
    parser.add_argument("--output", type=Path, help="also write the results into this Markdown")
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds a client may take to show the newest rows (default 30; smoke 8)",
    )
    parser.add_argument(
        "--no-compress",
        action="store_true",
        help="tui-mail without COMPRESS=DEFLATE (compress = false): the figures before it",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch directory (configs, caches, logs)"
    )
    return parser


def options_from(args: argparse.Namespace) -> Options:
    smoke: bool = args.smoke
    first_rows = args.timeout or (8.0 if smoke else 30.0)
    return Options(
        sizes=args.sizes or (SMOKE_SIZES if smoke else FULL_SIZES),
        runs=args.runs or (1 if smoke else 5),
        peers=not (args.no_peers or smoke),
        warmup=not smoke,
        idle_count=3 if smoke else 20,
        scroll_presses=10 if smoke else 50,
        timeouts=Timeouts(
            first_rows=first_rows, settle=20.0 if smoke else 60.0, idle=3.0 if smoke else 10.0
        ),
        keep=args.keep,
        compress=not args.no_compress,
        search_words=1 if smoke else 3,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if os.geteuid() != 0:
        print(
            "python -m benchmarks: needs root (the Dovecot test server starts login processes "
            "as other users); run it as root or through sudo.",
            file=sys.stderr,
        )
        return 2
    options = options_from(args)
    # A plain SIGTERM would skip the clean-up and leave Dovecot and tmux running.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    machine = Machine.describe()
    log(f"sizes {options.sizes}, {options.runs} round(s), peers: {options.peers}")
    results = Suite(options).run()
    results.notes.append(
        "load average at the end (1, 5, 15 min): "
        + ", ".join(f"{value:.2f}" for value in os.getloadavg())
    )
    print(text_report(results, machine, options.sizes, options.runs))
    if args.output is not None:
        command = shlex.join(["python", "-m", "benchmarks", *(argv or sys.argv[1:])])
        write_markdown(
            args.output,
            markdown_section(results, machine, options.sizes, options.runs, command),
        )
        log(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
