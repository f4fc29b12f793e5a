"""Where the configuration file and the caches live."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from tui_mail.config.models import APP_NAME


def config_path(explicit: str | Path | None = None) -> Path:
    """The config file: `explicit` (--config), else $TUI_MAIL_CONFIG, else the user config dir."""
    if explicit is not None and str(explicit):
        return Path(explicit).expanduser()
    from_env = os.environ.get("TUI_MAIL_CONFIG")
    if from_env:
        return Path(from_env).expanduser()
    return default_config_dir() / "config.toml"


def default_config_dir() -> Path:
    """tui-mail's own config directory (others may be the user's dotfiles folder)."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def data_path() -> Path:
    """Where caches live: $TUI_MAIL_DATA_DIR, else the user data dir. Callers create it."""
    from_env = os.environ.get("TUI_MAIL_DATA_DIR")
    if from_env:
        return Path(from_env).expanduser()
    return platformdirs.user_data_path(APP_NAME, appauthor=False)
