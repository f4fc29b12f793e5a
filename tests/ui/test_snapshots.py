"""SVG snapshots of the scenes in screenshots/ (regenerate with `make screenshots`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.scenes import SCENES, Scene, fixed_world, play, scene_app


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_scene(scene: Scene, snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    with fixed_world(tmp_path):
        app = scene_app(scene, tmp_path)

        async def run_before(pilot: Any) -> None:
            await play(scene, pilot)

        assert snap_compare(app, terminal_size=scene.size, run_before=run_before)
