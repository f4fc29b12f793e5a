"""Triage on the main screen: read/flag toggles, delete, archive, move, marks, undo.

A helper of the main screen, given the message list, the status bar and the services
(kept apart so neither file grows past what one can read at once). Every action goes
through AccountService and reports in the status bar in plain words. Actions and undos
run one at a time, in the order pressed, so an undo pressed right after an action takes
back that action and not the one before.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_mail.core.account.message_index import MessageRef
from tui_mail.core.errors import TuiMailError
from tui_mail.core.folders.names import find_folder, resolve_folder
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.models import Flag, FolderRole, MessageSummary
from tui_mail.ui.main.undo import Undo, UndoStack, count
from tui_mail.ui.screens.folder_picker import FolderPicker

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.ports import PushScreen
    from tui_mail.ui.main.status import StatusBar

Action = Callable[[], Awaitable[str]]
"""A triage action or undo: does it, and returns what it did for the status bar."""


@dataclass(frozen=True)
class _Moved:
    """One account's and folder's part of a move: what its undo needs."""

    account: str
    source: str
    uids: list[int]
    target: str
    summaries: list[MessageSummary]
    """As the cache had them before the move: how the messages are found (Message-ID)
    and shown again when the undo is made offline."""


class Triage:
    """Acts on the message list's selection through the services; says so in the status bar."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        messages: MessageList,
        status: StatusBar,
        *,
        run: Callable[[Action], object],
        counts_changed: Callable[[str], None],
        push_screen: PushScreen,
    ) -> None:
        """`run` hands an action to the screen's "triage" worker (which awaits
        `run_in_order`); `counts_changed(account)` shows that account's unread counts again."""
        self.services = services
        self.messages = messages
        self.status = status
        self._run = run
        self._counts_changed = counts_changed
        self._push_screen = push_screen
        self.undo_stack = UndoStack()
        self._in_order = asyncio.Lock()

    def _by_folder(self, refs: list[MessageRef]) -> dict[tuple[str, str], list[int]]:
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for ref in refs:
            groups[(ref.account, ref.folder)].append(ref.uid)
        return groups

    def _selection(self) -> list[MessageRef]:
        refs = self.messages.selection()
        if not refs:
            self.status.say("No message here.")
        return refs

    def _has_flags(self, refs: list[MessageRef], flag: Flag) -> dict[MessageRef, bool]:
        """Whether each message has `flag`, as cached: read a folder at a time (a
        mark-all of 100,000 is a few hundred queries, not one each)."""
        found: dict[MessageRef, bool] = {}
        for (account, folder), uids in self._by_folder(refs).items():
            cached = self.services[account].cache.summaries(folder, uids)
            for uid in uids:
                summary = cached.get(uid)
                found[MessageRef(account, folder, uid)] = (
                    summary is not None and flag in summary.flags
                )
        return found

    def toggle_read(self) -> None:
        self._toggle(Flag.SEEN, "read", "unread")

    def toggle_flag(self) -> None:
        self._toggle(Flag.FLAGGED, "flagged", "unflagged")

    def set_flag(self, flag: Flag, *, on: bool) -> None:
        """`:read`, `:unflag` ...: one direction, whatever the messages hold now."""
        refs = self._selection()
        words = {Flag.SEEN: ("read", "unread"), Flag.FLAGGED: ("flagged", "unflagged")}[flag]
        if refs:
            shown = words if on else (words[1], words[0])
            self._run_action(lambda: self._set_flag(refs, flag, on, shown))

    def _toggle(self, flag: Flag, on_word: str, off_word: str) -> None:
        refs = self._selection()
        if not refs:
            return
        first = self.messages.row_at(self.messages.cursor)
        # Like mutt: one direction for the whole selection, decided by the current message.
        turn_on = not (first is not None and flag in first.summary.flags)
        words = (on_word, off_word) if turn_on else (off_word, on_word)
        self._run_action(lambda: self._set_flag(refs, flag, turn_on, words))

    async def _set_flag(
        self, refs: list[MessageRef], flag: Flag, on: bool, words: tuple[str, str]
    ) -> str:
        done_word, undone_word = words
        # Undo puts back only what this changed: a message that was read already stays read.
        had = self._has_flags(refs, flag)
        changed = [ref for ref in refs if had[ref] != on]
        for (account, folder), uids in self._by_folder(refs).items():
            await self.services[account].set_flag(folder, uids, flag, on=on)
            self._counts_changed(account)
        self.messages.redraw_rows()
        if not changed:
            return f"{count(len(refs))} already {done_word}."
        left = self._by_folder(changed)

        async def undo() -> str:
            while left:
                (account, folder), uids = next(iter(left.items()))
                await self.services[account].set_flag(folder, uids, flag, on=not on)
                del left[(account, folder)]
                self._counts_changed(account)
            self.messages.redraw_rows()
            return f"Undone: {count(len(changed))} marked {undone_word} again."

        self.undo_stack.push(Undo(f"{count(len(changed))} marked {done_word}", undo))
        return f"{count(len(refs))} marked {done_word}. z undoes."

    def delete(self) -> None:
        refs = self._selection()
        if refs:
            self._run_action(lambda: self._move(refs, FolderRole.TRASH, None))

    def archive(self) -> None:
        refs = self._selection()
        if refs:
            self._run_action(lambda: self._move(refs, FolderRole.ARCHIVE, None))

    def move(self) -> None:
        refs = self._selection()
        if not refs:
            return
        accounts = {ref.account for ref in refs}
        if len(accounts) > 1:
            self.status.say("Moving between accounts is not possible; mark one account's mail.")
            return
        account = accounts.pop()
        folders = self.services[account].cache.folders()
        names = [f.name for f in folders if f.selectable]

        def chosen(folder: str | None) -> None:
            if folder:
                self._run_action(lambda: self._move(refs, None, folder))

        picker = FolderPicker(
            f"Move {len(refs)} message(s) to…", names, lambda typed: resolve_folder(typed, folders)
        )
        self._push_screen(picker, chosen)

    def move_to(self, typed: str) -> None:
        """`:move FOLDER`: the folder as typed (a name, a role such as "archive", or without
        the personal namespace's prefix); a name that matches none is said, with those
        there are."""
        refs = self._selection()
        accounts = {ref.account for ref in refs}
        if len(accounts) != 1:
            self.move()  # nothing selected, or several accounts: move() says why
            return
        service = self.services[accounts.pop()]

        async def move() -> str:
            destination = await find_folder(service, typed)
            return await self._move(refs, None, destination)

        self._run_action(move)

    async def _move(
        self, refs: list[MessageRef], role: FolderRole | None, destination: str | None
    ) -> str:
        moved: list[_Moved] = []
        gone = 0  # deleted for good (in Trash, or no Trash): nothing to undo
        for (account, folder), uids in self._by_folder(refs).items():
            service = self.services[account]
            cached = service.cache.summaries(folder, uids)
            summaries = [cached[uid] for uid in uids if uid in cached]
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
                moved.append(_Moved(account, folder, uids, target, summaries))
            else:
                gone += len(uids)
            self._forget(account, folder, uids)
        self.messages.clear_marks()
        parts = [f"{count(len(m.uids))} moved to {sanitize_line(m.target)}" for m in moved]
        if gone:
            parts.append(f"{count(gone)} deleted for good (no undo)")
        if moved:
            self.undo_stack.push(Undo("; ".join(parts), self._undo_moves(moved)))
        return "; ".join(parts) + "." + (" z undoes." if moved else "")

    def _undo_moves(self, moved: list[_Moved]) -> Callable[[], Awaitable[str]]:
        left = list(moved)
        said: list[str] = []

        async def undo() -> str:
            while left:
                part = left[0]
                service = self.services[part.account]
                # Offline, a move still queued is dropped from the queue; one the server
                # did is reversed when it is back (see AccountService.undo_move).
                ids = [s.message_id for s in part.summaries]
                back = await service.undo_move(part.source, part.uids, part.target, ids,
                                               part.summaries)  # fmt: skip
                left.pop(0)
                self._counts_changed(part.account)
                where = f"back to {sanitize_line(part.source)} from {sanitize_line(part.target)}"
                if back >= len(part.uids):
                    said.append(f"{count(len(part.uids))} moved {where}")
                else:
                    said.append(
                        f"{back} of {count(len(part.uids))} moved {where} (the others were "
                        f"no longer in {sanitize_line(part.target)})"
                    )
            self.messages.reload()
            return "Undone: " + "; ".join(said) + "."

        return undo

    def _forget(self, account: str, folder: str, uids: list[int]) -> None:
        if not self.messages.forget(account, folder, uids):
            self.messages.reload()
        self._counts_changed(account)

    def undo(self) -> None:
        async def undo_last() -> str:
            entry = self.undo_stack.pop()
            if entry is None:
                return "Nothing to undo."
            try:
                return await entry.undo()
            except TuiMailError as error:
                self.undo_stack.push(entry)  # what is left of it, for another z
                raise TuiMailError(
                    f"Could not undo ({entry.description}): {error} z tries again."
                ) from error

        self._run_action(undo_last)

    def _run_action(self, action: Action) -> None:
        """Run `action` after those pressed before it; say what it did (or why not)."""
        self._run(action)

    async def run_in_order(self, action: Action) -> None:
        """In the screen's "triage" worker, one action at a time in the order pressed."""
        async with self._in_order:
            try:
                self.status.say(await action())
            except TuiMailError as error:
                self.status.say(str(error), error=True)

    def mark(self) -> None:
        self.messages.toggle_mark()
        self.messages.action_cursor_down()

    def jump_unread(self, step: int) -> bool:
        """Move the cursor to the next (1) or previous (-1) unread message; False when
        there is none (the status bar says so)."""
        if self.messages.jump_unread(step):
            return True
        self.status.say("No more unread messages.")
        return False

    def next_unread(self) -> None:
        self.jump_unread(1)

    def previous_unread(self) -> None:
        self.jump_unread(-1)
