"""In-process figures of one warm cache: what opening, scrolling, sorting and searching a
big folder cost inside tui-mail, without the terminal around it.

The suite runs this as a subprocess on the cache a ``tui-mail sync`` just filled
(``python -m benchmarks.scale probe DATA_DIR``), so each figure is of the code being
benchmarked and the probe's memory is its own. ``python -m benchmarks.scale synthetic
--sizes 10000 100000 1000000`` does the same on caches made without a server: 20,000
realistic messages (the suite's) copied in SQL with new UIDs and later dates, for
profiling a size without syncing it.

Local search calls core/account/local_search.search_local, whatever CacheView.find is
built on at the time (a scan today, an FTS5 index when that lands), so the figure follows
the code. Printed as one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.limit_cache import fill
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.account.local_search import Scope, search_local, search_newest
from tui_mail.core.account.message_index import FolderMessages
from tui_mail.core.query import Query, parse_query
from tui_mail.core.sort import SortKey, SortSpec
from tui_mail.core.store.cache import Store

ACCOUNT = "bench"
FOLDER = "INBOX"
SCREEN = 38
"""Rows a 120x40 pane shows."""

QUERIES = ("ZQX", "004242", "from:alice", "subject:quarterly", "design review", "is:flagged")
"""Rare words (the marker; one invoice number), a sender, a subject word, two words
anywhere, a flag: from a handful of hits to a tenth of the folder."""

SORTS = (SortKey.FROM, SortKey.SUBJECT, SortKey.SIZE)


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


INDEX_WAIT = 300.0
"""Seconds the probe waits for the full-text index to catch up before timing searches."""


def _median_of(runs: int, work: Callable[[], object], budget: float = 3.0) -> float:
    """The median of up to ``runs`` timings, fewer once ``budget`` seconds are spent (a
    search that takes seconds at 1M would otherwise take minutes to time)."""
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while len(times) < runs and (not times or time.perf_counter() < deadline):
        times.append(_timed(work))
    return statistics.median(times)


def probe(cache: Path, runs: int = 5, queries: tuple[str, ...] = QUERIES) -> dict[str, object]:
    """Figures of the INBOX in the cache file ``cache`` (see the module docstring)."""
    figures: dict[str, object] = {}
    started = time.perf_counter()
    store = Store(cache)
    view = CacheView(ACCOUNT, store)

    handed: list[Callable[[], None]] = []

    def first_screen() -> FolderMessages:
        # As the TUI opens it: a big folder's order is read on a background thread and
        # handed over (`deliver`); the first screen does not wait for it.
        messages = view.folder_messages(FOLDER, deliver=handed.append)
        for index in range(SCREEN):
            messages.row(index)
        return messages

    first_screen()
    figures["open_first"] = time.perf_counter() - started
    figures["open_again"] = _median_of(runs, first_screen)
    messages = FolderMessages(ACCOUNT, store, FOLDER)
    figures["order_all"] = _median_of(runs, lambda: FolderMessages(ACCOUNT, store, FOLDER))
    size = len(messages)
    figures["size"] = size
    folder_id = store.folder_id(FOLDER)
    figures["counts"] = _median_of(runs, lambda: store.counts(folder_id))

    # A PageDown far down the list: the rows of a page never read before.
    pages = [size * k // (runs + 1) for k in range(1, runs + 1)]
    figures["page_far"] = statistics.median(
        _timed(lambda at=at: [messages.row(at + i) for i in range(SCREEN)]) for at in pages
    )

    first_sorts, resorts = [], []
    for key in SORTS:
        spec = SortSpec(key)
        first_sorts.append(_timed(lambda s=spec: FolderMessages(ACCOUNT, store, FOLDER, sort=s)))
        resorts.append(_timed(lambda s=spec: FolderMessages(ACCOUNT, store, FOLDER, sort=s)))
    figures["sort_first"] = statistics.median(first_sorts)
    figures["resort"] = statistics.median(resorts)

    # Searches are timed on the full-text index, as a user meets them once it has caught
    # up: right after a first sync it is still being built (in bulk, in the background of
    # whichever process has the cache open) and the matcher answers meanwhile, exact but
    # seconds at 1M. How long that takes is a figure of its own.
    began = time.perf_counter()
    while store.full_text.backlog() and time.perf_counter() - began < INDEX_WAIT:
        time.sleep(0.2)
    figures["index_wait"] = time.perf_counter() - began
    searches: dict[str, dict[str, float]] = {}
    caches = {ACCOUNT: view}
    for text in queries:
        query = parse_query(text)
        found: list[int] = []

        def search(q: Query = query, found: list[int] = found) -> None:
            hits = search_local(caches, q, Scope.FOLDER, account=ACCOUNT, folder=FOLDER)
            found[:] = [len(hits)]

        def first(q: Query = query) -> None:
            search_newest(caches, q, Scope.FOLDER, account=ACCOUNT, folder=FOLDER)

        seconds = _median_of(runs, search)
        # What the search line shows first: the newest hits where there are many (else
        # the whole answer, which is as fast).
        newest = search_newest(caches, query, Scope.FOLDER, account=ACCOUNT, folder=FOLDER)
        shown = seconds if newest is None else _median_of(runs, first)
        searches[text] = {"seconds": seconds, "hits": found[0], "first_seconds": shown}
    figures["search"] = searches
    if searches:
        figures["search_median"] = statistics.median(s["seconds"] for s in searches.values())
        figures["search_first_median"] = statistics.median(
            s["first_seconds"] for s in searches.values()
        )
    figures["probe_peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    store.close()
    figures["cache_bytes"] = sum(
        path.stat().st_size
        for path in cache.parent.iterdir()
        if path.is_file()
        and (path.name.startswith(cache.name) or path.name.startswith(f"{cache.stem}.queue."))
    )
    return figures


PROBE_METRICS = {
    "open_inproc": "open_first",
    "order_inproc": "order_all",
    "page_far": "page_far",
    "sort_inproc": "resort",
    "search_local": "search_median",
    "search_first": "search_first_median",
    "index_wait": "index_wait",
    "counts_inproc": "counts",
    "cache_disk": "cache_bytes",
}
"""Suite metric (results.py) -> the probe's figure it records."""


