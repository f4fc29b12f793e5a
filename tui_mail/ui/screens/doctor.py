"""The connection doctor for a configured account, from the main screen: the same checks as
`tui-mail doctor -a NAME`, drawn as the set-up wizard draws them, each as it finishes."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_mail.core.errors import TuiMailError
from tui_mail.ui.widgets.setup_parts import check_lines

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.doctor import Check, DoctorReport


class DoctorScreen(ModalScreen[None]):
    """Runs the doctor on one account and shows every check; escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="doctor.close", tooltip="Back to the mail"),
        Binding("ctrl+r", "run", "Check again", id="doctor.rerun",
                tooltip="Run every check again"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    DoctorScreen {
        align: center middle;
    }
    DoctorScreen > VerticalScroll {
        width: 100;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    DoctorScreen #doctor-summary {
        margin-top: 1;
    }
    """

    class CheckDone(Message):
        """Posted from the doctor's thread: one check has finished."""

        def __init__(self, check: Check) -> None:
            super().__init__()
            self.check = check

    def __init__(self, account: AccountConfig) -> None:
        super().__init__()
        self.account = account
        self._lines: list[Text] = []
        # The new-mail step waits up to 70 s in a thread: closing the screen (or the app,
        # which waits for its threads) ends that wait.
        self._stop_waiting = threading.Event()

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(f"Checking account {self.account.name}…", style="bold"),
                         id="doctor-title")  # fmt: skip
            yield Static(id="doctor-checks")
            yield Static(id="doctor-summary")

    def on_mount(self) -> None:
        self.action_run()

    def action_close(self) -> None:
        self.dismiss(None)

    def on_unmount(self) -> None:
        self._stop_waiting.set()

    def action_run(self) -> None:
        self._lines.clear()
        self.query_one("#doctor-checks", Static).update("")
        self.query_one("#doctor-summary", Static).update(Text("Running…", style="dim"))
        self._diagnose()

    @work(exclusive=True, group="doctor", exit_on_error=False)
    async def _diagnose(self) -> None:
        from tui_mail.core.auth.secrets import secret_source  # noqa: PLC0415
        from tui_mail.core.doctor import diagnose_account  # noqa: PLC0415
        from tui_mail.core.doctor.idle_probe import DEFAULT_WAIT  # noqa: PLC0415

        def post(check: Check) -> None:
            self.post_message(self.CheckDone(check))  # thread-safe

        try:
            report = await asyncio.to_thread(
                diagnose_account,
                self.account,
                secret_source(self.account),
                on_check=post,
                idle_wait=DEFAULT_WAIT,
                cancelled=self._stop_waiting.is_set,
            )
        except TuiMailError as error:
            self._summary(Text(str(error), style="bold red"))
            return
        self._summary(_summary(report))

    def on_doctor_screen_check_done(self, event: CheckDone) -> None:
        self._lines.append(check_lines(event.check))
        self.query_one("#doctor-checks", Static).update(Text("\n").join(self._lines))

    def _summary(self, text: Text) -> None:
        self.query_one("#doctor-summary", Static).update(text)


def _summary(report: DoctorReport) -> Text:
    if report.ok:
        warned = any(check.status == "warn" for check in report.checks)
        return Text(report.summary(), style="bold yellow" if warned else "bold green")
    failed = len(report.failures)
    return Text(
        f"{failed} check{'s' if failed != 1 else ''} failed: see the → lines for the fix. "
        "ctrl+r checks again.",
        style="bold red",
    )
