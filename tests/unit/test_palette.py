"""The 16-colour downgrade keeps text readable whatever colours a theme asks for."""

from __future__ import annotations

import itertools

from rich.style import Style

from tui_mail.ui.palette import READABLE, XTERM_16, basic_style, contrast, nearest

GREYS_AND_HUES = [
    (r, g, b) for r, g, b in itertools.product((0, 40, 95, 135, 175, 215, 255), repeat=3)
]


def test_every_foreground_reads_on_every_background() -> None:
    for back, fore in itertools.product(GREYS_AND_HUES[::7], GREYS_AND_HUES[::5]):
        style = basic_style(Style(color=f"rgb{fore}", bgcolor=f"rgb{back}"), (0, 0, 0))
        assert style.color is not None and style.bgcolor is not None
        assert style.color.number is not None and style.bgcolor.number is not None
        shown = contrast(XTERM_16[style.color.number], XTERM_16[style.bgcolor.number])
        assert shown >= READABLE, (fore, back, style)


def test_colours_go_to_their_nearest_where_that_reads() -> None:
    assert nearest((250, 250, 250)) == 15
    assert nearest((28, 28, 28)) == 0
    # Mid grey on white is 4.0:1 in xterm's palette: black instead.
    assert nearest((120, 120, 120), readable_on=XTERM_16[15]) == 0
    assert nearest((120, 120, 120)) == 8
