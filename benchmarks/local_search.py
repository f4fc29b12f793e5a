"""``python -m benchmarks.local_search``: search across a 100,000-message cache, offline.

The cache is filled the way a sync fills it (the suite's realistic messages from
tests/support/dovecot.py through `summary_row`, committed 2,000 at a time, the newest
2,000 bodies cached as if read), timing the inserts with the full-text index kept in step
(core/store/fts.py) and, with `--no-index`, without it. Then `CacheView.find` (what
search-as-you-type and `tui-mail search --local` call) is timed for each query: the
median of several runs, next to the matcher's time for the same query (what a limit, `l`,
takes), and the index's size on disk. `--size 1000000` repeats the 100,000 messages' texts
under new UIDs (generating a million distinct messages would take minutes).
A benchmark, not a timed test: the figures are in the README's Local search section.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.dovecot import make_message
from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.message.headers import SummaryRow, summary_row
from tui_mail.core.query import parse_query
from tui_mail.core.store import fts
from tui_mail.core.store.cache import Store

QUERIES = (
    "b",
    "bu",
    "budg",
    "budget",
    "quarterly report",
    "from:alice",
    "alice is:unread",
    "subject:re is:flagged",
    "since:2024-06-01 before:2024-07-01",
    "café",
    "körber",
    "body:thanks",
    "zzqx",
    "example",
)
BATCH = 2000
DISTINCT = 100_000
"""Messages generated; a larger cache repeats their texts under new UIDs."""


def rows_of(size: int) -> tuple[list[SummaryRow], dict[int, bytes]]:
    """`size` summary rows, and the raw messages of the newest 2,000 (their bodies)."""
    base: list[SummaryRow] = []
    bodies: dict[int, bytes] = {}
    for i in range(min(size, DISTINCT)):
        raw = make_message(i)
        flags = 0 if i % 7 == 0 else 1  # one in seven unread, as the benchmark's INBOX
        if i % 97 == 0:
            flags |= 4  # flagged
        base.append(summary_row(i + 1, flags, "", len(raw), 0, raw.split(b"\n\n", 1)[0]))
        if i >= min(size, DISTINCT) - 2000:
            bodies[i + 1] = raw
    rows = list(base)
    for i in range(len(base), size):
        row = base[i % len(base)]
        rows.append(row._replace(uid=i + 1, date=row.date + 487 * (i // len(base)) * DISTINCT))
    shifted = {uid + size - len(base): raw for uid, raw in bodies.items()}
    return rows, shifted


def fill(store: Store, rows: list[SummaryRow], bodies: dict[int, bytes]) -> float:
    """Insert as a sync does, a batch per transaction; the seconds the inserts took."""
    folder = store.ensure_folder("INBOX")
    spent = 0.0
    for start in range(0, len(rows), BATCH):
        began = time.perf_counter()
        store.add_summaries(folder, rows[start : start + BATCH])
        spent += time.perf_counter() - began
    for uid, raw in bodies.items():
        store.save_body(folder, uid, raw)
    return spent


def median_ms(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """Median milliseconds of `work`: wall clock, and this thread's CPU (the figure that
    stays readable on a shared machine, where the wall clock also measures the others)."""
    walls, cpus = [], []
    for _ in range(runs):
        began, cpu = time.perf_counter(), time.thread_time()
        work()
        walls.append(time.perf_counter() - began)
        cpus.append(time.thread_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def _ms(figures: tuple[float, float]) -> str:
    return f"{figures[0]:7.1f} ({figures[1]:5.1f}) ms"


def index_bytes(path: Path) -> int:
    """Bytes the index's tables take in the file (SQLite's dbstat, when built in)."""
    import sqlite3  # noqa: PLC0415

    db = sqlite3.connect(path)
    try:
        (size,) = db.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search%'"
            " OR name LIKE 'sqlite_autoindex_search%'"
        ).fetchone()
    except sqlite3.Error:
        size = 0
    finally:
        db.close()
    return int(size or 0)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.local_search")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--no-index", action="store_true", help="time the inserts without the index, only"
    )
    args = parser.parse_args()
    began = time.perf_counter()
    rows, bodies = rows_of(args.size)
    print(f"generated {args.size:,} messages in {time.perf_counter() - began:.1f} s")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "cache.sqlite3"
        store = Store(path)
        if args.no_index:
            store._indexer.stop()
            with store._transaction() as db:  # the cache as it was before the index
                fts.drop(db)
        began = time.perf_counter()
        inserts = fill(store, rows, bodies)
        filled = time.perf_counter() - began
        print(f"inserts {inserts:.2f} s ({len(rows) // BATCH} transactions of {BATCH:,});"
              f" with the 2,000 bodies {filled:.2f} s")  # fmt: skip
        if args.no_index:
            store.close()
            return
        while store.full_text.backlog():
            time.sleep(0.05)
        print(f"index caught up {time.perf_counter() - began:.2f} s after the first insert")
        cache = CacheView("bench", store)
        print(f"{'query':38} {'hits':>8}  {'newest (cpu)':>18}  {'index (cpu)':>18}"
              f"  {'matcher (cpu)':>18}")  # fmt: skip
        folder = store.folder_id("INBOX")
        for text in QUERIES:
            query = parse_query(text)
            hits = len(cache.find(query))
            # What the search line shows first (the newest hits; "-": the whole answer is
            # as fast and comes first), then the whole answer.
            first = median_ms(args.runs, lambda q=query: cache.newest(q))  # type: ignore[misc]
            shown = _ms(first) if cache.newest(query) is not None else f"{'-':>18}"
            indexed = median_ms(args.runs, lambda q=query: cache.find(q))  # type: ignore[misc]
            runs = 1 if args.size > DISTINCT else 3
            matched = median_ms(runs, lambda q=query: store.matching_uids(folder, q))  # type: ignore[misc]
            print(f"{text!r:38} {hits:>8,}  {shown}  {_ms(indexed)}  {_ms(matched)}")
        uncached = median_ms(args.runs, cache.uncached_bodies)
        print(f"uncached_bodies: {cache.uncached_bodies():,} in {_ms(uncached)}")
        store.close()
        print(f"file {path.stat().st_size / 1e6:.1f} MB, of which the index"
              f" {index_bytes(path) / 1e6:.1f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
