"""A user's theme gets text colours that read, not Textual's guesses."""

from __future__ import annotations

from pathlib import Path

from textual.color import Color

from tui_mail.ui.themes import contrast, theme_from_file


def test_a_light_user_theme_gets_readable_text_and_muted_text(tmp_path: Path) -> None:
    path = tmp_path / "paper.toml"
    path.write_text(
        'name = "paper"\ndark = false\nprimary = "#0050a0"\nforeground = "#222222"\n'
        'background = "#fdfdfd"\nsurface = "#ffffff"\npanel = "#eeeeee"\n'
    )
    theme = theme_from_file(path)
    assert theme.variables["text"] == "#222222"
    muted = Color.parse(theme.variables["text-muted"])
    assert muted != Color.parse("#222222")  # muted is lighter, yet reads everywhere
    for ground in ("#fdfdfd", "#ffffff", "#eeeeee"):
        assert contrast(muted, Color.parse(ground)) >= 4.5


def test_the_theme_s_own_variables_win(tmp_path: Path) -> None:
    path = tmp_path / "own.toml"
    path.write_text(
        'name = "own"\nprimary = "#5fafff"\nforeground = "#d0d0d0"\nbackground = "#1c1c1c"\n'
        '[variables]\ntext-muted = "#b0b0b0"\n'
    )
    assert theme_from_file(path).variables["text-muted"] == "#b0b0b0"
