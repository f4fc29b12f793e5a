"""``python -m benchmarks.limit_cache``: how long a limit takes on a 100,000-message cache.

The cache is filled the way a sync fills it (the suite's realistic messages from
tests/support/dovecot.py, each header block through `summary_row`), with the bodies of
the newest 2,000 cached as if read; then each query is matched from the cache alone
(core/store/matching.py), as `l` / `:limit` does: the first time, and the best of a few
runs again (a limit is matched again after every sync; decoded bodies are kept).
A benchmark, not a timed test: the figures are in the README's Limit section.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.support.dovecot import make_message
from tui_mail.core.account.limited import LimitedMessages, every_ref
from tui_mail.core.message.headers import summary_row
from tui_mail.core.query import parse_query
from tui_mail.core.store import matching
from tui_mail.core.store.cache import Store

QUERIES = (
    "from:alice",
    "is:unread",
    "subject:re is:flagged",
    "since:2024-06-01 before:2024-07-01",
    "budget",
    "body:thanks",
    "from:josé",
)


def fill(path: Path, size: int, bodies: int) -> Store:
    store = Store(path)
    folder = store.ensure_folder("INBOX")
    batch = []
    for i in range(size):
        raw = make_message(i)
        flags = 0 if i % 7 == 0 else 1  # one in seven unread, as the benchmark's INBOX
        if i % 97 == 0:
            flags |= 4  # flagged
        batch.append(summary_row(i + 1, flags, "", len(raw), 0, raw.split(b"\n\n", 1)[0]))
        if len(batch) == 5000:
            store.add_summaries(folder, batch)
            batch = []
        if i >= size - bodies:
            store.add_summaries(folder, batch)
            batch = []
            store.save_body(folder, i + 1, raw)
    store.add_summaries(folder, batch)
    return store


def best_of(runs: int, work: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.limit_cache")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--bodies", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        store = fill(Path(directory) / "cache.sqlite3", args.size, args.bodies)
        print(f"filled {args.size:,} messages ({args.bodies:,} bodies) in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        folder = store.folder_id("INBOX")
        print(f"{'query':40} {'matches':>7}  {'first':>8}  {'again':>8}")
        for text in QUERIES:
            query = parse_query(text)
            matching._TEXTS.clear()  # the first time: no body decoded yet
            first = best_of(1, lambda q=query: store.matching_uids(folder, q))
            found = len(store.matching_uids(folder, query))
            again = best_of(args.runs, lambda q=query: store.matching_uids(folder, q))
            print(f"{text!r:40} {found:>7,}  {first * 1000:6.1f} ms  {again * 1000:6.1f} ms")
        # The whole job a limit runs on its own thread: matching, then the folder's order
        # read and filtered; the UI thread then only takes the list.
        for text in ("from:alice", "is:unread"):
            query = parse_query(text)
            seconds = best_of(
                args.runs, lambda q=query: LimitedMessages("bench", store, "INBOX", q)
            )
            print(f"limited view of {text!r}, matched and ordered: {seconds * 1000:.1f} ms")
        source = LimitedMessages("bench", store, "INBOX", parse_query("is:read"))
        seconds = best_of(args.runs, lambda: len({*every_ref(source)}))
        print(f"mark all {len(source):,} (every_ref into a set) {seconds * 1000:.1f} ms")
        store.close()


if __name__ == "__main__":
    main()
