"""Writing a message body in the user's own editor ($VISUAL, else $EDITOR, else vi).

The compose screen suspends the app around `run_editor`; the text goes through a private
temporary file, and any failure is a UsageError with the text left as it was.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from tui_mail.core.errors import UsageError


def run_editor(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Edit `text` in $VISUAL, else $EDITOR, else vi, on a private temporary file; returns
    what the editor left there. Raises UsageError when the editor cannot run or fails
    (the caller keeps the text it had)."""
    environ = os.environ if environ is None else environ
    command = environ.get("VISUAL") or environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="tui-mail-") as directory:  # 0700: mail is private
        path = Path(directory) / "message.txt"
        path.write_text(text, encoding="utf-8")
        try:
            result = subprocess.run([*shlex.split(command), str(path)], check=False)
        except (OSError, ValueError) as error:
            raise UsageError(
                f"Cannot run the editor {command!r} ({getattr(error, 'strerror', None) or error});"
                " set VISUAL or EDITOR to one that is installed."
            ) from None
        if result.returncode != 0:
            raise UsageError(
                f"The editor {command!r} exited with status {result.returncode}; "
                "the text was kept as it was."
            )
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UsageError("The editor saved text that is not UTF-8; it was not taken.") from None
