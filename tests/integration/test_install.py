"""Installing tui-mail the way the README says prints no packaging warning.

pip builds the project's metadata with the build backend named in pyproject.toml (fetched
from the package index into an isolated environment, as for any user), so this needs the
index, like `make` does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_editable_install_prints_no_license_warning() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--dry-run", "-e", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Would install tui-mail" in output, output
    assert "license" not in output.lower(), output
    assert "deprecat" not in output.lower(), output
