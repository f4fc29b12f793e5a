"""Reader: one message as the core renderer gives it. Text only, never markup.

Everything shown is a `rich.text.Text` built from strings the core has sanitised, so a
subject like ``[bold red]x[/]`` shows literally and no escape sequence reaches the terminal.

Laying out text costs Textual about 2 s per million characters on the UI loop, so a long
body is shown in pieces: the first `CHUNK_CHARS` at once, the rest mounted piece by piece by
an async worker that yields between pieces, so keys keep working while a "load all" of a
10 MB message fills in.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from rich.filesize import decimal
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:  # the renderer is imported when the first message is read
    from tui_mail.core.account.message_index import MessageRef
    from tui_mail.core.message.mime import RenderedMessage

INITIAL_BODY_CHARS = 200_000
"""Body characters rendered when a message is opened; more is behind "load all"."""
FULL_BODY_CHARS = 50_000_000
"""Body characters rendered by "load all" (the renderer's bound for a whole message)."""
CHUNK_CHARS = 50_000
"""Characters per piece of a long body (about 0.1 s of layout each)."""

TRUNCATED_PREFIX = "Truncated"
"""How the renderer's notes about a cut body begin."""

EMPTY = Text("No message open. Enter reads the highlighted one.", style="dim")
"""What the reader shows with no message open."""


class Reader(VerticalScroll, can_focus=True):
    """Headers, body, numbered links and attachments of the open message."""

    # Like mutt's pager: j/k and n/N go to another message (opened at once), the arrows
    # scroll, Space pages and at the end goes on to the next unread message. The actions
    # live on the main screen, which knows the list.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "scroll_down", "Down", show=False, id="reader.down",
                tooltip="Scroll down"),
        Binding("up", "scroll_up", "Up", show=False, id="reader.up", tooltip="Scroll up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="reader.page_down",
                tooltip="Next page"),
        Binding("pageup", "page_up", "Page up", show=False, id="reader.page_up",
                tooltip="Previous page"),
        Binding("home", "scroll_home", "Top", show=False, id="reader.top",
                tooltip="Start of the message"),
        Binding("end", "scroll_end", "Bottom", show=False, id="reader.bottom",
                tooltip="End of the message"),
        Binding("space", "screen.command('reader.page')", "Page", show=False, id="reader.page",
                tooltip="Next page; at the end, the next unread message"),
        Binding("j", "screen.command('reader.next')", "Next message", show=False, id="reader.next",
                tooltip="Open the next message"),
        Binding("k", "screen.command('reader.previous')", "Previous message", show=False,
                id="reader.previous", tooltip="Open the previous message"),
        Binding("n", "screen.command('reader.next_unread')", "Next unread", show=False,
                id="reader.next_unread", tooltip="Open the next unread message"),
        Binding("N", "screen.command('reader.previous_unread')", "Previous unread", show=False,
                id="reader.previous_unread", tooltip="Open the previous unread message"),
        Binding("enter", "screen.command('reader.open_current')", "Open", show=False,
                id="reader.open_current",
                tooltip="Open the message under the list's cursor"),
        Binding("escape", "screen.command('reader.back')", "Back to the list", show=False,
                id="reader.back", tooltip="Back to the message list"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    Reader {
        background: $surface;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    Reader > Static {
        width: 100%;
    }
    """

    DEFAULT_CLASSES = "-empty"
    """Until something is shown (the main screen gives the list the room meanwhile)."""

    message: RenderedMessage | None = None
    """The message on screen (None for a notice or the raw source)."""
    rendered: RenderedMessage | None = None
    """The open message, also while its raw source is shown (None when nothing is open)."""
    ref: MessageRef | None = None
    """Which message is open: kept while the next one loads, None when nothing is."""
    raw: bytes | None = None
    """The open message's source: the raw view, "load all" and saving attachments."""
    full_headers = False
    """Every header or the usual few (h): kept from one message to the next."""
    list_hint = ""
    """One line for a mailing-list message saying what P and :unsubscribe do ('' else)."""
    security: tuple[tuple[str, str], ...] = ()
    """(severity: ok/warn/bad, sentence) about the open message's signatures and
    encryption (core/crypto), shown under the headers in reverse video, which no text from
    a message can produce."""

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, id="reader-body")

    @property
    def body(self) -> Static:
        """The first piece: headers, notes and the start of the body."""
        return self.query_one("#reader-body", Static)

    @property
    def truncated(self) -> bool:
        """The open message was cut short by the renderer ("load all" shows the rest)."""
        return self.message is not None and any(
            note.startswith(TRUNCATED_PREFIX) for note in self.message.notes
        )

    def shown_text(self) -> str:
        """Everything the reader holds, as plain text (what a user can scroll through)."""
        return "".join(str(piece.render()) for piece in self.query(Static))

    @property
    def showing_raw(self) -> bool:
        """The raw source of the open message is on screen."""
        return self.rendered is not None and self.message is None

    @property
    def at_end(self) -> bool:
        """Scrolled to the bottom (or everything fits): Space goes on to the next message."""
        return self.scroll_y >= self.max_scroll_y

    def show_text(self, text: Text) -> None:
        self.message = self.rendered = None
        self._show_pieces([text])

    def show_empty(self) -> None:
        """Nothing open: the message that was here left the list, or the list moved on
        (and the list below takes the room: see `-empty` in the main screen's CSS)."""
        self.show_text(EMPTY)
        self.add_class("-empty")

    def show_open(
        self,
        ref: MessageRef,
        raw: bytes,
        message: RenderedMessage,
        security: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """`message`, rendered from `raw`, is now the open message; `security` says what
        is true about its signatures and encryption."""
        from tui_mail.ui.main.lists import list_hint  # noqa: PLC0415

        self.ref, self.raw, self.list_hint = ref, raw, list_hint(raw)
        self.security = security
        self.show_message(message, full_headers=self.full_headers)

    def close(self) -> None:
        """Nothing open any more (see show_empty)."""
        self.ref = self.raw = None
        self.list_hint = ""
        self.security = ()
        self.show_empty()

    def toggle_headers(self) -> bool:
        """Every header, or the usual few again (also from the raw source); the new state."""
        self.full_headers = not self.full_headers
        if self.rendered is not None:  # already rendered (maybe all of it): no re-render
            self.show_message(self.rendered, full_headers=self.full_headers)
        return self.full_headers

    def toggle_raw(self) -> bool:
        """The raw source of the open message, and back; False when none is open."""
        if self.showing_raw and self.rendered is not None:
            self.show_message(self.rendered, full_headers=self.full_headers)
            return True
        if self.raw is None or self.rendered is None:
            return False
        from tui_mail.core.message.sanitize import sanitize_text  # noqa: PLC0415

        self.show_raw(sanitize_text(self.raw.decode("utf-8", "replace")))
        return True

    def show_message(self, message: RenderedMessage, *, full_headers: bool = False) -> None:
        pieces = message_pieces(
            message, full_headers=full_headers, hint=self.list_hint, security=self.security
        )
        self._show_pieces(pieces)
        self.message = self.rendered = message

    def show_raw(self, source: str) -> None:
        self.message = None
        self._show_pieces(_split(Text(source)))

    def show_notice(self, notice: str, *, error: bool = False) -> None:
        self.show_text(Text(notice, style="bold red" if error else "dim"))

    def _show_pieces(self, pieces: list[Text]) -> None:
        self.remove_class("-empty")
        self.workers.cancel_group(self, "pieces")
        for extra in self.query(Static).exclude("#reader-body"):
            extra.remove()
        self.body.update(pieces[0])
        self.scroll_home(animate=False)
        if len(pieces) > 1:
            self._mount_rest(pieces[1:])

    @work(group="pieces", exclusive=True, exit_on_error=False)
    async def _mount_rest(self, pieces: list[Text]) -> None:
        for piece in pieces:
            await self.mount(Static(piece, classes="reader-piece"))
            await asyncio.sleep(0.01)  # let keys and repaints through between pieces


def message_pieces(
    message: RenderedMessage,
    *,
    full_headers: bool = False,
    hint: str = "",
    security: tuple[tuple[str, str], ...] = (),
) -> list[Text]:
    """The reader's content as Rich Texts of at most about `CHUNK_CHARS` characters."""
    text = message_text(message, full_headers=full_headers, hint=hint, security=security)
    return _split(text)


_SECURITY_STYLES = {"ok": "bold reverse green", "warn": "bold reverse yellow"}


def _split(text: Text) -> list[Text]:
    """Cut at line ends near every `CHUNK_CHARS` characters (styles are kept)."""
    plain = text.plain
    if len(plain) <= CHUNK_CHARS:
        return [text]
    offsets: list[int] = []
    start = 0
    while len(plain) - start > CHUNK_CHARS:
        cut = plain.rfind("\n", start + CHUNK_CHARS // 2, start + CHUNK_CHARS)
        cut = start + CHUNK_CHARS if cut < 0 else cut + 1  # a huge single line: cut anyway
        offsets.append(cut)
        start = cut
    pieces = list(text.divide(offsets))
    for piece in pieces[:-1]:  # each piece is its own block; the cut newline is implied
        piece.rstrip_end(len(piece.plain.rstrip("\n")))
    return pieces


def message_text(
    message: RenderedMessage,
    *,
    full_headers: bool = False,
    hint: str = "",
    security: tuple[tuple[str, str], ...] = (),
) -> Text:
    """The reader's content as a Rich Text built from plain strings (no markup parsing);
    `hint` (a mailing list's keys) goes under the headers, then `security`'s lines."""
    text = Text()
    for name, value in message.all_headers if full_headers else message.headers:
        text.append(f"{name}: ", style="bold")
        text.append(f"{value}\n")
    for severity, line in security:
        text.append(f" {line} ", style=_SECURITY_STYLES.get(severity, "bold reverse red"))
        text.append("\n")
    if hint:
        text.append(f"[{hint}]\n", style="italic")
    text.append("\n")
    truncated = False
    for note in message.notes:
        text.append(f"[{note}]\n", style="italic yellow")
        truncated = truncated or note.startswith(TRUNCATED_PREFIX)
    if truncated:
        text.append("[L loads all of it]\n", style="bold yellow")
    if message.notes:
        text.append("\n")
    text.append(message.body.rstrip("\n") + "\n")
    if message.links:
        text.append("\nLinks (o opens one):\n", style="bold")
        for link in message.links:
            text.append(f"[{link.number}] ", style="bold")
            text.append(link.url)
            if link.suspicious:
                text.append(f'  (warning: the link text says "{link.text}")', style="bold red")
            text.append("\n")
    if message.attachments:
        text.append("\nAttachments (o opens, S saves):\n", style="bold")
        for item in message.attachments:
            inline = ", inline" if item.inline else ""
            text.append(f"[{item.index}] ", style="bold")
            text.append(f"{item.filename} ({item.content_type}, {decimal(item.size)}{inline})\n")
    return text
