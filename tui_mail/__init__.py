"""tui-mail: a terminal email client."""

__version__ = "0.1.0"
