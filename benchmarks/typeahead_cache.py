"""``python -m benchmarks.typeahead_cache``: where a key in the search line spends its time.

On a 100,000-message cache filled as benchmarks/limit_cache.py fills it, each prefix of a
few words is searched as the `/` line does on each key (ui/main/search.py): the newest
hits first (`search_newest`, core/store/fts_newest.py; "-" where the whole search is as
fast and goes first), the list's first screen of rows (FoundMessages), then the whole
answer and its count (`search_local`), which the list grows into while the user reads.
What is left of the suite's key-to-screen figure is Textual's frame and tmux.
CPU milliseconds of this thread (the machine is shared). A benchmark, not a timed test.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.limit_cache import fill
from benchmarks.screen import TYPEAHEAD_WORDS
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.account.local_search import FoundMessages, Scope, search_local, search_newest
from tui_mail.core.query import parse_query

SCREEN = 38
"""Rows a 120x40 pane shows."""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.typeahead_cache")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--bodies", type=int, default=2_000)
    parser.add_argument("--cache", type=Path, help="an existing cache (its INBOX) instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        if args.cache:
            from tui_mail.core.store.cache import Store  # noqa: PLC0415

            store = Store(args.cache)
        else:
            store = fill(Path(directory) / "cache.sqlite3", args.size, args.bodies)
        while store.full_text.backlog():  # searches are exact meanwhile, but slower
            time.sleep(0.1)
        caches = {"bench": CacheView("bench", store)}
        print(f"{'typed':12} {'hits':>9} {'newest':>9} {'rows':>8} {'on screen':>10} {'whole':>9}")
        on_screen = []
        for word in TYPEAHEAD_WORDS:
            for end in range(1, len(word) + 1):
                query = parse_query(word[:end])
                start = time.thread_time()
                first = search_newest(caches, query, Scope.FOLDER, account="bench", folder="INBOX")
                found = time.thread_time()
                hits = search_local(caches, query, Scope.FOLDER, account="bench", folder="INBOX")
                whole = time.thread_time()
                shown = FoundMessages(caches, first[0] if first is not None else hits)
                for index in range(SCREEN):
                    shown.row(index)
                rows = time.thread_time()
                # The first screen waits for the newest hits, else for the whole answer.
                before = (found - start) if first is not None else (whole - start)
                on_screen.append(before + rows - whole)
                print(
                    f"{word[:end]:12} {len(hits):>9,} "
                    f"{'-' if first is None else f'{(found - start) * 1000:.1f}ms':>9} "
                    f"{(rows - whole) * 1000:6.1f}ms {on_screen[-1] * 1000:8.1f}ms "
                    f"{(whole - found) * 1000:7.1f}ms"
                )
        print(f"key -> first screen (CPU), median: {statistics.median(on_screen) * 1000:.1f} ms")
        store.close()


if __name__ == "__main__":
    main()
