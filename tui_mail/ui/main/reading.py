"""Reading on the main screen: the reader keeps up with the message list.

A collaborator of MainScreen, like Triage. The rule it keeps: the reader shows the message
under the list's cursor, or nothing. Whatever moves the cursor off the open message (an
action that takes it away, another folder, a sync that removed it, the list emptied)
clears the reader; the keys of the reader (j/k, n/N, Space, Enter) move the cursor AND open
the message there, as in mutt's pager.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tui_mail.core.errors import TuiMailError

if TYPE_CHECKING:
    from tui_mail.core.account.message_index import MessageRef
    from tui_mail.ui.main.screen import MainScreen


class Reading:
    """Opens, follows and clears the message in a MainScreen's reader."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.wanted: MessageRef | None = None
        """The message asked for (loading or shown); None when the reader is empty."""

    # -- opening and clearing ----------------------------------------------------------

    def open(self, ref: MessageRef) -> None:
        """Fetch, render and show `ref` (the message under the list's cursor)."""
        self.wanted = ref
        self.screen.load_message(ref)

    async def load(self, ref: MessageRef) -> None:
        """In the screen's "reader" worker: a newer `open` cancels this one."""
        from tui_mail.core.message.mime import render_message  # noqa: PLC0415
        from tui_mail.ui.main.reader import INITIAL_BODY_CHARS  # noqa: PLC0415

        screen = self.screen
        service = screen.services[ref.account]
        screen.reader.show_notice("Loading…")
        try:
            raw = await service.fetch_raw(ref.folder, ref.uid, mark_seen=True)
        except TuiMailError as error:
            if self.wanted == ref:
                screen.reader.show_notice(str(error), error=True)
            return
        # Rendering a 10 MB message takes a fraction of a second: keep it off the UI loop.
        rendered = await asyncio.to_thread(render_message, raw, max_body_chars=INITIAL_BODY_CHARS)
        if self.wanted != ref:  # the list moved on meanwhile
            return
        screen.reader.show_open(ref, raw, rendered)
        screen.messages.redraw_rows()
        screen.update_counts(ref.account)

    def clear(self) -> None:
        """Nothing open: the reader says so instead of showing a message that left."""
        screen = self.screen
        self.wanted = None
        screen.workers.cancel_group(screen, "reader")
        screen.reader.close()

    def follow(self) -> None:
        """The list changed or its cursor moved: clear the reader when the message under
        the cursor is no longer the open one."""
        if self.wanted is not None and self.screen.messages.current != self.wanted:
            self.clear()

    # -- the reader's keys -------------------------------------------------------------

    def open_current(self) -> None:
        current = self.screen.messages.current
        if current is None:
            self.screen.status.say("No message here.")
            return
        self.open(current)

    def step(self, delta: int) -> None:
        """j/k in the reader: the next or previous message in the list, opened."""
        if not self.screen.messages.step(delta):
            self.screen.status.say("No more messages." if delta > 0 else "This is the first one.")
            return
        self.open_current()

    def unread(self, step: int) -> None:
        """n/N in the reader: the next or previous unread message, opened."""
        if self.screen.triage.jump_unread(step):
            self.open_current()

    def page(self) -> None:
        """Space: the next page, and at the end the next unread message."""
        reader = self.screen.reader
        if self.wanted is None:
            self.open_current()
        elif reader.at_end:
            self.unread(1)
        else:
            reader.action_page_down()

    # -- views of the open message -----------------------------------------------------

    def toggle_raw(self) -> None:
        """U: the raw source, and back to the message."""
        if not self.screen.reader.toggle_raw():
            self.screen.status.say("Open a message first (Enter).")

    def toggle_headers(self) -> None:
        """h: every header, and back to the usual few (also from the raw source)."""
        full = self.screen.reader.toggle_headers()
        self.screen.status.say("All headers." if full else "The usual headers.")
