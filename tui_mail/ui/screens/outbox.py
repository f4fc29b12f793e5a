"""OutboxScreen: one account's messages that have not left yet. Look at one, send it now,
or delete it; the rest go by themselves (see outbox_runner.py)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from tui_mail.core.errors import TuiMailError
from tui_mail.core.message.mime import format_rendered, render_message
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.sending.courier import describe
from tui_mail.ui.screens.compose_dialogs import ConfirmDiscard, PreviewScreen

if TYPE_CHECKING:
    from tui_mail.ui.main.outbox_runner import OutboxRunner


class OutboxScreen(ModalScreen[None]):
    """One account's waiting messages."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="outbox.close", tooltip="Back to the mail"),
        Binding("enter,v", "view", "View", id="outbox.view",
                tooltip="The message as it will be sent"),
        Binding("s", "send_now", "Send now", id="outbox.send",
                tooltip="Send the highlighted message now, whatever its state"),
        Binding("d", "delete", "Delete", id="outbox.delete",
                tooltip="Remove the highlighted message from the outbox without sending"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    OutboxScreen {
        align: center middle;
    }
    OutboxScreen > Vertical {
        width: 90%;
        height: 80%;
        border: round $primary;
        border-title-align: center;
        background: $surface;
    }
    OutboxScreen DataTable {
        height: 1fr;
    }
    OutboxScreen #outbox-status {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    """

    def __init__(self, account: str, runner: OutboxRunner) -> None:
        super().__init__()
        self.account = account
        self.runner = runner
        self.courier = runner.courier(account)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Outbox of {self.account}"
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Static(id="outbox-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Queued", "To", "Subject", "State")
        self.refresh_entries()
        table.focus()

    def refresh_entries(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        now = time.time()
        entries = self.courier.waiting()
        for entry in entries:
            table.add_row(
                time.strftime("%b %d %H:%M", time.localtime(entry.created)),
                Text(sanitize_line(", ".join(entry.recipients))[:40]),
                Text(sanitize_line(entry.subject)[:50]),
                Text(describe(entry, now)),
                key=entry.id,
            )
        if not entries:
            self.say("Nothing waits to be sent.")
        else:
            last = entries[table.cursor_row if table.cursor_row < len(entries) else 0]
            self.say(sanitize_line(last.last_error) if last.last_error else "")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        entry_id = event.row_key.value
        for entry in self.courier.waiting():
            if entry.id == entry_id:
                self.say(sanitize_line(entry.last_error) if entry.last_error else "")

    def say(self, text: str) -> None:
        self.query_one("#outbox-status", Static).update(Text(text))

    def _highlighted(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
        return key.value

    def action_close(self) -> None:
        self.dismiss(None)

    def action_view(self) -> None:
        entry_id = self._highlighted()
        if entry_id is None:
            return
        try:
            outbox = self.courier.outbox
            raw = outbox.message(outbox.get(entry_id))
        except TuiMailError as error:
            self.say(str(error))
            return
        self.app.push_screen(PreviewScreen(format_rendered(render_message(raw))))

    def action_send_now(self) -> None:
        entry_id = self._highlighted()
        if entry_id is not None:
            self.say("Sending…")
            self._send_now(entry_id)

    @work(group="outbox-send", exclusive=True, exit_on_error=False)
    async def _send_now(self, entry_id: str) -> None:
        run = await self.courier.send_now(entry_id)
        self.runner.report(run)
        self.refresh_entries()
        self.say(" ".join(run.sentences()) or "Nothing was sent.")

    def action_delete(self) -> None:
        entry_id = self._highlighted()
        if entry_id is None:
            return

        def answered(delete: bool | None) -> None:
            if delete:
                self._delete(entry_id)

        self.app.push_screen(
            ConfirmDiscard(
                "Delete this message from the outbox? It will not be sent.",
                discard="Delete",
                keep="Keep it",
            ),
            answered,
        )

    @work(group="outbox-send", exclusive=True, exit_on_error=False)
    async def _delete(self, entry_id: str) -> None:
        try:
            await asyncio.to_thread(self.courier.remove, entry_id)
        except TuiMailError as error:
            self.say(str(error))
            return
        self.runner.tree_changed()
        self.refresh_entries()
        self.say("Deleted from the outbox; it was not sent.")
