"""Tables for the terminal and for docs/BENCHMARKS.md.

The Markdown goes between two marker comments in the output file: everything outside
them (how to run, the history of figures, analysis) is written by people and kept as is.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.fixture import size_label
from benchmarks.machine import Machine
from benchmarks.results import (
    IDLE_SIZE,
    METRICS,
    SCALE_SIZE,
    SCALE_TARGETS,
    TARGETS,
    Cell,
    Results,
    Unit,
    target_status,
)

BEGIN = "<!-- BEGIN GENERATED RESULTS: `python -m benchmarks --output FILE` rewrites this part -->"
END = "<!-- END GENERATED RESULTS -->"

# The raw socket has a column of its own: its rows are the floor the clients are held to.
COLUMNS = ("wire", "tui-mail", "aerc", "neomutt")
HEADER = ("measurement", "folder", *COLUMNS, "ratio (same round)")


def format_value(value: float, unit: Unit, like: float | None = None) -> str:
    """``value`` for a reader; ``like`` picks the scale (a range is shown in its median's)."""
    scale = value if like is None else like
    if unit is Unit.SECONDS:
        return f"{value * 1000:.1f} ms" if scale < 0.1 else f"{value:.2f} s"
    if unit is Unit.BYTES:
        return f"{value / 1e6:.1f} MB" if scale >= 1e6 else f"{value / 1e3:.1f} kB"
    return f"{value:.2f}x"


def format_cell(cell: Cell, unit: Unit, summary: str) -> str:
    if not cell.samples:
        return cell.missing or "-"
    values = cell.values()
    if summary == "p50/p95":
        p50, p95 = cell.percentile(0.5), cell.percentile(0.95)
        assert p50 is not None
        assert p95 is not None
        return f"p50 {format_value(p50, unit)}, p95 {format_value(p95, unit)} (n={len(values)})"
    median = cell.median()
    assert median is not None
    text = format_value(median, unit)
    low = format_value(min(values), unit, median)
    high = format_value(max(values), unit, median)
    if low != high:
        text += f" [{low}-{high}, n={len(values)}]"
    elif len(values) > 1:
        text += f" (n={len(values)})"
    return text


@dataclass(frozen=True)
class Row:
    metric: str
    size: int
    cells: tuple[str, ...]
    ratios: str


def _ratios(results: Results, metric: str, size: int) -> str:
    parts: list[str] = []
    if metric in ("sync_full", "resync", "sync_full_inproc", "resync_inproc"):
        ratio = results.ratio(metric, size, "tui-mail", "wire", "wire")
        if ratio is not None:
            parts.append(f"{ratio:.1f}x wire")
    if metric.startswith("first_rows"):
        for peer in ("aerc", "neomutt"):
            ratio = results.ratio(metric, size, "tui-mail", peer)
            if ratio is not None:
                parts.append(f"{ratio:.2f}x {peer}")
    return ", ".join(parts)


def result_rows(results: Results, sizes: tuple[int, ...]) -> list[Row]:
    """One row per (metric, folder size) measured, cells in COLUMNS order."""
    rows: list[Row] = []
    for metric in METRICS.values():
        metric_sizes = (IDLE_SIZE,) if metric.key == "idle" else sizes
        for size in metric_sizes:
            if not any(results.has(metric.key, client, size) for client in COLUMNS):
                continue
            cells = tuple(
                format_cell(results.cell(metric.key, client, size), metric.unit, metric.summary)
                if results.has(metric.key, client, size)
                else ""
                for client in COLUMNS
            )
            rows.append(Row(metric.key, size, cells, _ratios(results, metric.key, size)))
    return rows


def growth_rows(results: Results, sizes: tuple[int, ...]) -> list[tuple[str, ...]]:
    """How each tui-mail figure grows from one folder size to the next (x10 in messages:
    a figure that grows x10 is linear in the folder)."""
    if len(sizes) < 2:
        return []
    rows = []
    for metric in METRICS.values():
        if metric.key == "idle":
            continue
        cells = [results.cell(metric.key, "tui-mail", size) for size in sizes]
        values = [c.percentile(0.95) if metric.summary == "p50/p95" else c.median() for c in cells]
        if sum(value is not None for value in values) < 2:
            continue
        shown = ["-" if value is None else format_value(value, metric.unit) for value in values]
        steps = [
            f"x{b / a:.1f}" if a and b is not None else "-" for a, b in itertools.pairwise(values)
        ]
        rows.append((METRICS[metric.key].title, *shown, *steps))
    return rows


def growth_header(sizes: tuple[int, ...]) -> tuple[str, ...]:
    labels = [size_label(size) for size in sizes]
    steps = [f"{a} -> {b}" for a, b in itertools.pairwise(labels)]
    return ("tui-mail (p95 for PageDown)", *labels, *steps)


def target_rows(results: Results) -> list[tuple[str, str, str, str]]:
    """(target, limit, measured, status) for each of issue 9's targets, and issue 17's
    when the run had the 1,000,000-message folder."""
    rows = []
    scale = results.has("wire", "wire", SCALE_SIZE)
    for target in TARGETS + (SCALE_TARGETS if scale else ()):
        status, value = target_status(target, results)
        measured = "-" if value is None else format_value(value, target.unit)
        rows.append((target.title, target.limit_text, measured, status))
    return rows


# -- plain text -------------------------------------------------------------------------


def _text_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _size_column(metric: str, size: int) -> str:
    return f"{size_label(size)} (own folder)" if metric == "idle" else size_label(size)


def text_report(results: Results, machine: Machine, sizes: tuple[int, ...], runs: int) -> str:
    rows = [
        (METRICS[r.metric].title, _size_column(r.metric, r.size), *r.cells, r.ratios)
        for r in result_rows(results, sizes)
    ]
    targets = _text_table(("target (issue 9)", "limit", "measured", "status"), target_rows(results))
    out = [
        f"tui-mail benchmarks, {runs} round(s); {machine.cpu}, {machine.cores} cores, "
        f"{machine.memory}, {machine.kernel}",
        "",
        _text_table(HEADER, rows),
        "",
        targets,
    ]
    growth = growth_rows(results, sizes)
    if growth:
        out += ["", _text_table(growth_header(sizes), growth)]
    if results.notes:
        out += ["", *[f"note: {note}" for note in results.notes]]
    return "\n".join(out)


# -- Markdown ---------------------------------------------------------------------------


def _md_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), "|" + " --- |" * len(header), *[line(r) for r in rows]])


