"""``python -m benchmarks.typeahead_cache``: where a key in the search line spends its time.

On a 100,000-message cache filled as benchmarks/limit_cache.py fills it, each prefix of a
few words is searched as the `/` line does on each key (core/account/local_search.py over
CacheView.find), split into: matching the UIDs (the store), reading their dates (for the
merge across folders and accounts), and the list's first screen of rows (FoundMessages).
What is left of the suite's key-to-screen figure is Textual's frame and tmux.
A benchmark, not a timed test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.limit_cache import fill
from benchmarks.screen import TYPEAHEAD_WORDS
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.account.local_search import FoundMessages, Scope, search_local
from tui_mail.core.query import parse_query


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.typeahead_cache")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--bodies", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        store = fill(Path(directory) / "cache.sqlite3", args.size, args.bodies)
        cache = CacheView("bench", store)
        folder = store.folder_id("INBOX")
        print(f"{'typed':12} {'hits':>7} {'match':>9} {'dates':>9} {'rows':>8} {'total':>9}")
        for word in TYPEAHEAD_WORDS:
            for end in range(1, len(word) + 1):
                query = parse_query(word[:end])
                start = time.perf_counter()
                uids = store.matching_uids(folder, query)
                matched = time.perf_counter()
                store.summaries(folder, uids=uids)
                dated = time.perf_counter()
                hits = search_local({"bench": cache}, query, Scope.FOLDER, account="bench",
                                    folder="INBOX")  # fmt: skip
                searched = time.perf_counter()
                found = FoundMessages({"bench": cache}, hits)
                for index in range(40):
                    found.row(index)
                rows = time.perf_counter()
                print(
                    f"{word[:end]:12} {len(hits):>7,} {(matched - start) * 1000:7.1f}ms "
                    f"{(dated - matched) * 1000:7.1f}ms {(rows - searched) * 1000:6.1f}ms "
                    f"{(searched - dated) * 1000:7.1f}ms"
                )
        store.close()


if __name__ == "__main__":
    main()
