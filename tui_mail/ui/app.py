"""MailApp: wires account services to the main screen; nothing protocol-shaped in here."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.filter import Monochrome, NoColor
from textual.screen import Screen

from tui_mail.config import AccountConfig, AppConfig, data_path
from tui_mail.config.private import private_dir, private_file
from tui_mail.core.account.service import AccountService
from tui_mail.core.errors import UsageError
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.palette import SixteenColours
from tui_mail.ui.themes import DEFAULT_THEME, cursor_defaults, load_themes, terminal_theme

if TYPE_CHECKING:
    from tui_mail.core.discovery import DiscoveryOptions
    from tui_mail.ui.screens.account_setup import AccountAdded

ServiceFactory = Callable[..., AccountService]


class MailApp(App[int]):
    """The tui-mail application."""

    TITLE = "tui-mail"
    # Textual draws a few things at half the foreground's strength (Select's arrow and
    # placeholder: 3.3:1); text reads at 4.5:1 or more in every theme. Under NO_COLOR,
    # whatever says "you are here" by a background says it by reverse video instead.
    CSS = """
    SelectCurrent .arrow, SelectCurrent Static#label {
        color: $text-muted;
    }
    SelectCurrent.-has-value Static#label {
        color: $foreground;
    }
    Tree:nocolor > .tree--cursor, OptionList:nocolor > .option-list--option-highlighted,
    Input:nocolor > .input--cursor, TextArea:nocolor > .text-area--cursor {
        text-style: reverse;
    }
    """
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit",
                tooltip="Leave tui-mail"),
    ]  # fmt: skip

    def __init__(
        self,
        config: AppConfig,
        *,
        account: str | None = None,
        folder: str | None = None,
        data_dir: Path | None = None,
        service_factory: ServiceFactory = AccountService,
        discovery: DiscoveryOptions | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.data_dir = data_dir or data_path()
        # No account yet (first run): the set-up wizard opens instead of the main screen.
        first = config.account(account) if config.accounts else None
        self.start_account = first.name if first else None
        self.start_folder = folder or "INBOX"
        self.service_factory = service_factory
        self.discovery = discovery
        """Where account discovery looks (tests point it at loopback); None for the Internet."""
        self.services: dict[str, AccountService] = {
            a.name: service_factory(a, self.data_dir) for a in config.accounts
        }
        self._theme_names: list[str] = []
        self.theme_warnings: list[str] = []
        self._adapt_colours()

    def _adapt_colours(self) -> None:
        """Fit the drawing to the terminal: Textual's line filters are the place for it.

        NO_COLOR: the terminal's own two colours (Textual's NoColor filter) rather than the
        theme's greys (its Monochrome one), so that the theme cannot hide text and ctrl+t
        has nothing to change. A 16-colour terminal: colours chosen with contrast kept.
        """
        if self.no_color:
            self._filters = [NoColor() if isinstance(f, Monochrome) else f for f in self._filters]
        elif self.console.color_system in ("standard", "windows"):
            self._filters.append(SixteenColours())

    # -- lifecycle ---------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        """The main screen is the app's first screen, not one pushed in on_mount: Textual
        lays out a screen pushed while the app is starting inside its start-up batch and
        throws that first frame away, so the rows showed one more layout later (about
        40-90 ms; docs/BENCHMARKS.md, "Start-up")."""
        if self.start_account is None:
            return super().get_default_screen()  # the set-up wizard is pushed over it
        return MainScreen(self.start_account, self.start_folder)

    def on_mount(self) -> None:
        self._load_themes()
        if self.config.keymap:
            self.set_keymap(dict(self.config.keymap))
        if self.start_account is None:
            self.open_account_setup()
        for warning in self.theme_warnings:
            self.notify(warning, severity="warning", timeout=8)

    first_frame_shown = False
    """Textual's Ready came: the first frame is on screen, so accounts may connect."""

    def on_ready(self) -> None:
        self.first_frame_shown = True
        if isinstance(self.screen, MainScreen):
            self.screen.start_accounts()

    def on_unmount(self) -> None:
        # Quitting waits for no server: sockets are shut and threads abandoned, with no
        # LOGOUT (on a stalled connection it would wait for the deadline, FIELD-NOTES).
        for service in self.services.values():
            service.abandon()

    # -- adding accounts ---------------------------------------------------------------

    def open_account_setup(self) -> None:
        """The set-up wizard; a saved account opens on its INBOX."""
        from tui_mail.ui.screens.account_setup import AccountSetup  # noqa: PLC0415

        self.push_screen(AccountSetup(self.config.path, self.discovery), self._account_added)

    def _account_added(self, added: AccountAdded | None) -> None:
        if added is None:
            if not self.services:
                self.exit(0, message="No account was set up; nothing was saved.")
            return
        account = added.account
        self.config = added.config
        self.services[account.name] = self.service_factory(account, self.data_dir)
        main = MainScreen(account.name, "INBOX")
        if isinstance(self.screen, MainScreen):
            self.switch_screen(main)  # a fresh one: the folder tree gains the account
        else:
            self.push_screen(main)

    # -- themes ------------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return cursor_defaults(self.current_theme)

    def watch_theme(self, name: str) -> None:
        # Rich colour names in our text ("red", "dim") follow the theme, not Monokai.
        mapping = terminal_theme(self.current_theme)
        self.ansi_theme_dark = mapping
        self.ansi_theme_light = mapping

    @property
    def _state_file(self) -> Path:
        return self.data_dir / "ui-state.json"

    def _load_themes(self) -> None:
        user_dir = self.config.path.parent / "themes"
        loaded = load_themes(user_dir)
        self.theme_warnings = loaded.warnings
        for theme in loaded.themes:
            self.register_theme(theme)
        self._theme_names = [t.name for t in loaded.themes]
        wanted = self.config.theme or self._saved_state().get("theme") or DEFAULT_THEME
        if wanted not in self.available_themes:
            self.theme_warnings.append(f"Unknown theme {wanted!r}; using {DEFAULT_THEME}.")
            wanted = DEFAULT_THEME
        self.theme = wanted

    def _state(self) -> dict[str, object]:
        try:
            data = json.loads(self._state_file.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _saved_state(self) -> dict[str, str]:
        return {k: v for k, v in self._state().items() if isinstance(v, str)}

    def _save_state(self, **values: object) -> None:
        state = self._state() | values
        try:
            private_dir(self._state_file.parent)
            temporary = private_file(self._state_file.with_suffix(".tmp"))
            temporary.write_text(json.dumps(state))
            os.replace(temporary, self._state_file)
        except OSError as error:
            self.notify(f"Could not remember the choice: {error.strerror}", severity="warning")

    @property
    def threaded_view(self) -> bool:
        """Whether folders open as conversations (the T key; remembered like the theme)."""
        return self._saved_state().get("view") == "threads"

    def remember_view(self, *, threaded: bool) -> None:
        self._save_state(view="threads" if threaded else "flat")

    @property
    def remembered_sorts(self) -> object:
        """Each folder's order as last chosen (ui/main/sorting.py reads and checks it)."""
        return self._state().get("sorts")

    def remember_sorts(self, sorts: object) -> None:
        self._save_state(sorts=sorts)

    def action_cycle_theme(self) -> None:
        names = self._theme_names or [DEFAULT_THEME]
        index = names.index(self.theme) if self.theme in names else -1
        self._switch_theme(names[(index + 1) % len(names)], " (ctrl+t: the next one)")

    def use_theme(self, name: str) -> None:
        """`:theme NAME` (remembered like ctrl+t's choice)."""
        names = self._theme_names or [DEFAULT_THEME]
        found = next((n for n in names if n.casefold() == name.casefold()), None)
        if found is None:
            raise UsageError(f"No theme {name!r}; themes: {', '.join(names)}.")
        self._switch_theme(found)

    def _switch_theme(self, name: str, hint: str = "") -> None:
        """Show and remember theme `name` (ctrl+t, `:theme`); NO_COLOR keeps the
        terminal's colours and says so."""
        if self.no_color:
            self._tell("NO_COLOR is set: the terminal's own colours are used, not a theme.")
            return
        self.theme = name
        self._save_state(theme=name)
        self._tell(f"Theme: {name}{hint}")

    def _tell(self, message: str) -> None:
        # In the status bar, where the eye already is (a toast posted with the theme
        # change did not show); a toast on other screens.
        if isinstance(self.screen, MainScreen):
            self.screen.status.say(message)
        else:
            self.notify(message, timeout=4)


def run(
    config: AppConfig,
    *,
    account: str | None = None,
    folder: str | None = None,
    prepared: AccountService | None = None,
) -> int:
    """Start the TUI; returns the exit code. `prepared`: an account's service made (and its
    first sync begun) before the UI was imported, used instead of a new one."""

    def service_for(account_config: AccountConfig, data_dir: Path) -> AccountService:
        if prepared is not None and prepared.account == account_config:
            return prepared
        return AccountService(account_config, data_dir)

    app = MailApp(config, account=account, folder=folder, service_factory=service_for)
    result = app.run()
    # None after a crash: Textual's return_code says 1 then (it was reported as 0).
    return result if result is not None else (app.return_code or 0)
