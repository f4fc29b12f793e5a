"""The benchmark suite still runs end to end (smoke mode), so it cannot rot unnoticed.

This is not a timed test: it checks that every measurement produced a figure or says why
it has none, never how fast anything was.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.report import BEGIN, END, write_markdown
from benchmarks.results import METRICS, TARGETS

ROOT = Path(__file__).resolve().parents[2]
STATUSES = ("met", "MISSED", "not available yet", "not measured in this run")
# A figure ("0.54 s", "56.9 MB", "p50 14 ms, p95 50 ms (n=10)") or why there is none yet;
# anything else ("failed: ...", "exited: ...") means the suite could not drive tui-mail.
CELL = re.compile(r"(p50 )?\d+(\.\d+)? (ms|s|kB|MB)\b|not available yet")

pytestmark = pytest.mark.integration


@pytest.mark.timeout(180)
def test_smoke_run_prints_and_writes_a_complete_results_table(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr

    # The stdout table lists every measurement and every target of issue 9 with a plain
    # status.
    lines = {line.split("  ")[0]: line for line in done.stdout.splitlines()}
    for metric in METRICS.values():
        assert metric.title in lines, f"no row for {metric.title!r}:\n{done.stdout}"
    for target in TARGETS:
        line = lines.get(target.title)
        assert line is not None, f"target {target.title!r} missing:\n{done.stdout}"
        status = re.split(r"\s{2,}", line.strip())[-1]
        assert status.startswith(STATUSES), line

    # The Markdown holds the machine, the targets and every figure: for each measurement a
    # figure, or the reason tui-mail cannot produce it yet.
    text = output.read_text()
    assert BEGIN in text
    assert END in text
    assert "| CPU |" in text
    assert "### Targets" in text
    figures = _table_after(text, "### All figures")
    for metric in METRICS.values():
        assert metric.title in figures, f"no row for {metric.title!r}:\n{text}"
        column = "wire" if metric.key.startswith("wire") else "tui-mail"
        cell = figures[metric.title][column]
        assert CELL.match(cell), f"{metric.title}: {cell!r}"


def _table_after(text: str, heading: str) -> dict[str, dict[str, str]]:
    """The Markdown table under ``heading``, as {first cell: {column name: cell}}."""
    lines = text[text.index(heading) :].splitlines()
    rows = [line.strip("|").split(" | ") for line in lines if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0]]
    return {
        row[0].strip(): dict(zip(header, (c.strip() for c in row), strict=True)) for row in rows[1:]
    }


def test_rewriting_the_results_keeps_what_people_wrote(tmp_path: Path) -> None:
    page = tmp_path / "BENCHMARKS.md"
    page.write_text(f"# Benchmarks\n\nHistory by hand.\n\n{BEGIN}\nold figures\n{END}\n\nNotes.\n")

    write_markdown(page, f"{BEGIN}\nnew figures\n{END}\n")

    assert page.read_text() == (
        f"# Benchmarks\n\nHistory by hand.\n\n{BEGIN}\nnew figures\n{END}\n\nNotes.\n"
    )
