"""Limit and mark-all on the main screen: the list narrowed to a query, every message marked.

A helper like Search and Triage (it holds no screen): `l` opens the `:` line with "limit "
(and the limit on show), and the `:limit` command calls `apply(args)`; the view is
core/account/limited.py's, matched from the cache on its own thread (never the server, so it
works offline) and matched again whenever the list reloads (new mail, a sync, an action), so
the limit stays. The status bar keeps a short "limited: QUERY N/TOTAL" beside the marks
while it holds.

Escape, in order (MainScreen.action_cancel, then `cancel` here): it closes an open search
line and leaves search results; else it clears the marks; else (when it closed no search
line) it clears the limit. So after `V` (mark all) in a limited view, a first Escape
unmarks and a second shows the folder again. A folder chosen, a search, or T (threads)
shows a whole list again, and the limit goes with the view it narrowed.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tui_mail.core.account.limited import LimitedMerged, LimitedMessages
from tui_mail.core.query import parse_query

if TYPE_CHECKING:
    from tui_mail.core.account.message_index import MessageSource
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.sort import SortSpec
    from tui_mail.ui.main.folder_tree import FolderKey
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.search import Search
    from tui_mail.ui.main.status import StatusBar

SHOWN_QUERY = 22
"""Characters of the query the status bar keeps (80 columns hold the rest beside it)."""


LIMIT_HELP = (
    "Limit (l, :limit QUERY): show only the messages matching a search (the / language), "
    "from the cache, so it works offline. from: to: cc: subject: since: before: is: look "
    "at every message; body: and plain words look into the text only of messages read "
    "before (whose body is cached). Esc or :limit alone shows the whole folder again."
)
"""What a limit can look at, for the help screen."""


class Limit:
    """Narrows the message list to a query, and marks every message of what it shows."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        messages: MessageList,
        status: StatusBar,
        search: Search,
        sort: Callable[[FolderKey], SortSpec],
    ) -> None:
        """`search` tells which folder the list shows and shows it whole again; `sort(key)`
        is the order that folder is shown in (the limited view keeps it)."""
        self.services = services
        self.messages = messages
        self.status = status
        self.search = search
        self._sort = sort
        self.query: str | None = None
        """The limit the list shows (as typed); None when it is not limited."""
        self._source: LimitedMessages | LimitedMerged | None = None
        self._told = False

    @property
    def active(self) -> bool:
        return self._source is not None

    # -- the command and the key ------------------------------------------------------

    def apply(self, args: list[str]) -> None:
        """`:limit QUERY...`: limit the list to the messages matching the words (the search
        language); no words clears the limit. Raises UsageError on a query that cannot be
        read (its sentence says why)."""
        if not args:
            self.clear()
            return
        text = shlex.join(args)
        query = parse_query(text)
        key = self.search.shown
        deliver = self.messages.deliver
        source: LimitedMessages | LimitedMerged
        sort = self._sort(key)
        if key.unified:
            source = LimitedMerged(
                [s.cache.limited("INBOX", query, deliver=deliver, sort=sort)
                 for s in self.services.values()],
                sort=sort, on_matched=self._matched,
            )  # fmt: skip
        else:
            service = self.services[key.account]
            source = service.cache.limited(
                key.folder, query, deliver=deliver, on_matched=self._matched, sort=sort
            )
        self.search.reset()  # a limit narrows the folder, not search results
        self.messages.clear_marks()
        self.query, self._source, self._told = text, source, False
        self.messages.show_from_top(source)
        self.status.say(f"Limiting to {text}…")
        self.status.show_limit(f"limited: {self._short()} …")

    def reapply(self) -> bool:
        """The folder's order changed: limit again, in the new order. False when the list
        is not limited."""
        if self.query is None:
            return False
        self.apply(shlex.split(self.query))
        return True

    def clear(self) -> bool:
        """`:limit` with no words, or Escape: show the whole folder again, the cursor on the
        message it was on. False when the list was not limited."""
        if self._source is None:
            return False
        current = self.messages.current
        self.search.back_to_folder()  # posts SourceChanged: `source_changed` forgets us
        self._forget()
        index = self.messages.source.index_of(current) if current is not None else None
        if index is not None:
            self.messages.move_to(index)
        self.status.say(f"Showing all {len(self.messages.source):,} messages.")
        return True

    def cancel(self, *, keep_limit: bool = False) -> None:
        """Escape, after the search line and search results: the marks, then the limit
        (`keep_limit`: this Escape closed the search line, which is enough)."""
        if self.messages.marked:
            self.messages.clear_marks()
        elif not keep_limit:
            self.clear()

    def mark_all(self) -> None:
        """`V`, `:mark-all`: mark every message of the view (limited, search results or
        folder) so that d, a, m, s and ! act on them all."""
        count = self.messages.mark_all()
        if count:
            self.status.say(f"{count:,} marked: d a m s ! act on them all; Esc unmarks.")
        else:
            self.status.say("Nothing here to mark.")

    # -- what the view tells ----------------------------------------------------------

    def source_changed(self, source: MessageSource) -> None:
        """The list shows another source: the limit went with the view it narrowed."""
        # The list's source now, not the event's: a newer limit may be on show already.
        del source
        if self._source is not None and self.messages.source is not self._source:
            self._forget()

    def _forget(self) -> None:
        self.query, self._source = None, None
        self.status.show_limit(None)

    def _matched(self) -> None:
        """On the UI thread, each time the view was matched (at first and after changes)."""
        source = self._source
        if source is None or self.messages.source is not source:
            return
        if source.error is not None:
            self.status.say(f"Could not limit to {self.query}: {source.error}", error=True)
            return
        if not source.matched:
            return
        shown, total = len(source), source.total
        self.status.show_limit(f"limited: {self._short()} {shown:,}/{total:,}")
        if not self._told:
            self._told = True
            self.status.say(f"Limited to {self.query}: {shown:,} of {total:,}. Esc clears.")

    def _short(self) -> str:
        text = self.query or ""
        return text if len(text) <= SHOWN_QUERY else text[: SHOWN_QUERY - 1] + "…"
