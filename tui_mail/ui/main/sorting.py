"""Sorting the message list: the O key's picker, `:sort` (`apply`), and the order each
folder was last given, remembered between runs.

A helper of the main screen like Triage: given the list, the status bar and the services,
never the screen. It also makes the list's sources (flat, threaded or the unified inbox),
since each is made in the order chosen for its folder. The list keeps the highlighted
message when re-sorted (MessageList.set_source with `keep`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tui_mail.core.account.message_index import MergedMessages, MessageSource
from tui_mail.core.errors import UsageError
from tui_mail.core.sort import DEFAULT_SORT, REVERSE_WORDS, SortSpec, parse_sort
from tui_mail.ui.main.folder_tree import UNIFIED, FolderKey
from tui_mail.ui.screens.sort_picker import SortPicker

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.ports import PushScreen
    from tui_mail.ui.main.status import StatusBar

REMEMBERED = 200
"""Folders whose order is kept (the most recently sorted); the others open by date."""


class SortChoices:
    """The order chosen per (account, folder), as ui-state.json keeps it: a list of
    [account, folder, "-r from"], most recent last, defaults left out, at most REMEMBERED.
    Whatever in the file is not that shape is ignored (the file is the user's to edit)."""

    def __init__(self, saved: object) -> None:
        self._chosen: dict[tuple[str, str], SortSpec] = {}
        for entry in saved if isinstance(saved, list) else []:
            if not (isinstance(entry, list) and len(entry) == 3):
                continue
            account, folder, words = entry
            if not all(isinstance(part, str) for part in entry):
                continue
            try:
                self._chosen[(account, folder)] = parse_sort(str(words).split())
            except UsageError:
                continue

    @staticmethod
    def _key(key: FolderKey) -> tuple[str, str]:
        # The unified inbox is one list whichever account's node stands for it.
        return ("", UNIFIED) if key.unified else (key.account, key.folder)

    def get(self, key: FolderKey) -> SortSpec:
        return self._chosen.get(self._key(key), DEFAULT_SORT)

    def set(self, key: FolderKey, spec: SortSpec) -> None:
        self._chosen.pop(self._key(key), None)
        if not spec.is_default:
            self._chosen[self._key(key)] = spec
        while len(self._chosen) > REMEMBERED:
            del self._chosen[next(iter(self._chosen))]

    def saved(self) -> list[list[str]]:
        return [[account, folder, str(spec)] for (account, folder), spec in self._chosen.items()]


class Sorting:
    """How the list is sorted, per folder; the O key and `:sort`."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        messages: MessageList,
        status: StatusBar,
        *,
        folder: Callable[[], FolderKey],
        threaded: Callable[[], bool],
        searching: Callable[[], bool],
        remembered: object,
        remember: Callable[[object], None],
        push_screen: PushScreen,
        relimit: Callable[[], bool],
    ) -> None:
        """`relimit()` limits the list again (in the new order) when it is limited, and
        says whether it was."""
        self.services = services
        self.messages = messages
        self.status = status
        self._folder = folder
        self._threaded = threaded
        self._searching = searching
        self.choices = SortChoices(remembered)
        self._remember = remember
        self._push_screen = push_screen
        self._relimit = relimit

    def spec(self, key: FolderKey | None = None) -> SortSpec:
        """The order of `key` (default: the folder shown)."""
        return self.choices.get(key or self._folder())

    def source_for(self, key: FolderKey) -> MessageSource:
        """The list of `key` in its order: flat, threaded (T) or the unified inbox."""
        sort = self.spec(key)
        if key.unified:
            inboxes = [s.cache.folder_messages("INBOX") for s in self.services.values()]
            return MergedMessages(inboxes, sort)
        cache = self.services[key.account].cache
        if self._threaded():
            return cache.folder_messages(
                key.folder, threaded=True, deliver=self.messages.deliver, sort=sort
            )
        return cache.folder_messages(key.folder, sort=sort, deliver=self.messages.deliver)

    def shown(self, key: FolderKey) -> None:
        """A folder is on show: the status bar names its order when it is not by date."""
        spec = self.spec(key)
        self.status.show_sort("" if spec.is_default else f"by {spec.describe()}")

    def apply(self, args: list[str]) -> None:
        """`:sort ARGS`: ["from"], ["-r", "date"], ["reverse-size"]; no key: [] opens the
        picker (as O does), ["-r"] turns the current order over. Raises UsageError (a
        sentence naming the valid keys) for words it does not know."""
        words = [arg.strip().lower() for arg in args if arg.strip()]
        if not words:
            self.choose()
        elif set(words) <= REVERSE_WORDS:
            current, flips = self.spec(), len(words) % 2 == 1
            self.sort(SortSpec(current.key, reverse=current.reverse != flips))
        else:
            self.sort(parse_sort(args))

    def choose(self) -> None:
        """The O key: a picker of the keys, then sort by the one chosen."""
        self._push_screen(SortPicker(self.spec(), self.sort))

    def sort(self, spec: SortSpec) -> None:
        """Sort the folder shown by `spec` and remember it for that folder."""
        key = self._folder()
        self.choices.set(key, spec)
        self._remember(self.choices.saved())
        self.shown(key)
        said = f"Sorted by {spec.describe()}."
        if self._searching():
            self.status.say(f"{said[:-1]} when the search is closed; results stay by date.")
            return
        if not self._relimit():
            self.messages.set_source(self.source_for(key), keep=self.messages.current)
        self.status.say(said)
