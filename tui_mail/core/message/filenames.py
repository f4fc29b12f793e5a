"""Names for files written from a message: base name only, nothing hidden, nothing special."""

from __future__ import annotations

import re
import unicodedata

from tui_mail.core.message.sanitize import sanitize_line

_MAX_FILENAME_BYTES = 200

_NOT_IN_FILENAMES = re.compile(r'[<>:"|?*]')
_WINDOWS_DEVICE = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$")


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name that is safe to create in a download directory.

    Keeps only the base name (``/`` and ``\\`` both separate), removes controls (bidi
    overrides become visible markers), replaces characters Windows refuses, strips leading
    dots and spaces (no hidden files, no ``..``) and trailing ones, defuses Windows device
    names (``CON``, ``lpt1.txt`` ...) and caps the length at 200 UTF-8 bytes, keeping a short
    extension. An empty result falls back to `fallback` (cleaned the same way).
    """
    return _clean_filename(name or "") or _clean_filename(fallback) or "attachment"


def _clean_filename(name: str) -> str:
    name = sanitize_line(unicodedata.normalize("NFC", name))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _NOT_IN_FILENAMES.sub("_", name).strip(" .")
    if _WINDOWS_DEVICE.match(name):
        name = "_" + name
    if len(name.encode()) > _MAX_FILENAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        if not dot or not stem or len(extension) > 16:
            stem, extension = name, ""
        else:
            extension = "." + extension
        budget = _MAX_FILENAME_BYTES - len(extension.encode())
        stem = stem.encode()[:budget].decode("utf-8", "ignore").rstrip(" .")
        name = stem + extension
    return name
