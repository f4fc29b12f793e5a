"""Reading on the main screen: the reader keeps up with the message list.

A helper of the main screen, like Triage: given the list, the reader and the status bar.
The rule it keeps: the reader shows the message under the list's cursor, or nothing.
Whatever moves the cursor off the open message (an action that takes it away, another
folder, a sync that removed it, the list emptied) clears the reader; the keys of the
reader (j/k, n/N, Space, Enter) move the cursor AND open the message there, as in mutt's
pager.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.core.errors import TuiMailError

if TYPE_CHECKING:
    from tui_mail.core.account.message_index import MessageRef
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.crypto.reading import SecureRead
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.reader import Reader
    from tui_mail.ui.main.status import StatusBar


class Reading:
    """Opens, follows and clears the message in the main screen's reader."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        messages: MessageList,
        reader: Reader,
        status: StatusBar,
        *,
        load: Callable[[MessageRef], object],
        cancel_load: Callable[[], None],
        counts_changed: Callable[[str], None],
        jump_unread: Callable[[int], bool],
        suspend: Callable[[], AbstractContextManager[None]],
        data_dir: Path,
    ) -> None:
        """`load(ref)` starts the screen's "reader" worker (which awaits `load`) and
        `cancel_load` cancels it; `jump_unread(step)` moves the list to an unread message;
        `suspend` is App.suspend (a passphrase is asked for on the real terminal)."""
        self.services = services
        self.messages = messages
        self.reader = reader
        self.status = status
        self._load = load
        self._cancel_load = cancel_load
        self._counts_changed = counts_changed
        self._jump_unread = jump_unread
        self._suspend = suspend
        self._data_dir = data_dir
        self.locked: SecureRead | None = None
        """The open message, when its key needs a passphrase (`:unlock` asks for it)."""
        self.wanted: MessageRef | None = None
        """The message asked for (loading or shown); None when the reader is empty."""

    # -- opening and clearing ----------------------------------------------------------

    def open(self, ref: MessageRef) -> None:
        """Fetch, render and show `ref` (the message under the list's cursor)."""
        self.wanted = ref
        self._load(ref)

    async def load(self, ref: MessageRef) -> None:
        """In the screen's "reader" worker: a newer `open` cancels this one."""
        from tui_mail.core.crypto.reading import learn_autocrypt, read_secured  # noqa: PLC0415
        from tui_mail.core.crypto.verdict import Severity  # noqa: PLC0415
        from tui_mail.core.message.mime import render_message  # noqa: PLC0415
        from tui_mail.ui.main.reader import INITIAL_BODY_CHARS  # noqa: PLC0415

        service = self.services[ref.account]
        self.reader.show_notice("Loading…")
        try:
            raw = await service.fetch_raw(ref.folder, ref.uid, mark_seen=True)
        except TuiMailError as error:
            if self.wanted == ref:
                self.reader.show_notice(str(error), error=True)
            return
        # Checking signatures (gpg) and rendering a 10 MB message take a fraction of a
        # second each: keep them off the UI loop. A decrypted message stays in memory only.
        account = service.account
        await asyncio.to_thread(learn_autocrypt, raw, self._data_dir)
        secured = await asyncio.to_thread(
            read_secured, raw, smime_key=account.smime_key, smime_cert=account.smime_cert
        )
        rendered = await asyncio.to_thread(
            render_message, secured.raw, max_body_chars=INITIAL_BODY_CHARS
        )
        if self.wanted != ref:  # the list moved on meanwhile
            return
        self.locked = secured if secured.locked else None
        security = secured.lines
        if secured.locked:
            security = (*security, (Severity.WARN, ":unlock asks for the passphrase."))
        self.reader.show_open(ref, secured.raw, rendered, security)
        self.messages.redraw_rows()
        self._counts_changed(ref.account)

    def clear(self) -> None:
        """Nothing open: the reader says so instead of showing a message that left."""
        self.wanted = self.locked = None
        self._cancel_load()
        self.reader.close()

    def follow(self) -> None:
        """The list changed or its cursor moved: clear the reader when the message under
        the cursor is no longer the open one."""
        if self.wanted is not None and self.messages.current != self.wanted:
            self.clear()

    # -- the reader's keys -------------------------------------------------------------

    def open_current(self) -> None:
        current = self.messages.current
        if current is None:
            self.status.say("No message here.")
            return
        self.open(current)

    def step(self, delta: int) -> None:
        """j/k in the reader: the next or previous message in the list, opened."""
        if not self.messages.step(delta):
            self.status.say("No more messages." if delta > 0 else "This is the first one.")
            return
        self.open_current()

    def unread(self, step: int) -> None:
        """n/N in the reader: the next or previous unread message, opened."""
        if self._jump_unread(step):
            self.open_current()

    def page(self) -> None:
        """Space: the next page, and at the end the next unread message."""
        reader = self.reader
        if self.wanted is None:
            self.open_current()
        elif reader.at_end:
            self.unread(1)
        else:
            reader.action_page_down()

    # -- views of the open message -----------------------------------------------------

    def unlock(self) -> Awaitable[None] | None:
        """`:unlock`: ask for the open message's key passphrase on the terminal (the app
        is suspended; gpg's own pinentry asks, so the agent keeps it), then open it again.
        Returns the work for the screen's "command" worker."""
        locked, ref = self.locked, self.wanted
        if locked is None or ref is None:
            self.status.say("The open message needs no passphrase.")
            return None
        return self._unlock(locked, ref)

    async def _unlock(self, locked: SecureRead, ref: MessageRef) -> None:
        from textual.app import SuspendNotSupported  # noqa: PLC0415

        from tui_mail.core.crypto.gnupg import ask_on_this_terminal  # noqa: PLC0415
        from tui_mail.ui.main.export import run_in_terminal  # noqa: PLC0415

        ask_on_this_terminal()
        try:
            with self._suspend():
                ended = run_in_terminal(list(locked.unlock), locked.locked, "the message")
        except SuspendNotSupported:
            self.status.say("This terminal cannot be handed over for the passphrase; run "
                            "`gpg --decrypt` once in a shell, then open the message again.",
                            error=True)  # fmt: skip
            return
        self.status.say(ended, error=not ended.endswith("status 0."))
        if self.wanted == ref:
            self.open(ref)

    def toggle_raw(self) -> None:
        """U: the raw source, and back to the message."""
        if not self.reader.toggle_raw():
            self.status.say("Open a message first (Enter).")

    def toggle_headers(self) -> None:
        """h: every header, and back to the usual few (also from the raw source)."""
        full = self.reader.toggle_headers()
        self.status.say("All headers." if full else "The usual headers.")
