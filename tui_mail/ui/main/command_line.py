"""The `:` line at the bottom of the main screen: Tab completes (and cycles through what
it offers, listed above the line), up/down walk the history, Enter posts Input.Submitted,
Escape closes."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.ui.commands.complete import Sources, complete
from tui_mail.ui.commands.history import History
from tui_mail.ui.commands.registry import Commands
from tui_mail.ui.widgets.path_input import common_completion

SHOWN_CANDIDATES = 40
"""At most this many candidates are listed (the rest as "… N more")."""


class CommandInput(Input):
    """The line itself (its value is typed without the ":", shown as the prompt)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete(1)", "Complete", show=False, id="command.complete"),
        Binding("shift+tab", "complete(-1)", "Complete back", show=False,
                id="command.complete_back"),
        Binding("up", "history(-1)", "Older", show=False, id="command.older"),
        Binding("down", "history(1)", "Newer", show=False, id="command.newer"),
        Binding("escape", "close", "Close", show=False, id="command.close"),
    ]  # fmt: skip

    def __init__(self, commands: Commands, sources: Sources, history: History) -> None:
        # Not selected on focus: a prefilled ":pipe " is to be typed after, not replaced.
        super().__init__(
            placeholder="command (Tab completes, ↑ history)", id="command", select_on_focus=False
        )
        self.commands = commands
        self.sources = sources
        self.history = history
        self._cycle: tuple[str, list[str], int, str] | None = None
        """While Tab cycles: (the line before the word, candidates, index, line shown)."""
        self._walked: str | None = None
        """The history line last shown; typing something else starts a new walk."""

    @property
    def bar(self) -> CommandBar:
        return self.query_ancestor(CommandBar)

    async def action_complete(self, step: int) -> None:
        if self._cycle is not None and self._cycle[3] == self.value:
            head, candidates, index, _ = self._cycle
            index = (index + step) % len(candidates)
            self._show_choice(head, candidates, index)
            return
        self._cycle = None
        typed = self.value
        found = complete(typed, self.commands, self.sources)
        if self.sources.wanted:
            # Addresses come from the account's lookup (its address book command may
            # take a moment): asked for off the loop, then completed with the answer.
            problem = await self.sources.look_up()
            if problem:
                self.bar.hint(problem)
            if self.value != typed:  # typed on meanwhile: that is the line now
                return
            found = complete(typed, self.commands, self.sources)
        head, typed = self.value[: found.start], self.value[found.start :]
        candidates = found.candidates
        if not candidates:
            self.bar.hint("Nothing to complete here.")
            return
        if len(candidates) == 1:
            self._set(head + candidates[0])
            self.bar.hint("")
            return
        common = common_completion(typed, candidates)
        if common != typed:
            self._set(head + common)
            self.bar.hint(_listing(candidates, None))
            return
        self._show_choice(head, candidates, 0 if step > 0 else len(candidates) - 1)

    def _show_choice(self, head: str, candidates: list[str], index: int) -> None:
        self._set(head + candidates[index])
        self._cycle = (head, candidates, index, self.value)
        self.bar.hint(_listing(candidates, index))

    def show(self, value: str) -> None:
        """Put `value` on the line with the cursor at its end."""
        self._set(value)

    def _set(self, value: str) -> None:
        self.value = value
        self.cursor_position = len(value)

    def action_history(self, step: int) -> None:
        if self._walked != self.value:
            # Up after typing "mo" walks the lines that start with "mo" (zsh's way).
            self.history.restart(self.value)
        line = self.history.previous() if step < 0 else self.history.next()
        if line is not None:
            self._set(line)
        self._walked = self.value

    def action_close(self) -> None:
        self.bar.close()


def _listing(candidates: list[str], chosen: int | None) -> Text:
    text = Text()
    start = 0 if chosen is None or chosen < SHOWN_CANDIDATES else chosen - SHOWN_CANDIDATES + 1
    for index, candidate in enumerate(candidates[start : start + SHOWN_CANDIDATES], start):
        style = "reverse" if index == chosen else ""
        text.append(sanitize_line(candidate.rstrip()), style=style)
        text.append("  ")
    left = len(candidates) - start - SHOWN_CANDIDATES
    if left > 0:
        text.append(f"… {left} more")
    return text


class CommandBar(Vertical):
    """The hint line (what Tab offers) above the `:` line; hidden until `:` opens it."""

    DEFAULT_CSS = """
    CommandBar {
        dock: bottom;
        display: none;
        height: auto;
        margin-bottom: 2;
    }
    CommandBar.-open {
        display: block;
    }
    CommandBar > #command-hints {
        height: auto;
        max-height: 3;
        display: none;
    }
    CommandBar > #command-hints.-shown {
        display: block;
    }
    CommandBar #command-row {
        height: auto;
    }
    CommandBar #command-prompt {
        width: 1;
        height: 3;
        content-align: center middle;
        text-style: bold;
    }
    """

    def __init__(self, commands: Commands, sources: Sources, history: History) -> None:
        super().__init__(id="command-bar")
        self.input = CommandInput(commands, sources, history)

    def compose(self) -> ComposeResult:
        yield Static(id="command-hints", markup=False)
        with Horizontal(id="command-row"):
            yield Static(":", id="command-prompt", markup=False)
            yield self.input

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self, text: str = "") -> None:
        self.add_class("-open")
        self.input.sources.forget()  # mail, or the address book, may know more by now
        self.input.show(text)
        self.input.focus()

    def close(self) -> None:
        self.remove_class("-open")
        self.hint("")
        self.input.show("")
        self.post_message(CommandBar.Closed())

    def hint(self, text: str | Text) -> None:
        hints = self.query_one("#command-hints", Static)
        hints.update(text)
        hints.set_class(bool(text), "-shown")

    class Closed(Message):
        """The line was closed without running anything (focus goes back to the list)."""
