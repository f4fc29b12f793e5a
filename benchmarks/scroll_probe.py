"""PageDown in-process over a made-up cache: a helper's probe of the list at scale.

The suite's scroll p95 (benchmarks/screen.py) times a repaint in tmux against the lab
Dovecot; this presses PageDown in a headless Pilot run of the app over
benchmarks/scale.py's synthetic cache (its server refusing connections) and times each
press until the app has handled it and drawn the screen: wall and CPU (process_time),
median and p95, so 100k and 1M can be set side by side on a shared machine.

    python -m benchmarks.scroll_probe CACHE.sqlite3 [--presses 200]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.warm_start import _config, _data_dir


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


async def _probe(cache: Path, presses: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="tui-mail-scroll-"))
    try:
        return await _presses(work, cache, presses)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the cache's copy


async def _presses(work: Path, cache: Path, presses: int) -> dict[str, float]:
    from tui_mail.config import load_config  # noqa: PLC0415
    from tui_mail.ui.app import MailApp  # noqa: PLC0415
    from tui_mail.ui.main.screen import MainScreen  # noqa: PLC0415

    data, config = _data_dir(work, cache.resolve()), _config(work)
    app = MailApp(load_config(config), data_dir=data)
    walls: list[float] = []
    cpus: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, MainScreen) or len(app.screen.messages.source) < 1000:
            await pilot.pause(0.1)
        await pilot.pause(3.0)  # the whole order, the check, the first sync attempt
        messages = app.screen.messages
        messages.focus()
        for _ in range(presses):
            wall, cpu = time.perf_counter(), time.process_time()
            await pilot.press("pagedown")
            await pilot.pause()  # handled, and the screen refreshed
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        rows = len(messages.source)
    return {
        "rows": rows,
        "wall_median_ms": 1000 * statistics.median(walls),
        "wall_p95_ms": 1000 * _p95(walls),
        "cpu_median_ms": 1000 * statistics.median(cpus),
        "cpu_p95_ms": 1000 * _p95(cpus),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scroll_probe")
    parser.add_argument("cache", type=Path)
    parser.add_argument("--presses", type=int, default=200)
    args = parser.parse_args(argv)
    figures = asyncio.run(_probe(args.cache, args.presses))
    print(" ".join(f"{key}={value:.1f}" for key, value in figures.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
