"""Saving attachments to disk and handing files and links to the desktop, safely.

A message chooses the name of a file we write and the target of a link we might open, so:

- Files land only in the download directory, under `safe_filename` (a base name: no
  ``../``, no absolute path, no device name, no leading dot), and never replace an
  existing file: a taken name gets `` (1)``, `` (2)`` ... before its extension. The data is
  written to a temporary file in the same directory and then hard-linked into place, which
  is atomic and fails if the name was taken meanwhile (no check-then-write race). Files are
  readable by the user only (mode 0600), like the mailbox they came from.
- Opening happens only when the user asks (the UI confirms first, showing the type and
  name); it uses ``xdg-open`` (or macOS ``open``). The stdlib `mailcap` module is deprecated
  and gone in Python 3.13.
- Only ``http``, ``https`` and ``mailto`` links are ever opened: ``javascript:``,
  ``file:``, ``data:`` and the rest are refused with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from tui_mail.config.private import private_dir
from tui_mail.core.errors import TuiMailError
from tui_mail.core.message.filenames import safe_filename

__all__ = [
    "OPENABLE_SCHEMES",
    "OpenFailed",
    "SaveFailed",
    "default_download_dir",
    "link_refusal",
    "open_file",
    "open_url",
    "opener_command",
    "save_attachment",
]

OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})
"""Link schemes handed to the desktop; every other one is refused."""

_MAX_COPIES = 1000


class SaveFailed(TuiMailError):
    """The attachment could not be written to the download directory."""


class OpenFailed(TuiMailError):
    """No program to open files or links with, or it could not be started."""


def default_download_dir(data_dir: Path, configured: Path | None = None) -> Path:
    """Where attachments go: the configured directory, ~/Downloads if it exists, else the
    data directory's ``downloads/``."""
    if configured is not None:
        return configured
    home_downloads = Path.home() / "Downloads"
    if home_downloads.is_dir():
        return home_downloads
    return data_dir / "downloads"


def save_attachment(data: bytes, filename: str, directory: Path) -> Path:
    """Write `data` into `directory` under a safe, unused name; returns the path written.

    Args:
        data: The decoded attachment.
        filename: The name the message suggests (sanitised again here; it may be hostile).
        directory: The download directory; created if missing.

    Raises:
        SaveFailed: The directory cannot be created or written, or the disk is full.
    """
    name = safe_filename(filename, "attachment")
    try:
        private_dir(directory)
        handle, temporary = tempfile.mkstemp(prefix=".tui-mail-", suffix=".part", dir=directory)
    except OSError as error:
        hint = "set download_dir under [ui] in the config, or pass --to"
        raise SaveFailed(f"Cannot write to {directory}: {error.strerror}; {hint}.") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        return _link_unused(Path(temporary), directory, name)
    except OSError as error:
        raise SaveFailed(f"Could not save {name} in {directory}: {error.strerror}.") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _link_unused(temporary: Path, directory: Path, name: str) -> Path:
    stem, dot, extension = name.rpartition(".")
    if not stem:  # "README" or a name that is all extension
        stem, dot, extension = name, "", ""
    for copy in range(_MAX_COPIES):
        candidate = name if copy == 0 else f"{stem} ({copy}){dot}{extension}"
        target = directory / candidate
        try:
            os.link(temporary, target)
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: exclusive create, then copy
            try:
                with open(target, "xb") as out, open(temporary, "rb") as source:
                    shutil.copyfileobj(source, out)
            except FileExistsError:
                continue
        return target
    raise SaveFailed(f"{directory} already holds {_MAX_COPIES} files named like {name}.")


def link_refusal(url: str) -> str | None:
    """Why `url` must not be opened, or None when it may be (after the user confirms)."""
    scheme = urlsplit(url.strip()).scheme.lower()
    if not scheme:
        return "This link has no scheme (like https:); tui-mail does not guess one."
    if scheme not in OPENABLE_SCHEMES:
        return f"{scheme}: links are never opened from a message (only http, https and mailto)."
    return None


def opener_command() -> list[str]:
    """The program that opens a file or URL with the user's preferred application.

    Raises:
        OpenFailed: None is installed; the message says what to install.
    """
    for program in ("xdg-open", "open") if sys.platform == "darwin" else ("xdg-open",):
        found = shutil.which(program)
        if found:
            return [found]
    raise OpenFailed(
        "No program to open files with: install xdg-utils (e.g. `apt install xdg-utils`), "
        "or save the attachment (S) and open it yourself."
    )


def open_file(path: Path) -> None:
    """Open a saved file with the desktop's application for it. Returns at once."""
    _launch([*opener_command(), str(path)])


def open_url(url: str) -> None:
    """Open an http(s) or mailto link in the user's browser or mail handler.

    Raises:
        OpenFailed: The link's scheme is refused, or no opener is installed.
    """
    refusal = link_refusal(url)
    if refusal:
        raise OpenFailed(refusal)
    _launch([*opener_command(), url.strip()])


def _launch(command: list[str]) -> None:
    # Detached, silent, no terminal: the opener must not draw over the TUI or read its keys.
    try:
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as error:
        raise OpenFailed(f"Could not start {Path(command[0]).name}: {error.strerror}.") from None
