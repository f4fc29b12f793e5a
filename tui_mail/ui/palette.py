"""Colours for a 16-colour terminal (TERM=xterm): chosen by us, with their contrast kept.

Left to itself, Rich matches each RGB colour to the nearest of the 16 basic colours as a
VGA card draws them, but xterm draws them otherwise: the dark theme's panel became
"bright black", which xterm shows as #7f7f7f, under light grey text (3.2:1), and the
highlighted row vanished (1:1). Here every background goes to its nearest colour in
xterm's own palette, and every foreground to the nearest one that still reads on that
background at WCAG AA (4.5:1; black or white always do).
"""

from __future__ import annotations

from colorsys import rgb_to_hls
from functools import lru_cache

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter

RGB = tuple[int, int, int]

XTERM_16: tuple[RGB, ...] = (
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
    (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
    (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
)  # fmt: skip
"""xterm's default palette (XTerm-col.ad), colours 0-15."""

READABLE = 4.5
"""WCAG AA for normal text."""


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: RGB) -> float:
    red, green, blue = (_linear(c) for c in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio, from 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _distance(a: RGB, b: RGB) -> float:
    """How different two colours look ("redmean", a cheap fit to human vision)."""
    mean = (a[0] + b[0]) / 2
    red, green, blue = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    return (2 + mean / 256) * red**2 + 4 * green**2 + (2 + (255 - mean) / 256) * blue**2


GREYS = (0, 8, 7, 15)
"""The palette's black, greys and white."""


def _is_grey(rgb: RGB) -> bool:
    """Nearly without hue (Rich's own test for its 256-colour greys)."""
    _hue, _lightness, saturation = rgb_to_hls(*(c / 255 for c in rgb))
    return saturation < 0.15


def nearest(rgb: RGB, *, readable_on: RGB | None = None) -> int:
    """The palette number closest to `rgb` (that reads on `readable_on`, if given)."""
    # A grey stays a grey: by distance alone, mid-grey text on white would turn blue.
    pool = GREYS if _is_grey(rgb) else range(len(XTERM_16))
    choices = [
        n for n in pool if readable_on is None or contrast(XTERM_16[n], readable_on) >= READABLE
    ]
    return min(choices, key=lambda n: _distance(rgb, XTERM_16[n]))


def _rgb(color: RichColor | None, fallback: RGB) -> RGB:
    if color is None or color.triplet is None:
        return fallback
    return (color.triplet.red, color.triplet.green, color.triplet.blue)


@lru_cache(1024)
def basic_style(style: Style, background: RGB) -> Style:
    """`style` with its colours replaced by palette numbers, text kept readable."""
    back = _rgb(style.bgcolor, background)
    back_number = nearest(back)
    fore = _rgb(style.color, XTERM_16[15] if luminance(back) < 0.2 else XTERM_16[0])
    fore_number = nearest(fore, readable_on=XTERM_16[back_number])
    return style + Style(
        color=RichColor.from_ansi(fore_number),
        bgcolor=RichColor.from_ansi(back_number) if style.bgcolor is not None else None,
    )


class SixteenColours(LineFilter):
    """Maps every colour to xterm's 16, keeping text at 4.5:1 on its background."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        back = (background.r, background.g, background.b)
        return [
            Segment(text, basic_style(style, back), control)
            if style is not None and not control
            else Segment(text, style, control)
            for text, style, control in segments
        ]