def probe_subprocess(
    data_dir: Path, env: dict[str, str], timeout: float = 600
) -> dict[str, object]:
    """The probe's figures of the cache in ``data_dir``, run as its own process (the code
    next to the benchmark, through ``env``'s PYTHONPATH; its own memory)."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "probe", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the cache probe exited with {done.returncode}: {done.stderr[-500:]}")
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def find_cache(data_dir: Path) -> Path:
    """The account's cache file under a TUI_MAIL_DATA_DIR (not its pending queue)."""
    found = [
        path for path in data_dir.rglob("*.sqlite3") if not path.name.endswith(".queue.sqlite3")
    ]
    if len(found) != 1:
        raise SystemExit(f"expected one cache under {data_dir}, found {found}")
    return found[0]


BASE = 20_000
DATE_STEP = 487
"""make_message's seconds between messages."""


def synthetic(path: Path, size: int) -> Store:
    """A cache of ``size`` messages: BASE realistic ones, copied with later UIDs and dates."""
    base = min(size, BASE)
    store = fill(path, base, 0)
    store.close()
    db = sqlite3.connect(path)
    copies = -(-size // base)
    with db:
        for copy in range(1, copies):
            count = min(base, size - copy * base)
            db.execute(
                "INSERT INTO messages SELECT folder_id, uid + ?, date + ?, from_name,"
                " from_addr, to_addrs, cc_addrs, subject, message_id || ?, in_reply_to,"
                " refs, size, flags, keywords, has_attachment, modseq FROM messages"
                " WHERE uid <= ?",
                (copy * base, copy * base * DATE_STEP, f".{copy}", count),
            )
    db.close()
    return Store(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale")
    commands = parser.add_subparsers(dest="command", required=True)
    probe_parser = commands.add_parser("probe", help="figures of a synced cache")
    probe_parser.add_argument("data_dir", type=Path)
    probe_parser.add_argument("--runs", type=int, default=5)
    synthetic_parser = commands.add_parser("synthetic", help="figures of made-up caches")
    synthetic_parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    synthetic_parser.add_argument("--runs", type=int, default=5)
    synthetic_parser.add_argument("--keep", type=Path, help="make the caches in this directory")
    synthetic_parser.add_argument(
        "--no-search", action="store_true", help="leave local search out (minutes at 1M)"
    )
    args = parser.parse_args(argv)
    gc.collect()
    if args.command == "probe":
        print(json.dumps(probe(find_cache(args.data_dir), args.runs)))
        return 0
    for size in args.sizes:
        directory = args.keep or Path(tempfile.mkdtemp(prefix="tui-mail-scale-"))
        path = directory / f"synthetic-{size}.sqlite3"
        if not path.exists():
            started = time.perf_counter()
            synthetic(path, size).close()
            print(f"made {size:,} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        queries = () if args.no_search else QUERIES
        print(json.dumps({"size": size, **probe(path, args.runs, queries)}), flush=True)
        if args.keep is None:
            for leftover in directory.iterdir():
                os.unlink(leftover)
            directory.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
