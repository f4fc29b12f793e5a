"""PipeOutput: `:pipe` runs a command on mail and shows what it printed and how it ended.

The screen runs the whole job in its own worker, so the UI stays responsive: it fetches the
mail (through AccountService, leaving it unread), starts the command without a shell in
its own process group, feeds it the mail and reads its output (stdout and stderr as they
interleave, at most OUTPUT_LIMIT bytes) on a thread. While it runs, Escape or q kills the
command and everything it started, and the window shows what it had printed; afterwards
Escape or q closes the window. Ctrl+C quits tui-mail as everywhere, killing it too.

The output is the command's, hence untrusted (a `cat` of a hostile message prints the
message's escape sequences): it is decoded, sanitised and shown as `rich.text.Text`, so no
escape sequence reaches the terminal and no markup is interpreted.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_mail.core.errors import TuiMailError
from tui_mail.core.message.sanitize import sanitize_line, sanitize_text
from tui_mail.core.process_group import CapturedCommand, exit_sentence, start_failure

OUTPUT_LIMIT = 1024 * 1024
"""Output bytes kept for the window; the rest is read and dropped (a command that prints a
whole mailbox must not stall on a full pipe, nor lay out a gigabyte)."""


def command_label(command: list[str]) -> str:
    """The command as a shell would show it, safe for one line of the screen."""
    return sanitize_line(shlex.join(command))


class PipeOutput(ModalScreen[None]):
    """Runs `command` on the mail `payload()` gives, then shows its output and status."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="pipe.close",
                tooltip="Close the window; while the command runs, stop it (and all it "
                "started) first"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    PipeOutput {
        align: center middle;
    }
    PipeOutput > Vertical {
        width: 90%;
        height: 80%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    PipeOutput #pipe-title {
        text-style: bold;
    }
    PipeOutput VerticalScroll {
        height: 1fr;
    }
    PipeOutput #pipe-status.-failed {
        color: $error;
        text-style: bold;
    }
    """

    def __init__(
        self, command: list[str], payload: Callable[[], Awaitable[bytes]], *, what: str
    ) -> None:
        """`what` names the mail ("3 messages as one mbox"); `payload()` fetches it."""
        super().__init__()
        self.command = command
        self._payload = payload
        self.what = what
        self.running: CapturedCommand | None = None
        self.finished = False
        self.closed = False
        self.status_text = ""
        """How the command ended, as the window says it ("" while it runs)."""
        self.output_text = ""
        """What the command printed, sanitised, as the window shows it."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"| {command_label(self.command)}  ({self.what})"), id="pipe-title")
            with VerticalScroll():
                yield Static("", id="pipe-output")
            yield Static(Text("Fetching the mail…"), id="pipe-status")

    def on_mount(self) -> None:
        self._run()

    def _say(self, text: str, *, failed: bool = False) -> None:
        status = self.query_one("#pipe-status", Static)
        status.update(Text(text))
        status.set_class(failed, "-failed")

    @work(group="pipe", exclusive=True, exit_on_error=False)
    async def _run(self) -> None:
        name = self.command[0]
        try:
            data = await self._payload()
        except TuiMailError as error:
            self._end(str(error), failed=True)
            return
        if self.closed:  # closed while the mail was being fetched: nothing runs
            return
        try:
            running = await asyncio.to_thread(CapturedCommand, self.command)
        except OSError as error:
            self._end(start_failure(name, error)[0], failed=True)
            return
        self.running = running
        if self.closed:
            running.kill()
        self._say(f"Running {command_label(self.command)}… (Escape stops it)")
        output, more, status = await asyncio.to_thread(running.run, data, limit=OUTPUT_LIMIT)
        if self.closed:
            return
        text = sanitize_text(output.decode("utf-8", "replace"))
        if more:
            text += f"\n[output cut at {OUTPUT_LIMIT // 1024} KiB]\n"
        self.output_text = text
        self.query_one("#pipe-output", Static).update(Text(text or "(no output)"))
        if running.killed:
            self._end(f"Stopped: {name!r} and what it started were killed.", failed=True)
        else:
            failure = exit_sentence(name, status)
            self._end(failure or f"{name!r} exited with status 0.", failed=failure is not None)

    def _end(self, text: str, *, failed: bool) -> None:
        self.finished = True
        if self.closed:
            return
        self.status_text = text
        self._say(text + "  Escape or q closes.", failed=failed)

    def on_unmount(self) -> None:
        # The app may quit with the window open: the command must not outlive it (and the
        # thread reading its output would keep the process from exiting).
        self.closed = True
        if self.running is not None and not self.finished:
            self.running.kill()

    def action_close(self) -> None:
        """While the command runs: stop it, and stay to show what it printed (a second
        press closes). Once it has ended: close."""
        if self.running is not None and not self.finished:
            self.running.kill()
            return
        self.closed = True
        self.dismiss(None)
