"""Triage on the main screen: read/flag toggles, delete, archive, move, marks, undo.

A mixin of MainScreen (kept apart so neither file grows past what one can read at once).
Every action goes through AccountService and reports in the status bar in plain words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.widgets import Input

from tui_mail.core.errors import TuiMailError
from tui_mail.core.folder_names import resolve_folder
from tui_mail.core.message_index import FolderMessages, MessageRef
from tui_mail.core.models import Flag, FolderRole
from tui_mail.ui.screens.folder_picker import FolderPicker

if TYPE_CHECKING:
    from tui_mail.ui.screens.main import MainScreen


@dataclass(frozen=True)
class Undo:
    """How to take back the last action."""

    description: str
    undo: Callable[[], Awaitable[str]]


class Triage:
    """Acts on a MainScreen through its widgets and services."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.last_undo: Undo | None = None

    def _by_folder(self, refs: list[MessageRef]) -> dict[tuple[str, str], list[int]]:
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for ref in refs:
            groups[(ref.account, ref.folder)].append(ref.uid)
        return groups

    def _selection(self) -> list[MessageRef]:
        refs = self.screen.messages.selection()
        if not refs:
            self.screen.status.say("No message here.")
        return refs

    def toggle_read(self) -> None:
        self._toggle(Flag.SEEN, "read", "unread")

    def toggle_flag(self) -> None:
        self._toggle(Flag.FLAGGED, "flagged", "unflagged")

    def _toggle(self, flag: Flag, on_word: str, off_word: str) -> None:
        refs = self._selection()
        if not refs:
            return
        first = self.screen.messages.row_at(self.screen.messages.cursor)
        # Like mutt: one direction for the whole selection, decided by the current message.
        turn_on = not (first is not None and flag in first.summary.flags)
        self._run_action(self._set_flag(refs, flag, turn_on, on_word if turn_on else off_word))

    async def _set_flag(self, refs: list[MessageRef], flag: Flag, on: bool, word: str) -> str:
        for (account, folder), uids in self._by_folder(refs).items():
            await self.screen.services[account].set_flag(folder, uids, flag, on=on)

        async def undo() -> str:
            for (account, folder), uids in self._by_folder(refs).items():
                await self.screen.services[account].set_flag(folder, uids, flag, on=not on)
            self.screen.messages.redraw_rows()
            return f"Undone: {len(refs)} marked {word} again as before."

        self.last_undo = Undo(f"{len(refs)} marked {word}", undo)
        self.screen.messages.redraw_rows()
        return f"{len(refs)} message(s) marked {word}. z undoes."

    def delete(self) -> None:
        refs = self._selection()
        if refs:
            self._run_action(self._move(refs, FolderRole.TRASH, None))

    def archive(self) -> None:
        refs = self._selection()
        if refs:
            self._run_action(self._move(refs, FolderRole.ARCHIVE, None))

    def move(self) -> None:
        refs = self._selection()
        if not refs:
            return
        accounts = {ref.account for ref in refs}
        if len(accounts) > 1:
            self.screen.status.say(
                "Moving between accounts is not possible; mark one account's mail."
            )
            return
        account = accounts.pop()
        folders = self.screen.services[account].cached_folders()
        names = [f.name for f in folders if f.selectable]

        def chosen(folder: str | None) -> None:
            if folder:
                self._run_action(self._move(refs, None, folder))

        picker = FolderPicker(
            f"Move {len(refs)} message(s) to…", names, lambda typed: resolve_folder(typed, folders)
        )
        self.screen.app.push_screen(picker, chosen)

    async def _move(
        self, refs: list[MessageRef], role: FolderRole | None, destination: str | None
    ) -> str:
        moved: list[tuple[str, str, list[int], str, list[str]]] = []  # account, from, uids, to, ids
        for (account, folder), uids in self._by_folder(refs).items():
            service = self.screen.services[account]
            ids = [s.message_id for uid in uids if (s := service.summary(folder, uid))]
            if role is FolderRole.TRASH:
                target = await service.delete(folder, uids)
            elif role is FolderRole.ARCHIVE:
                target = await service.archive(folder, uids)
            elif destination is not None:
                await service.move(folder, uids, destination)
                target = destination
            else:
                continue
            if target is not None:
                moved.append((account, folder, uids, target, ids))
            self._forget(account, folder, uids)
        self.screen.messages.marked.clear()
        where = ", ".join(sorted({m[3] for m in moved})) or "nowhere (deleted for good)"
        if moved:

            async def undo() -> str:
                for account, source, uids, target, ids in moved:
                    # Offline, a move still queued is just dropped from the queue.
                    await self.screen.services[account].undo_move(source, uids, target, ids)
                    self.screen.update_counts(account)
                self.screen.messages.reload()
                return f"Undone: {len(refs)} message(s) back where they were."

            self.last_undo = Undo(f"moved to {where}", undo)
        else:
            self.last_undo = None
        return f"{len(refs)} message(s) moved to {where}." + (" z undoes." if moved else "")

    def _forget(self, account: str, folder: str, uids: list[int]) -> None:
        source = self.screen.messages.source
        if isinstance(source, FolderMessages) and (source.account, source.folder) == (
            account,
            folder,
        ):
            keep = self.screen.messages.cursor
            source.forget(uids)
            self.screen.messages.set_source(source)
            self.screen.messages.move_to(min(keep, len(source) - 1))
        else:
            self.screen.messages.reload()
        self.screen.update_counts(account)

    def undo(self) -> None:
        if self.last_undo is None:
            self.screen.status.say("Nothing to undo.")
            return
        undo, self.last_undo = self.last_undo, None
        self._run_action(undo.undo())

    def _run_action(self, action: Awaitable[str]) -> None:
        async def run() -> None:
            try:
                self.screen.status.say(await action)
            except TuiMailError as error:
                self.screen.status.say(str(error), error=True)

        self.screen.run_worker(run(), group="triage", exit_on_error=False)

    def mark(self) -> None:
        self.screen.messages.toggle_mark()
        self.screen.messages.action_cursor_down()

    def cancel(self) -> None:
        search = self.screen.query_one("#search", Input)
        if search.has_class("-open"):
            search.remove_class("-open")
            self.screen.messages.focus()
        if self.screen.searching is not None:
            self.screen.show_folder(self.screen.current)
        elif self.screen.messages.marked:
            self.screen.messages.marked.clear()
            self.screen.messages.refresh()

    def _jump_unread(self, step: int) -> None:
        source = self.screen.messages.source
        index = self.screen.messages.cursor + step
        while 0 <= index < len(source):
            row = source.row(index)
            if row is not None and not row.summary.seen:
                self.screen.messages.move_to(index)
                return
            index += step
        self.screen.status.say("No more unread messages.")

    def next_unread(self) -> None:
        self._jump_unread(1)

    def previous_unread(self) -> None:
        self._jump_unread(-1)
