"""The reader's actions on links and attachments: open, save, and "load all".

`ReaderActions` is a helper of the main screen (like Triage), given the reader and the
status bar: the screen's key bindings call it.
Nothing from the message is opened without the user picking it and then confirming a
dialog that shows what will happen: the link's real target (and the renderer's warning
when its text names another host), or the attachment's name, MIME type and size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.filesize import decimal
from rich.text import Text

from tui_mail.core.errors import TuiMailError
from tui_mail.core.message.attachments import (
    OpenFailed,
    SaveFailed,
    default_download_dir,
    link_refusal,
    open_file,
    open_url,
    save_attachment,
)
from tui_mail.core.message.export import SaveRefused, write_new_private
from tui_mail.core.message.mime import Attachment, Link, attachment_data, render_message
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.ui.main.reader import FULL_BODY_CHARS
from tui_mail.ui.screens.open_item import ConfirmOpen, ItemPicker

if TYPE_CHECKING:
    from tui_mail.ui.main.ports import PushScreen
    from tui_mail.ui.main.reader import Reader
    from tui_mail.ui.main.status import StatusBar


def link_details(link: Link) -> Text:
    """What the confirmation shows for a link: the real target first, then any warning."""
    text = Text("Open this link?\n\n", style="bold")
    text.append(link.url + "\n", style="underline")
    if link.suspicious:
        text.append(
            f'\nWarning: the link text says "{link.text}", which is another host.\n',
            style="bold red",
        )
    return text


def attachment_details(item: Attachment, path: Path) -> Text:
    """What the confirmation shows for an attachment: name, MIME type, size, where."""
    text = Text("Open this attachment with the desktop's program for its type?\n\n", style="bold")
    text.append("Name: ", style="bold")
    text.append(item.filename + "\n")
    text.append("Type: ", style="bold")
    text.append(f"{item.content_type} (as the sender labelled it)\n")
    text.append("Size: ", style="bold")
    text.append(decimal(item.size) + "\n")
    text.append("Saved as: ", style="bold")
    text.append(str(path) + "\n")
    return text


class ReaderActions:
    """Open, save and "load all" for the message in the main screen's reader."""

    def __init__(
        self,
        reader: Reader,
        status: StatusBar,
        *,
        directories: Callable[[], tuple[Path, Path | None]],
        push_screen: PushScreen,
        save_in_background: Callable[[Awaitable[None]], object],
        render_whole: Callable[[bytes], object],
    ) -> None:
        """`directories()`: the data directory and the configured download directory, read
        at each save; `save_in_background(job)` and `render_whole(raw)` start the screen's
        "attachments" and "reader" workers (the latter awaits `render_all`)."""
        self.reader = reader
        self.status = status
        self._directories = directories
        self._push_screen = push_screen
        self._save_in_background = save_in_background
        self._render_whole = render_whole

    @property
    def download_dir(self) -> Path:
        return default_download_dir(*self._directories())

    def _ready(self) -> bool:
        if self.reader.raw is None or self.reader.message is None:
            self.status.say("Open a message first (Enter).")
            return False
        return True

    # -- open ------------------------------------------------------------------------

    def open_item(self) -> None:
        """Pick a link or attachment, confirm, open."""
        message = self.reader.message
        if not self._ready() or message is None:
            return
        choices: list[tuple[Link | Attachment, Text]] = []
        for link in message.links:
            label = Text(f"link {link.number}: ", style="bold")
            label.append(link.url)
            if link.suspicious:
                label.append("  (suspicious)", style="bold red")
            choices.append((link, label))
        for item in message.attachments:
            label = Text(f"attachment {item.index}: ", style="bold")
            label.append(f"{item.filename} ({item.content_type}, {decimal(item.size)})")
            choices.append((item, label))
        if not choices:
            self.status.say("This message has no links or attachments.")
            return

        def chosen(position: int | None) -> None:
            if position is not None:
                target = choices[position][0]
                if isinstance(target, Link):
                    self.confirm_link(target)
                else:
                    self.confirm_attachment(target)

        self._push_screen(ItemPicker("Open which one?", [c[1] for c in choices]), chosen)

    def confirm_link(self, link: Link) -> None:
        refusal = link_refusal(link.url)
        if refusal:
            self.status.say(refusal, error=True)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                try:
                    open_url(link.url)
                except OpenFailed as error:
                    self.status.say(str(error), error=True)
                    return
                self.status.say(f"Opened {link.url}")

        self._push_screen(ConfirmOpen(link_details(link)), answered)

    def confirm_attachment(self, item: Attachment) -> None:
        """Save first (opening needs a file), then ask with the saved path shown."""

        async def save_then_ask() -> None:
            path = await self._save(item)
            if path is None:
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    try:
                        open_file(path)
                    except OpenFailed as error:
                        self.status.say(str(error), error=True)
                        return
                    self.status.say(f"Opened {path}")
                else:
                    self.status.say(f"Saved {path} (not opened)")

            self._push_screen(ConfirmOpen(attachment_details(item, path)), answered)

        self._save_in_background(save_then_ask())

    # -- save ------------------------------------------------------------------------

    def save(self) -> None:
        """Pick an attachment (when there are several), ask where (the download directory
        offered; Tab completes), and save it there."""
        message = self.reader.message
        if not self._ready() or message is None:
            return
        items = list(message.attachments)
        if not items:
            self.status.say("This message has no attachments.")
            return

        def chosen(position: int | None) -> None:
            if position is not None:
                self.ask_where(items[position])

        if len(items) == 1:
            chosen(0)
            return
        labels = [
            Text(f"[{i.index}] {i.filename} ({i.content_type}, {decimal(i.size)})") for i in items
        ]
        self._push_screen(ItemPicker("Save which one?", labels), chosen)

    def ask_where(self, item: Attachment) -> None:
        """A directory keeps the attachment's (safe) name, a taken one gets " (1)"; a file
        path that exists is refused: nothing is ever overwritten."""
        from tui_mail.ui.screens.path_prompt import PathPrompt  # noqa: PLC0415

        async def save_to(typed: str) -> None:
            path = await self._save(item, typed)
            if path is not None:
                self.status.say(f"Saved {path}")

        def answered(typed: str | None) -> None:
            if typed and typed.strip():
                self._save_in_background(save_to(typed.strip()))

        title = f"Save {sanitize_line(item.filename)} to (a directory, or a new file's path):"
        self._push_screen(PathPrompt(title, f"{self.download_dir}/"), answered)

    async def _save(self, item: Attachment, typed: str | None = None) -> Path | None:
        """Into the download directory, or to what the user `typed` (see ask_where)."""
        raw = self.reader.raw
        if raw is None:
            return None
        target = Path(typed).expanduser() if typed else self.download_dir
        try:
            data = await asyncio.to_thread(attachment_data, raw, item.index)
            if data is None:
                self.status.say(f"Attachment {item.index} could not be decoded.", error=True)
                return None
            if typed and not typed.endswith("/") and not target.is_dir():
                try:
                    await asyncio.to_thread(write_new_private, target, data, force=False)
                except SaveRefused:
                    if not target.exists():
                        raise
                    self.status.say(f"{target} exists already; not overwriting it: "
                                    "give another name (S again).", error=True)  # fmt: skip
                    return None
                return target
            return await asyncio.to_thread(save_attachment, data, item.filename, target)
        except (SaveFailed, TuiMailError) as error:
            self.status.say(str(error), error=True)
            return None

    # -- load all --------------------------------------------------------------------

    def load_all(self) -> None:
        """Render the open message again without the size limit, off the UI loop."""
        raw = self.reader.raw
        if not self._ready() or raw is None:
            return
        if not self.reader.truncated:
            self.status.say("The whole message is already shown.")
            return

        self._render_whole(raw)

    async def render_all(self, raw: bytes) -> None:
        """In the screen's "reader" worker: opening another message cancels this one."""
        self.status.say("Rendering the whole message…")
        rendered = await asyncio.to_thread(render_message, raw, max_body_chars=FULL_BODY_CHARS)
        reader = self.reader
        if reader.raw is raw:  # still the same message
            reader.show_message(rendered, full_headers=reader.full_headers)
            self.status.say("Showing the whole message.")
