"""``python -m benchmarks.flag_counts CACHE``: a folder's counts and the searches with no
word (flags and dates only) in one cache file, in-process, as JSON.

What core/store/flag_counts.py is about: `Store.counts` (which every sync ends with) and
`search_local` over one folder for queries a full-text index cannot narrow. Each figure
is the median of ``--runs`` timings: wall clock and this thread's CPU (the one that stays
readable on a busy machine). Run it on a synthetic cache (``python -m benchmarks.scale
synthetic --keep DIR --no-search``); to compare two trees, run each tree's copy in turns
(``PYTHONPATH=TREE python -m benchmarks.flag_counts CACHE``) on copies of the same cache:
opening a cache of an older schema migrates it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from benchmarks.local_search import median_ms
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.account.local_search import Scope, search_local
from tui_mail.core.query import Query, parse_query
from tui_mail.core.store.cache import Store

ACCOUNT = "bench"
FOLDER = "INBOX"
QUERIES = (
    "is:flagged",
    "is:unread",
    "is:flagged since:1y",
    "is:unread since:2030-01-01",
    "is:flagged before:2025-01-01",
)
"""A flag alone (a hundredth and a seventh of the synthetic folder), with a date after
(the synthetic million reaches 2039) and before."""


def measure(path: Path, runs: int) -> dict[str, object]:
    began = time.perf_counter()
    store = Store(path)
    figures: dict[str, object] = {"open_ms": (time.perf_counter() - began) * 1000}
    try:
        folder_id = store.folder_id(FOLDER)
        figures["counts"] = store.counts(folder_id)
        figures["counts_ms"] = median_ms(runs, lambda: store.counts(folder_id))
        caches = {ACCOUNT: CacheView(ACCOUNT, store)}
        searches: dict[str, dict[str, float]] = {}
        for text in QUERIES:
            query = parse_query(text)
            hits: list[int] = [0]

            def search(q: Query = query, hits: list[int] = hits) -> None:
                found = search_local(caches, q, Scope.FOLDER, account=ACCOUNT, folder=FOLDER)
                hits[0] = len(found)

            wall, cpu = median_ms(runs, search)
            searches[text] = {"ms": round(wall, 1), "cpu_ms": round(cpu, 1), "hits": hits[0]}
        figures["search"] = searches
        figures["search_median_ms"] = statistics.median(s["ms"] for s in searches.values())
    finally:
        store.close()
    figures["load"] = os.getloadavg()[0]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.flag_counts")
    parser.add_argument("cache", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(measure(args.cache, args.runs)))


if __name__ == "__main__":
    main()
