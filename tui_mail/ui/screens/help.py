"""HelpScreen: the bindings that are live right now, with the keys the user mapped."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from typing import ClassVar, NamedTuple

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_mail.core.query import SEARCH_HELP
from tui_mail.ui.main.limit import LIMIT_HELP
from tui_mail.ui.main.message_list import PENDING_MARK
from tui_mail.ui.main.search import SCOPE_HELP

LEGEND = (
    ("N", "unread"),
    ("!", "flagged"),
    ("r", "replied to"),
    ("f", "forwarded"),
    ("@", "has attachments"),
    ("*", "marked for a bulk action (space)"),
    (PENDING_MARK, "changed here, waiting for the server (offline)"),
)
"""What the marks at the start of a message's row mean, in their column order."""


KEYS_INTRO = "\nKeys (each is also the :command after it; rebind by that name in [keymap])\n"
COMMANDS_INTRO = (
    "\nCommands (: opens the line; Tab completes, ↑ ↓ history; every key above is also a "
    "command named by its id, e.g. :archive; bind keys to lines in [bind] of the config)\n"
)


class HelpRow(NamedTuple):
    """One line of help's table of keys."""

    keys: str
    action: str
    tooltip: str
    command: str = ""
    """The `:` command the keys run ("" for keys that are not one)."""


def help_rows(
    active: Mapping[str, ActiveBinding],
    key_display: Callable[[Binding], str],
    commands: Container[str] = (),
) -> list[HelpRow]:
    """A row for each live binding of ours, all its keys together; a binding whose id is
    in `commands` names that `:` command (the same name rebinds it in [keymap])."""
    rows: list[HelpRow] = []
    seen: set[str] = set()
    for key, live in active.items():
        binding = live.binding
        # Ours all have an id; Textual's own (scroll left, page left, copy) do not.
        if binding.action in seen or not binding.description or binding.id is None:
            continue
        seen.add(binding.action)
        keys = (
            ", ".join(
                b.binding.key_display or key_display(b.binding)
                for b in active.values()
                if b.binding.action == binding.action
            )
            or key
        )
        command = binding.id if binding.id in commands else ""
        rows.append(HelpRow(keys, binding.description, binding.tooltip, command))
    return rows


class HelpScreen(ModalScreen[None]):
    """A table of keys and what they do, built from the screen's active bindings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close",
                tooltip="Close the help"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 80;
        max-width: 100%;
        height: 80%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, rows: list[HelpRow], commands: Sequence[tuple[str, str]] = ()) -> None:
        """`rows`: the keys; `commands`: (":name ARGS", what it does) of the commands that
        take arguments or have no key."""
        super().__init__()
        self.rows = rows
        self.commands = list(commands)

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Key", no_wrap=True)
        table.add_column("Action", max_width=30)  # a long ":reader.load_all" wraps
        table.add_column("What it does")
        for row in self.rows:
            # One span: SVG screenshots drop the spaces that start a styled one.
            action = Text(f"{row.action}  :{row.command}" if row.command else row.action)
            table.add_row(Text(row.keys, style="bold"), action, Text(row.tooltip))
        legend = Table(box=None, show_header=False)
        legend.add_column("Mark", no_wrap=True)
        legend.add_column("Meaning")
        for mark, meaning in LEGEND:
            legend.add_row(Text(mark, style="bold"), Text(meaning))
        commands = Table(box=None, expand=True, show_header=False)
        commands.add_column("Command", no_wrap=True)
        commands.add_column("What it does")
        for synopsis, summary in self.commands:
            commands.add_row(Text(synopsis, style="bold"), Text(summary))
        with VerticalScroll():
            yield Static(Text("Marks in the message list", style="bold"))
            yield Static(legend, id="help-legend")
            yield Static(Text(KEYS_INTRO, style="bold"))
            yield Static(table)
            yield Static(Text("\n" + SEARCH_HELP))
            yield Static(Text("\n" + SCOPE_HELP))
            yield Static(Text("\n" + LIMIT_HELP))
            if self.commands:
                yield Static(Text(COMMANDS_INTRO, style="bold"))
                yield Static(commands, id="help-commands")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
