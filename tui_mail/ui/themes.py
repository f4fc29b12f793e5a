"""Themes: the shipped ones in themes/*.toml, plus the user's own in the config directory.

A theme file holds the fields of `textual.theme.Theme` (name, primary, secondary, accent,
foreground, background, surface, panel, warning, error, success, dark). A broken user theme
is skipped with a warning instead of stopping the app.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from rich.terminal_theme import TerminalTheme
from textual.color import Color, ColorParseError
from textual.theme import Theme

from tui_mail.ui.palette import contrast as rgb_contrast

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
        variables=text_variables(colors) | dict(variables),
        **colors,  # type: ignore[arg-type]
    )


def text_variables(colors: dict[str, str]) -> dict[str, str]:
    """Fixed text colours for a theme that does not set them (a user's).

    Textual's default text colours ("auto 87%") are worked out against whatever lies below
    the text, which goes wrong for text a widget draws itself: in a light theme the list's
    unread rows came out white on white. Here text is the foreground colour, and muted
    text the foreground faded toward the backgrounds as far as 4.5:1 allows.
    """
    try:
        foreground = Color.parse(colors["foreground"])
        grounds = [
            Color.parse(colors[k]) for k in ("background", "surface", "panel") if k in colors
        ]
    except KeyError:
        return {}
    if not grounds or foreground.ansi is not None or any(g.ansi is not None for g in grounds):
        return {}
    muted = foreground
    for step in range(1, 10):
        faded = foreground.blend(grounds[0], step / 20, alpha=1.0)
        if min(contrast(faded, ground) for ground in grounds) < 4.8:
            break
        muted = faded
    return {
        "text": foreground.hex,
        "text-muted": muted.hex,
        "text-disabled": muted.hex,
        "foreground-muted": muted.hex,
    }


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


CURSOR_VARIABLES = (
    "mail-cursor-background",
    "mail-cursor-foreground",
    "mail-cursor-blurred-background",
    "mail-cursor-blurred-foreground",
    "mail-marked-background",
    "mail-marked-foreground",
)
"""Our own theme variables: the message list's highlighted row, focused and not, and the
rows marked for a bulk action."""


def _readable_on(background: Color) -> Color:
    """Black or white, whichever reads better on `background`."""
    black, white = Color(0, 0, 0), Color(255, 255, 255)
    return black if contrast(black, background) >= contrast(white, background) else white


def cursor_defaults(theme: Theme) -> dict[str, str]:
    """The list's colours for a theme that does not set them (a user's): the cursor a bar
    of its primary colour, of its foreground colour when blurred, marked rows a shade of
    its warning colour; black or white text on each, whichever reads better."""
    background = Color.parse(theme.background or "#000000")
    bar = Color.parse(theme.primary)
    if contrast(bar, background) < 3:
        bar = _readable_on(background)
    blurred = Color.parse(theme.foreground or "#ffffff")
    marked = Color.parse(theme.warning or "#ffff00").blend(background, 0.7, alpha=1.0)
    return {
        "mail-marked-background": marked.hex,
        "mail-marked-foreground": _readable_on(marked).hex,
        "mail-cursor-background": bar.hex,
        "mail-cursor-foreground": _readable_on(bar).hex,
        "mail-cursor-blurred-background": blurred.hex,
        "mail-cursor-blurred-foreground": _readable_on(blurred).hex,
    }


def contrast(a: Color, b: Color) -> float:
    """WCAG 2 contrast ratio of two opaque colours, from 1 to 21."""
    return rgb_contrast(a.rgb, b.rgb)


def terminal_theme(theme: Theme) -> TerminalTheme:
    """How Rich colour names in our text ("red", "green", "dim") are drawn in `theme`.

    Textual turns ANSI colours into fixed RGB (Monokai on dark themes, Alabaster on light
    ones) that know nothing of our backgrounds: green on a light panel was 1.9:1. Mapping
    them to the theme's own error/success/warning colours keeps their meaning and the
    contrast the theme was made for.
    """

    def rgb(value: str | None, fallback: str) -> tuple[int, int, int]:
        color = Color.parse(value or fallback)
        return (color.r, color.g, color.b)

    background = rgb(theme.background, "#000000")
    foreground = rgb(theme.foreground, "#ffffff")
    red = rgb(theme.error, "#ff0000")
    green = rgb(theme.success, "#00ff00")
    yellow = rgb(theme.warning, "#ffff00")
    blue = rgb(theme.primary, "#0000ff")
    magenta = rgb(theme.accent, "#ff00ff")
    cyan = blue  # the secondary colour is not made for text
    normal = [background, red, green, yellow, blue, magenta, cyan, foreground]
    return TerminalTheme(background, foreground, normal, normal)
