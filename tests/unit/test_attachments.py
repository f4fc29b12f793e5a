"""Saving attachments and opening files and links: what lands on disk, what gets launched.

The opener is a real executable named xdg-open put first on PATH, which writes down the
arguments it was started with; nothing is mocked.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from tui_mail.core.message.attachments import (
    OpenFailed,
    SaveFailed,
    default_download_dir,
    link_refusal,
    open_file,
    open_url,
    opener_command,
    save_attachment,
)


@pytest.fixture
def fake_opener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An xdg-open that records its arguments in the returned file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "opened.txt"
    script = bin_dir / "xdg-open"
    script.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}.tmp && mv {record}.tmp {record}\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return record


def wait_for_file(path: Path) -> str:
    deadline = time.monotonic() + 10
    while not path.exists():
        assert time.monotonic() < deadline, "the opener was never started"
        time.sleep(0.02)
    return path.read_text()


def test_saving_writes_the_data_under_the_safe_name(tmp_path: Path) -> None:
    path = save_attachment(b"%PDF-1.7", "../../etc/report.pdf", tmp_path / "new" / "dir")
    assert path == tmp_path / "new" / "dir" / "report.pdf"
    assert path.read_bytes() == b"%PDF-1.7"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("offered", "saved"),
    [
        ("/etc/passwd", "passwd"),
        ("C:\\Windows\\win.ini", "win.ini"),
        (".bashrc", "bashrc"),
        ("..", "attachment"),
        ("", "attachment"),
        ("nul", "_nul"),
        ("LPT1.txt", "_LPT1.txt"),
        ("a\x1b]52;c;eA==\x07b.txt", "ab.txt"),
        ("x\u202etxt.exe", "x⟨RLO⟩txt.exe"),
    ],
)
def test_hostile_names_land_inside_the_directory(tmp_path: Path, offered: str, saved: str) -> None:
    path = save_attachment(b"data", offered, tmp_path)
    assert path.parent == tmp_path
    assert path.name == saved
    assert [p.name for p in tmp_path.iterdir()] == [saved]


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_bytes(b"mine")
    first = save_attachment(b"one", "notes.txt", tmp_path)
    second = save_attachment(b"two", "notes.txt", tmp_path)
    assert (first.name, second.name) == ("notes (1).txt", "notes (2).txt")
    assert (tmp_path / "notes.txt").read_bytes() == b"mine"
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")
    no_extension = [save_attachment(b"", "README", tmp_path).name for _ in range(2)]
    assert no_extension == ["README", "README (1)"]


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    save_attachment(b"x" * 100_000, "big.bin", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["big.bin"]


def test_an_unwritable_directory_says_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SaveFailed, match=r"Cannot write to .*file.*download_dir"):
        save_attachment(b"x", "a.txt", blocker / "sub")


def test_the_download_directory_is_config_then_downloads_then_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    data = tmp_path / "data"
    assert default_download_dir(data) == data / "downloads"
    (tmp_path / "home" / "Downloads").mkdir(parents=True)
    assert default_download_dir(data) == tmp_path / "home" / "Downloads"
    assert default_download_dir(data, tmp_path / "mine") == tmp_path / "mine"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "www.example.org",
    ],
)
def test_dangerous_links_are_refused_and_never_launched(url: str, fake_opener: Path) -> None:
    assert link_refusal(url)
    with pytest.raises(OpenFailed):
        open_url(url)
    time.sleep(0.1)
    assert not fake_opener.exists()


@pytest.mark.parametrize("url", ["https://example.org/a?b=c", "http://x.test", "mailto:a@b.c"])
def test_web_and_mail_links_are_handed_to_xdg_open(url: str, fake_opener: Path) -> None:
    assert link_refusal(url) is None
    open_url(url)
    assert wait_for_file(fake_opener) == url + "\n"


def test_opening_a_file_passes_its_path(tmp_path: Path, fake_opener: Path) -> None:
    path = save_attachment(b"x", "report.pdf", tmp_path / "dl")
    open_file(path)
    assert wait_for_file(fake_opener) == f"{path}\n"


def test_without_xdg_open_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OpenFailed, match="install xdg-utils"):
        opener_command()
    with pytest.raises(OpenFailed, match="install xdg-utils"):
        open_file(tmp_path / "x")
    assert os.environ["PATH"] == str(tmp_path)
