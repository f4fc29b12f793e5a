"""What the main screen's helpers ask of the screen and the app, as narrow types.

The helpers (Triage, Reading, Search, ReaderActions, OutboxRunner, AccountSync) never hold
the MainScreen: each is given the widgets it drives and, for the rest, one of these. The
screen passes its own bound methods (`run_triage`, `load_message` ...) or the app's
(`push_screen`, `notify`, `bell`), which match them structurally.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

T = TypeVar("T")


class PushScreen(Protocol):
    """Show `screen` on top; `callback` gets what it is dismissed with (App.push_screen)."""

    def __call__(
        self, screen: Screen[T], callback: Callable[[T | None], None] | None = None, /
    ) -> object: ...


class Alerts(Protocol):
    """The app's notification toasts and terminal bell."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None: ...

    def bell(self) -> None: ...
