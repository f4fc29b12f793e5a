"""Reader: one message as the core renderer gives it. Text only, never markup."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui_mail.core.mime import RenderedMessage


class Reader(VerticalScroll, can_focus=True):
    """Headers, body, numbered links and attachments of the open message."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Down", show=False, id="reader.down",
                tooltip="Scroll down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="reader.up", tooltip="Scroll up"),
        Binding("space", "page_down", "Page", show=False, id="reader.page",
                tooltip="Next page"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    Reader {
        background: $surface;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    Reader > #reader-body {
        width: 100%;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("No message open. Enter reads the highlighted one.", style="dim"),
                     id="reader-body")  # fmt: skip

    @property
    def body(self) -> Static:
        return self.query_one("#reader-body", Static)

    def show_text(self, text: Text) -> None:
        self.body.update(text)
        self.scroll_home(animate=False)

    def show_message(self, message: RenderedMessage, *, full_headers: bool = False) -> None:
        self.show_text(message_text(message, full_headers=full_headers))

    def show_raw(self, source: str) -> None:
        self.show_text(Text(source))

    def show_notice(self, notice: str, *, error: bool = False) -> None:
        self.show_text(Text(notice, style="bold red" if error else "dim"))


def message_text(message: RenderedMessage, *, full_headers: bool = False) -> Text:
    """The reader's content as a Rich Text built from plain strings (no markup parsing)."""
    text = Text()
    for name, value in message.all_headers if full_headers else message.headers:
        text.append(f"{name}: ", style="bold")
        text.append(f"{value}\n")
    text.append("\n")
    for note in message.notes:
        text.append(f"[{note}]\n", style="italic yellow")
    if message.notes:
        text.append("\n")
    text.append(message.body.rstrip("\n") + "\n")
    if message.links:
        text.append("\nLinks:\n", style="bold")
        for link in message.links:
            text.append(f"[{link.number}] ", style="bold")
            text.append(link.url)
            if link.suspicious:
                text.append(f'  (warning: the link text says "{link.text}")', style="bold red")
            text.append("\n")
    if message.attachments:
        text.append("\nAttachments:\n", style="bold")
        for item in message.attachments:
            text.append(f"[{item.index}] ", style="bold")
            text.append(f"{item.filename} ({item.content_type}, {item.size} bytes)\n")
    return text
