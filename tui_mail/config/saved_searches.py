"""Saving and forgetting a saved search in the file, the rest of it kept as written.

`save_config` writes the whole file anew (comments are lost); a saved search made on the
`:` line should not cost the user the comments of a hand-written file. So the edit is made
on the text: a new [[saved_searches]] table is appended, a forgotten one cut out. The
result is read back and compared with what was meant; when it differs (an unusual layout
fooled the cut), the whole file is written by `save_config` instead. Either way the file
is replaced atomically, mode 0600.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path

from tui_mail.config.models import AppConfig, SavedSearchConfig
from tui_mail.config.reading import load_config, parse_document
from tui_mail.config.writing import _write_atomically, save_config, saved_search_block
from tui_mail.core.errors import ConfigError

_HEADER = re.compile(r"^\s*\[")
_SAVED_HEADER = re.compile(r"^\s*\[\[\s*saved_searches\s*\]\]\s*(#.*)?$")


def store_saved_search(path: Path, search: SavedSearchConfig) -> AppConfig:
    """Add `search` to the file at `path`, replacing a saved search of the same name;
    the configuration as now written. Raises ConfigError (the file's problem, or one
    this search would make)."""
    config = load_config(path)
    kept = tuple(s for s in config.saved_searches if s.name != search.name)
    wanted = replace(config, saved_searches=(*kept, search))
    text = _without(path.read_text(encoding="utf-8"), search.name)
    if text is not None:
        text = text.rstrip("\n") + "\n" + saved_search_block(search)
    return _write(wanted, text)


def forget_saved_search(path: Path, name: str) -> AppConfig:
    """Remove the saved search `name` from the file; ConfigError when there is none."""
    config = load_config(path)
    if all(s.name != name for s in config.saved_searches):
        known = ", ".join(repr(s.name) for s in config.saved_searches) or "none"
        raise ConfigError(f"{path}: no saved search named {name!r}; saved searches: {known}")
    wanted = replace(
        config, saved_searches=tuple(s for s in config.saved_searches if s.name != name)
    )
    return _write(wanted, _without(path.read_text(encoding="utf-8"), name))


def _without(text: str, name: str) -> str | None:
    """`text` with the [[saved_searches]] table named `name` cut out (unchanged when there
    is none); None when a table cannot be read on its own."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _SAVED_HEADER.match(line)]
    for start in reversed(starts):
        end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])), len(lines))
        # Comments right above the next table are about that table: they stay.
        while end > start + 1 and lines[end - 1].lstrip().startswith("#"):
            end -= 1
        try:
            table = tomllib.loads("".join(lines[start + 1 : end]))
        except tomllib.TOMLDecodeError:
            return None
        if table.get("name") == name:
            del lines[start:end]
    return "".join(lines)


def _write(wanted: AppConfig, text: str | None) -> AppConfig:
    if text is not None:
        try:
            written = parse_document(tomllib.loads(text), wanted.path)
        except (tomllib.TOMLDecodeError, ConfigError):
            written = None
        if written == wanted:
            try:
                _write_atomically(wanted.path, text)
            except OSError as exc:
                raise ConfigError(
                    f"{wanted.path}: cannot write the file: {exc.strerror or exc}"
                ) from None
            return wanted
    save_config(wanted)
    return wanted
