"""Themes: the shipped ones in themes/*.toml, plus the user's own in the config directory.

A theme file holds the fields of `textual.theme.Theme` (name, primary, secondary, accent,
foreground, background, surface, panel, warning, error, success, dark). A broken user theme
is skipped with a warning instead of stopping the app.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

SHIPPED_DIR = Path(__file__).resolve().parent.parent.parent / "themes"
PACKAGED_DIR = Path(__file__).resolve().parent / "themes"
DEFAULT_THEME = "tui-mail-dark"

_COLOR_FIELDS = (
    "primary", "secondary", "accent", "foreground", "background", "surface", "panel",
    "warning", "error", "success",
)  # fmt: skip


@dataclass
class LoadedThemes:
    themes: list[Theme] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def theme_from_file(path: Path) -> Theme:
    """Read one theme file; ValueError with a readable reason when it is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: {error}") from None
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{path}: a theme needs a name")
    if not isinstance(data.get("primary"), str):
        raise ValueError(f"{path}: a theme needs a primary colour")
    colors: dict[str, str] = {}
    for key in _COLOR_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError(f"{path}: {key} must be a colour string")
        try:
            Color.parse(value)
        except ColorParseError:
            raise ValueError(f"{path}: {key} = {value!r} is not a colour") from None
        colors[key] = value
    unknown = set(data) - {*_COLOR_FIELDS, "name", "dark", "variables"}
    if unknown:
        raise ValueError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise ValueError(f"{path}: variables must map names to strings")
    return Theme(
        name=name,
        dark=bool(data.get("dark", True)),
        variables=dict(variables),
        **colors,  # type: ignore[arg-type]
    )


def load_themes(user_dir: Path | None) -> LoadedThemes:
    """Shipped themes first, then the user's (which may replace a shipped one by name)."""
    loaded = LoadedThemes()
    shipped = PACKAGED_DIR if PACKAGED_DIR.is_dir() else SHIPPED_DIR
    for directory, is_user in ((shipped, False), (user_dir, True)):
        if directory is None or not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                loaded.themes.append(theme_from_file(path))
            except ValueError as error:
                if not is_user:
                    raise
                loaded.warnings.append(f"Skipped theme {error}")
    return loaded
