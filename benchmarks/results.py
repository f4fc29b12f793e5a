"""What a run collects: samples per (metric, client, folder size), and the issue's targets.

A cell holds its samples tagged with the run they came from, so a ratio between two
clients is taken run by run (both measured minutes apart on the same machine state) and
only then summarised.  A cell can instead hold why it has no figure: "not available yet"
(the client cannot do it today) or "not measured" (this run left it out).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Unit(Enum):
    SECONDS = "s"
    BYTES = "B"
    RATIO = "x"


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    unit: Unit
    summary: str = "median"  # or "p50/p95"


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("wire", "wire: raw UID FETCH 1:* headers", Unit.SECONDS),
        Metric("wire_bytes", "wire: bytes of that FETCH", Unit.BYTES),
        Metric("sync_full", "sync, empty cache (wall)", Unit.SECONDS),
        Metric("sync_full_inproc", "sync, empty cache (in-process)", Unit.SECONDS),
        Metric("sync_full_rss", "sync, empty cache: peak RSS", Unit.BYTES),
        Metric("resync", "re-sync, nothing changed (wall)", Unit.SECONDS),
        Metric("resync_inproc", "re-sync, nothing changed (in-process)", Unit.SECONDS),
        Metric("list50", "list --limit 50, warm cache (wall)", Unit.SECONDS),
        Metric("first_rows_empty", "TUI: first rows, empty cache", Unit.SECONDS),
        Metric("first_rows_warm", "TUI: first rows, warm cache", Unit.SECONDS),
        Metric("idle", "TUI: APPEND elsewhere -> row on screen", Unit.SECONDS),
        Metric("scroll", "TUI: PageDown -> repaint", Unit.SECONDS, summary="p50/p95"),
        Metric("resort", "TUI: re-sort (:sort KEY, Enter) -> sorted rows", Unit.SECONDS),
        Metric("resort_first", "TUI: re-sort, first use of a key (index made)", Unit.SECONDS),
        Metric("typeahead", "TUI: a key in the / line -> its cached matches", Unit.SECONDS),
        Metric("rss_open", "TUI: peak RSS, folder open and settled", Unit.BYTES),
        Metric("open_inproc", "in-process: warm cache -> first screen of rows", Unit.SECONDS),
        Metric(
            "page_far", "in-process: a screen of rows never read (deep in the list)", Unit.SECONDS
        ),
        Metric("sort_inproc", "in-process: re-sort (the list's new order)", Unit.SECONDS),
        Metric(
            "index_wait",
            "in-process: full-text index caught up, after the cache's open",
            Unit.SECONDS,
        ),
        Metric(
            "search_local", "in-process: local search, query -> all hits (median)", Unit.SECONDS
        ),
        Metric(
            "search_first",
            "in-process: local search, query -> first screen of hits (median)",
            Unit.SECONDS,
        ),
        Metric("counts_inproc", "in-process: the folder's counts", Unit.SECONDS),
        Metric("cache_disk", "cache on disk after sync", Unit.BYTES),
        Metric("bytes_open_empty", "TUI: bytes from server to open, empty cache", Unit.BYTES),
        Metric("bytes_open_warm", "TUI: bytes from server to open, warm cache", Unit.BYTES),
    )
}

NOT_AVAILABLE = "not available yet"


@dataclass
class Cell:
    samples: list[tuple[int, float]] = field(default_factory=list)
    missing: str | None = None

    def values(self) -> list[float]:
        return [value for _, value in self.samples]

    def median(self) -> float | None:
        values = self.values()
        return statistics.median(values) if values else None

    def percentile(self, share: float) -> float | None:
        """Nearest-rank percentile (share in 0..1); exact for the small samples here."""
        values = sorted(self.values())
        if not values:
            return None
        rank = max(1, math.ceil(share * len(values)))
        return values[min(rank, len(values)) - 1]


class Results:
    """Samples for (metric key, client name, folder size)."""

    def __init__(self) -> None:
        self._cells: dict[tuple[str, str, int], Cell] = {}
        self.notes: list[str] = []

    def cell(self, metric: str, client: str, size: int) -> Cell:
        return self._cells.setdefault((metric, client, size), Cell())

    def has(self, metric: str, client: str, size: int) -> bool:
        return (metric, client, size) in self._cells

    def add(self, metric: str, client: str, size: int, value: float, run: int = 0) -> None:
        self.cell(metric, client, size).samples.append((run, value))

    def mark_missing(self, metric: str, client: str, size: int, reason: str) -> None:
        cell = self.cell(metric, client, size)
        if not cell.samples and cell.missing is None:
            cell.missing = reason

    def missing(self, metric: str, client: str, size: int) -> str | None:
        cell = self._cells.get((metric, client, size))
        return None if cell is None else cell.missing

    def ratio(
        self, metric: str, size: int, client: str, other: str, other_metric: str | None = None
    ) -> float | None:
        """Median over runs of client/other, both measured in the same run."""
        mine = dict(self.cell(metric, client, size).samples)
        theirs = dict(self.cell(other_metric or metric, other, size).samples)
        per_run = [mine[run] / theirs[run] for run in mine if run in theirs and theirs[run] > 0]
        return statistics.median(per_run) if per_run else None


@dataclass(frozen=True)
class Target:
    """One of issue 9's targets: a figure for the 100k folder and a limit."""

    title: str
    limit_text: str
    measure: Callable[[Results], float | None]
    limit: float
    unit: Unit
    # Why there is no figure, when there is none (e.g. "not available yet").
    why_missing: Callable[[Results], str | None]


