"""Regenerate the SVG screenshots from the same scenes the snapshot tests check.

Run: `make screenshots` (or `.venv/bin/python -m screenshots.make` from the repository root).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from tests.ui.scenes import SCENES, fixed_world, play, scene_app

HERE = Path(__file__).resolve().parent


async def shoot() -> None:
    for scene in SCENES:
        with tempfile.TemporaryDirectory() as data, fixed_world(Path(data)):
            app = scene_app(scene, Path(data))
            async with app.run_test(size=scene.size) as pilot:
                await play(scene, pilot)
                app.save_screenshot(f"{scene.name}.svg", path=str(HERE))
        print(f"screenshots/{scene.name}.svg  {scene.description}")


if __name__ == "__main__":
    asyncio.run(shoot())
