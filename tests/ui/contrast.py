"""Contrast of what the app draws, as a terminal would show it.

The cells come from the screen's compositor (the segments Textual writes to the terminal,
after its own filters: ANSI-to-truecolor, dim, NO_COLOR). Each colour is then downgraded
the way Rich downgrades it for the terminal's colour system, and a palette index is
turned into light with the xterm default palette: TERM=xterm users on xterm (and the
terminals that copy its defaults, like VTE's "xterm" scheme) see exactly these 16 colours,
and it is darker in its basic colours (cd/ee) than Rich's VGA-like matching palette, so it is
the harder case for dark text on a basic colour.

The palette and the WCAG formula are written out here again on purpose, not imported from
tui_mail.ui.palette: that module is the 16-colour filter under test, and a measurement
that shared its arithmetic would agree with any mistake in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rich.cells import cell_len
from rich.color import Color, ColorSystem
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import TerminalTheme
from textual.app import App
from textual.geometry import Region
from textual.screen import ModalScreen

XTERM = TerminalTheme(
    (255, 255, 255),
    (0, 0, 0),
    [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
     (0, 205, 205), (229, 229, 229)],
    [(127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255),
     (255, 0, 255), (0, 255, 255), (255, 255, 255)],
)  # fmt: skip
"""xterm's default palette (XTerm-col.ad): colour 0-15, black text on white by default."""

SYSTEMS = {
    "truecolor": ColorSystem.TRUECOLOR,
    "256": ColorSystem.EIGHT_BIT,
    "16": ColorSystem.STANDARD,
}

RGB = tuple[int, int, int]


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: RGB) -> float:
    red, green, blue = (_linear(c) for c in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def shown(color: Color | None, system: ColorSystem, *, foreground: bool) -> RGB:
    """The light a terminal of `system` makes for `color`."""
    if color is None:
        color = Color.default()
    triplet = color.downgrade(system).get_truecolor(XTERM, foreground=foreground)
    return (triplet.red, triplet.green, triplet.blue)


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    char: str
    fg: RGB
    bg: RGB

    @property
    def ratio(self) -> float:
        return contrast(self.fg, self.bg)


def cell_colours(style: Style | None, system: ColorSystem) -> tuple[RGB, RGB]:
    style = style or Style()
    fg = shown(style.color, system, foreground=True)
    bg = shown(style.bgcolor, system, foreground=False)
    if style.dim:  # as Textual's dim filter does: half way to the background
        fg = (
            (fg[0] + bg[0]) // 2,
            (fg[1] + bg[1]) // 2,
            (fg[2] + bg[2]) // 2,
        )
    if style.reverse:
        fg, bg = bg, fg
    return fg, bg


def screen_lines(app: App[object]) -> list[list[Segment]]:
    """The segments of every line of the screen, as the terminal receives them."""
    update = app.screen._compositor.render_full_update()
    return [[seg for strip in line for seg in strip] for line in update.strips]


def is_text(char: str) -> bool:
    """Letters, digits, punctuation, symbols; not blanks and not box or block drawing."""
    return not char.isspace() and not 0x2500 <= ord(char) <= 0x259F


def cells(app: App[object], system: ColorSystem) -> Iterator[Cell]:
    for y, line in enumerate(screen_lines(app)):
        x = 0
        for segment in line:
            if segment.control:
                continue
            fg, bg = cell_colours(segment.style, system)
            for char in segment.text:
                if is_text(char):
                    yield Cell(x, y, char, fg, bg)
                x += cell_len(char)


def in_regions(app: App[object], regions: list[Region] | None) -> Callable[[Cell], bool]:
    return lambda c: regions is None or any(r.contains(c.x, c.y) for r in regions)


def readable_regions(app: App[object]) -> list[Region] | None:
    """Where the text to read is. Over a modal screen that is the modal's own widgets: the
    screens below are dimmed on purpose, and WCAG exempts text of an inactive interface
    ("incidental" text, SC 1.4.3)."""
    screen = app.screen
    if not isinstance(screen, ModalScreen):
        return None
    return [child.region for child in screen.children if child.display]


def failures(
    app: App[object], system: ColorSystem, minimum: float = 4.5
) -> tuple[float, list[str]]:
    """The lowest text contrast where the user reads, and each place below `minimum`."""
    inside = in_regions(app, readable_regions(app))
    found = [c for c in cells(app, system) if inside(c)]
    assert found, "nothing drawn"
    lines = screen_lines(app)
    low = min(c.ratio for c in found)

    def where(c: Cell) -> str:
        text = "".join(s.text for s in lines[c.y] if not s.control).strip()
        return (
            f"{c.ratio:.2f}:1 {c.char!r} #{c.fg[0]:02x}{c.fg[1]:02x}{c.fg[2]:02x} on "
            f"#{c.bg[0]:02x}{c.bg[1]:02x}{c.bg[2]:02x} in line {c.y} {text[:70]!r}"
        )

    bad: dict[tuple[int, RGB, RGB], str] = {}
    for c in found:
        if c.ratio < minimum and (c.y, c.fg, c.bg) not in bad:
            bad[c.y, c.fg, c.bg] = where(c)
    return low, list(bad.values())


def background_at(app: App[object], x: int, y: int, system: ColorSystem) -> RGB:
    """The colour of the cell at (x, y) behind its character, as shown."""
    column = 0
    for segment in screen_lines(app)[y]:
        if segment.control:
            continue
        if column <= x < column + cell_len(segment.text):
            return cell_colours(segment.style, system)[1]
        column += cell_len(segment.text)
    raise AssertionError(f"no cell at {x},{y}")