TARGET_SIZE = 100_000
IDLE_SIZE = 1_000  # IDLE is measured in a fresh folder of its own (it adds mail)
ME = "tui-mail"


def _median(metric: str) -> Callable[[Results], float | None]:
    return lambda results: results.cell(metric, ME, TARGET_SIZE).median()


def _missing(
    metric: str, peer: str | None = None, size: int = TARGET_SIZE
) -> Callable[[Results], str | None]:
    def why(results: Results) -> str | None:
        for client in (ME, peer) if peer else (ME,):
            if not results.has(metric, client, size):
                return "not measured in this run"
            reason = results.missing(metric, client, size)
            if reason:
                return reason if client == ME else f"{client}: {reason}"
        return None

    return why


TARGETS: tuple[Target, ...] = (
    Target(
        "full sync of 100k (wall)",
        "<= 4 s",
        _median("sync_full"),
        4.0,
        Unit.SECONDS,
        _missing("sync_full"),
    ),
    Target(
        "re-sync of 100k, nothing changed (wall)",
        "<= 0.3 s",
        _median("resync"),
        0.3,
        Unit.SECONDS,
        _missing("resync"),
    ),
    Target(
        "first rows of 100k, empty cache",
        "<= 0.6 s",
        _median("first_rows_empty"),
        0.6,
        Unit.SECONDS,
        _missing("first_rows_empty"),
    ),
    Target(
        "first rows of 100k, empty cache, vs aerc",
        "<= 1.0x aerc",
        lambda r: r.ratio("first_rows_empty", TARGET_SIZE, ME, "aerc"),
        1.0,
        Unit.RATIO,
        _missing("first_rows_empty", "aerc"),
    ),
    Target(
        "first rows of 100k, warm cache",
        "<= 0.45 s",
        _median("first_rows_warm"),
        0.45,
        Unit.SECONDS,
        _missing("first_rows_warm"),
    ),
    Target(
        "IDLE: new mail on screen (median)",
        "<= 1 s",
        lambda r: r.cell("idle", ME, IDLE_SIZE).median(),
        1.0,
        Unit.SECONDS,
        _missing("idle", size=IDLE_SIZE),
    ),
    Target(
        "scroll in the 100k list, p95",
        "<= 30 ms",
        lambda r: r.cell("scroll", ME, TARGET_SIZE).percentile(0.95),
        0.030,
        Unit.SECONDS,
        _missing("scroll"),
    ),
    Target(
        "re-sort of 100k from the cache (median)",
        "< 0.1 s",
        _median("resort"),
        0.1,
        Unit.SECONDS,
        _missing("resort"),
    ),
    Target(
        "search as you type in 100k, key -> results (median)",
        "<= 50 ms",
        _median("typeahead"),
        0.050,
        Unit.SECONDS,
        _missing("typeahead"),
    ),
    Target(
        "peak RSS with the 100k folder open",
        "<= 150 MB",
        _median("rss_open"),
        150e6,
        Unit.BYTES,
        _missing("rss_open"),
    ),
)


def target_status(target: Target, results: Results) -> tuple[str, float | None]:
    """("met" | "MISSED" | why there is no figure, the figure)."""
    value = target.measure(results)
    if value is None:
        return target.why_missing(results) or "not measured in this run", None
    return ("met" if value <= target.limit else "MISSED"), value


SCALE_SIZE = 1_000_000
"""Issue 17's folder: its targets are shown when a run measured it."""


def _at_scale(metric: str) -> Callable[[Results], float | None]:
    return lambda results: results.cell(metric, ME, SCALE_SIZE).median()


SCALE_TARGETS: tuple[Target, ...] = (
    Target(
        "first rows of 1M, warm cache",
        "<= 0.6 s",
        _at_scale("first_rows_warm"),
        0.6,
        Unit.SECONDS,
        _missing("first_rows_warm", size=SCALE_SIZE),
    ),
    Target(
        "scroll in the 1M list, p95",
        "<= 30 ms",
        lambda r: r.cell("scroll", ME, SCALE_SIZE).percentile(0.95),
        0.030,
        Unit.SECONDS,
        _missing("scroll", size=SCALE_SIZE),
    ),
    Target(
        "local search in 1M, first screen of hits (median of medians)",
        "<= 100 ms",
        _at_scale("search_first"),
        0.1,
        Unit.SECONDS,
        _missing("search_first", size=SCALE_SIZE),
    ),
    Target(
        "local search in 1M, every hit and the count (median of medians)",
        "<= 100 ms",
        _at_scale("search_local"),
        0.1,
        Unit.SECONDS,
        _missing("search_local", size=SCALE_SIZE),
    ),
    Target(
        "peak RSS with the 1M folder open",
        "<= 250 MB",
        _at_scale("rss_open"),
        250e6,
        Unit.BYTES,
        _missing("rss_open", size=SCALE_SIZE),
    ),
    Target(
        "full sync of 1M (wall) vs the wire",
        "<= 10x wire",
        lambda r: r.ratio("sync_full", SCALE_SIZE, ME, "wire", "wire"),
        10.0,
        Unit.RATIO,
        _missing("sync_full", size=SCALE_SIZE),
    ),
)