def markdown_section(
    results: Results, machine: Machine, sizes: tuple[int, ...], runs: int, command: str
) -> str:
    rows = [
        (METRICS[r.metric].title, _size_column(r.metric, r.size), *r.cells, r.ratios)
        for r in result_rows(results, sizes)
    ]
    parts = [
        BEGIN,
        "## Latest run",
        "",
        f"`{command}`: {runs} round(s); medians with [min-max, number of samples].",
        "",
        _md_table(("", ""), [(k, v) for k, v in machine.rows()]),
        "",
        "### Targets",
        "",
        _md_table(("target (issue 9)", "limit", "measured", "status"), target_rows(results)),
        "",
        "### All figures",
        "",
        _md_table(HEADER, rows),
    ]
    growth = growth_rows(results, sizes)
    if growth:
        parts += ["", "### Growth with the folder", "", _md_table(growth_header(sizes), growth)]
    if results.notes:
        parts += ["", *[f"- {note}" for note in results.notes]]
    parts.append(END)
    return "\n".join(parts) + "\n"


_NEW_FILE_HEAD = """\
# Benchmarks

Run with `python -m benchmarks` (see `python -m benchmarks --help`).

"""


def write_markdown(path: Path, section: str) -> None:
    """Put ``section`` between the markers in ``path``, keeping the rest of the file."""
    if path.exists():
        text = path.read_text()
        start, end = text.find(BEGIN), text.find(END)
        if start >= 0 and end > start:
            rest = text[end + len(END) :].strip("\n")
            text = text[:start] + section + ("\n" + rest + "\n" if rest else "")
        else:
            text = text.rstrip("\n") + "\n\n" + section
    else:
        text = _NEW_FILE_HEAD + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
