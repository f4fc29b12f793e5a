"""MessageList: a virtual list that draws only the rows on screen.

Rows come from a `MessageSource` (core/store/message_index.py), which reads summaries from the
store a page at a time, so a 100,000-message folder costs what a screenful costs. Text from
messages is put on screen as `rich.text.Text` (never markup), already sanitised by the core.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_mail.core.account.limited import every_ref
from tui_mail.core.account.local_search import FoundMessages
from tui_mail.core.account.message_index import FolderMessages, MessageRef, MessageSource, Row
from tui_mail.core.message.correspondents import recipients_label
from tui_mail.core.message.headers import strip_reply_prefix

clock: Callable[[], float] = time.time
"""Where "today" comes from for the date column (the screenshots pin it)."""

PENDING_MARK = "↑"
"""Beside the markers of a message whose change waits for the server (offline triage)."""


class _EmptySource:
    def __len__(self) -> int:
        return 0

    def row(self, index: int) -> Row | None:
        return None

    def refresh(self) -> None:
        return None

    def refresh_rows(self) -> None:
        return None

    def index_of(self, ref: MessageRef) -> int | None:
        return None


def format_date(timestamp: int, now: time.struct_time, *, short: bool = False) -> str:
    """Today: 14:05; this year: Mar 04; older: 2023-11-15 (`short`: 2023)."""
    if not timestamp:
        return "-"
    when = time.localtime(timestamp)
    if when.tm_year == now.tm_year and when.tm_yday == now.tm_yday:
        return time.strftime("%H:%M", when)
    if when.tm_year == now.tm_year:
        return time.strftime("%b %d", when)
    return time.strftime("%Y" if short else "%Y-%m-%d", when)


MIN_SUBJECT = 20
"""Cells the subject keeps however narrow the list: the other columns give way first."""
MARKS_WIDTH = 6
"""N ! r @ * and the pending mark."""
MIN_WIDTH = MARKS_WIDTH + (6 + 2) + (8 + 2) + MIN_SUBJECT + 1
"""The narrowest list that keeps MIN_SUBJECT (short date, short sender, the scrollbar):
the folder pane is not widened, nor the reader put beside, past it."""


@dataclass(frozen=True)
class Columns:
    """How wide each column is drawn in a list `width` cells wide."""

    date: int
    sender: int
    account: int

    @classmethod
    def fit(cls, width: int, *, account: int) -> Columns:
        date, sender = 10, (14 if width < 90 else 22)

        def subject() -> int:
            return width - MARKS_WIDTH - (date + 2) - (sender + 2) - account

        # What gives way, in turn: the account's name, the sender's, the date's length.
        if subject() < MIN_SUBJECT:
            account = 0
        if subject() < MIN_SUBJECT:
            sender = max(8, sender - (MIN_SUBJECT - subject()))
        if subject() < MIN_SUBJECT:
            date = 6
        return cls(date, sender, account)


class MessageList(ScrollView, can_focus=True):
    """The messages of a folder (or a search, or the unified inbox), one per line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down",
                tooltip="Next message"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up",
                tooltip="Previous message"),
        Binding("g,home", "first", "First", show=False, id="list.first",
                tooltip="First message"),
        Binding("G,end", "last", "Last", show=False, id="list.last", tooltip="Last message"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="list.page_down",
                tooltip="Next page"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="list.page_up",
                tooltip="Previous page"),
        Binding("enter", "open", "Open", id="list.open", tooltip="Read the message"),
    ]  # fmt: skip

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "message-list--cursor",
        "message-list--unread",
        "message-list--marked",
        "message-list--flagged",
        "message-list--muted",
        "message-list--pending",
    }

    DEFAULT_CSS = """
    MessageList {
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    MessageList > .message-list--cursor {
        background: $mail-cursor-blurred-background;
        color: $mail-cursor-blurred-foreground;
    }
    MessageList:focus > .message-list--cursor {
        background: $mail-cursor-background;
        color: $mail-cursor-foreground;
    }
    MessageList > .message-list--unread {
        text-style: bold;
    }
    MessageList > .message-list--marked {
        background: $mail-marked-background;
        color: $mail-marked-foreground;
    }
    MessageList > .message-list--flagged {
        color: $error;
    }
    MessageList > .message-list--muted {
        color: $text-muted;
    }
    MessageList > .message-list--pending {
        color: $warning;
        text-style: bold;
    }
    /* NO_COLOR: the cursor must not depend on a background colour. */
    MessageList:nocolor > .message-list--cursor {
        background: $surface;
        color: $foreground;
        text-style: reverse;
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True)
    """Position of the highlighted row."""

    class Highlighted(Message):
        """The cursor moved to another message."""

        def __init__(self, ref: MessageRef | None) -> None:
            self.ref = ref
            super().__init__()

    class SourceReady(Message):
        """A source finished work on a background thread (threading a big folder)."""

        def __init__(self, apply: Callable[[], None]) -> None:
            self.apply = apply
            super().__init__()

    class MarksChanged(Message):
        """Messages were marked or unmarked (for a bulk action); `count` are marked now."""

        def __init__(self, count: int) -> None:
            self.count = count
            super().__init__()

    class SourceChanged(Message):
        """The list shows another source (a folder, search results, a limited view)."""

        def __init__(self, source: MessageSource) -> None:
            self.source = source
            super().__init__()

    class Selected(Message):
        """The user asked to read a message (Enter or click)."""

        def __init__(self, ref: MessageRef) -> None:
            self.ref = ref
            super().__init__()

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.source: MessageSource = _EmptySource()
        self.marked: set[MessageRef] = set()
        self.pending: frozenset[MessageRef] = frozenset()
        """Messages with a change queued for the server; shown with PENDING_MARK."""
        self.show_account = False
        self.place: Callable[[MessageRef], str] | None = None
        """What the account column shows instead (search results: each row's folder)."""
        self._own_mail: Callable[[Row], bool] | None = None
        """Whether a row is the user's own mail (Sent, Drafts, from one of the account's
        addresses): such rows show their recipients where others show the sender."""
        self._now = time.localtime(clock())

    # -- data --------------------------------------------------------------------------

    def tell_own_mail(self, own_mail: Callable[[Row], bool]) -> None:
        """How to tell the user's own mail (its rows show the recipients)."""
        self._own_mail = own_mail

    def show_from_top(
        self,
        source: MessageSource,
        *,
        show_account: bool | None = None,
        place: Callable[[MessageRef], str] | None = None,
    ) -> None:
        """Show another list from its first message; `show_account`: rows name their
        account (the unified inbox); `place`: what that column says instead."""
        if show_account is not None:
            self.show_account = show_account
        self.place = place
        self.set_source(source)
        self.cursor = 0

    def forget_size(self) -> None:
        """A size dragged for one arrangement of the panes means nothing in the other."""
        self.styles.height = None
        self.styles.width = None

    def set_source(self, source: MessageSource, *, keep: MessageRef | None = None) -> None:
        """Show another list; keep the cursor on `keep` when it is still there."""
        if source is not self.source:
            self.post_message(self.SourceChanged(source))
        self.source = source
        self._after_change(keep)

    def deliver(self, apply: Callable[[], None]) -> None:
        """For a source's background work (any thread): `apply` runs on ours, then the
        list redraws with the cursor on the same message."""
        self.post_message(self.SourceReady(apply))

    def on_message_list_source_ready(self, message: SourceReady) -> None:
        message.stop()
        keep = self.current
        message.apply()
        self._after_change(keep)

    def set_pending(self, refs: frozenset[MessageRef]) -> None:
        if refs != self.pending:
            self.pending = refs
            self.refresh()

    def reload(self) -> None:
        """The store changed (sync, new mail, an action): re-read, keep the cursor's message."""
        keep = self.current
        self.source.refresh()
        self._after_change(keep)

    def redraw_rows(self) -> None:
        """Flags changed: re-read the visible rows, the order stays."""
        self.source.refresh_rows()
        self.refresh()

    def _after_change(self, keep: MessageRef | None) -> None:
        self._now = time.localtime(clock())
        self.virtual_size = Size(self.size.width, len(self.source))
        index = self.source.index_of(keep) if keep is not None else None
        if index is not None and self.scroll_y > 0:
            # Rows arrived (or went) above: the view moves with the message, so what the
            # user reads stays where it was on screen. At the top it stays at the top,
            # where the newest mail shows.
            top = max(0, int(self.scroll_y) + index - self.cursor)
            self.scroll_to(y=top, animate=False, immediate=True)
        self.cursor = min(index if index is not None else self.cursor, max(0, len(self.source) - 1))
        self.refresh()

    @property
    def current(self) -> MessageRef | None:
        row = self.source.row(self.cursor)
        return row.ref if row is not None else None

    def row_at(self, index: int) -> Row | None:
        return self.source.row(index)

    def selection(self) -> list[MessageRef]:
        """What an action applies to: the marked messages, else the one under the cursor."""
        if self.marked:
            return sorted(self.marked, key=lambda r: (r.account, r.folder, r.uid))
        current = self.current
        return [current] if current is not None else []

    def toggle_mark(self) -> None:
        current = self.current
        if current is None:
            return
        self.marked.symmetric_difference_update({current})
        self.refresh_line(self.cursor - int(self.scroll_y))
        self.post_message(self.MarksChanged(len(self.marked)))

    def mark_all(self) -> int:
        """Mark every message the list shows (a 100,000-message folder in a blink: its
        UIDs are at hand, no summary is read); returns how many are marked."""
        self.marked = set(every_ref(self.source))
        self.refresh()
        self.post_message(self.MarksChanged(len(self.marked)))
        return len(self.marked)

    def clear_marks(self) -> None:
        if self.marked:
            self.marked.clear()
            self.refresh()
            self.post_message(self.MarksChanged(0))

    # -- cursor ------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._show_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def _show_cursor(self) -> None:
        height = self.scrollable_content_region.height or self.size.height
        if self.cursor < self.scroll_y:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif height and self.cursor >= self.scroll_y + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def on_resize(self) -> None:
        # The list shrinks when a message opens below it: the cursor stays in view.
        self.call_after_refresh(self._show_cursor)

    def _move(self, delta: int) -> None:
        if len(self.source):
            self.cursor = max(0, min(len(self.source) - 1, self.cursor + delta))

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self._move(len(self.source))

    def action_page_down(self) -> None:
        self._move(max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self._move(-max(1, self.size.height - 1))

    def action_open(self) -> None:
        current = self.current
        if current is not None:
            self.post_message(self.Selected(current))

    def move_to(self, index: int) -> None:
        if 0 <= index < len(self.source):
            self.cursor = index

    def step(self, delta: int) -> bool:
        """The cursor `delta` rows on; False (and it stays) when that is past either end."""
        index = self.cursor + delta
        if not 0 <= index < len(self.source):
            return False
        self.move_to(index)
        return True

    def jump_unread(self, step: int) -> bool:
        """The cursor to the next (1) or previous (-1) unread message; False when none."""
        index = self.cursor + step
        while 0 <= index < len(self.source):
            row = self.source.row(index)
            if row is not None and not row.summary.seen:
                self.move_to(index)
                return True
            index += step
        return False

    def forget(self, account: str, folder: str, uids: list[int]) -> bool:
        """Drop rows that left (moved, deleted) at once, without a re-read; False when the
        list shows neither that folder nor search results (the caller reloads instead)."""
        source, gone = self.source, [MessageRef(account, folder, uid) for uid in uids]
        current, position = self.current, self.cursor
        if isinstance(source, FoundMessages):  # search results, from many folders
            source.forget(gone)
        elif isinstance(source, FolderMessages) and (source.account, source.folder) == (
            account,
            folder,
        ):
            source.forget(uids)
        else:
            return False
        leaving = current in gone
        # The cursor stays on its message; when that one left, on the row now there.
        self.set_source(source, keep=None if leaving else current)
        if leaving:
            self.move_to(min(position, len(source) - 1))
        return True

    async def _on_click(self, event: events.Click) -> None:
        index = event.y + int(self.scroll_y)
        if 0 <= index < len(self.source):
            self.cursor = index
            self.action_open()

    # -- drawing -----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = y + int(self.scroll_y)
        width = self.scrollable_content_region.width or self.size.width
        row = self.source.row(index)
        base = self.rich_style
        if row is None:
            return Strip.blank(width, base)
        text = self._row_text(row, width)
        style = base
        if not row.summary.seen:
            style += self.get_component_rich_style("message-list--unread", partial=True)
        # The cursor and marks paint the whole row, over the colours of its columns (a
        # muted date or a red flag would lose their contrast on the bar).
        over: Style | None = None
        if row.ref in self.marked:
            over = self.get_component_rich_style("message-list--marked", partial=True)
        if index == self.cursor:
            cursor = self.get_component_rich_style("message-list--cursor", partial=True)
            over = over + cursor if over is not None else cursor
        segments = list(Segment.apply_style(text.render(self.app.console), style, over))
        return Strip(segments, text.cell_len).adjust_cell_length(width, style)

    def _row_text(self, row: Row, width: int) -> Text:
        summary = row.summary
        marks = (
            ("N" if not summary.seen else " ")
            + ("!" if summary.flagged else " ")
            + ("r" if summary.answered else ("f" if summary.keywords and "$Forwarded" in
                                              summary.keywords else " "))
            + ("@" if summary.has_attachment else " ")
            + ("*" if row.ref in self.marked else " ")
        )  # fmt: skip
        columns = Columns.fit(width, account=17 if self.place else 11 if self.show_account else 0)
        date = format_date(summary.date, self._now, short=columns.date < 10)
        sender_width = columns.sender
        where = self.place(row.ref) if self.place is not None else row.ref.account
        account = _fit_cells(where, columns.account - 1) + " " if columns.account else ""
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        flagged = self.get_component_rich_style("message-list--flagged", partial=True)
        text.append(marks[:2], flagged if summary.flagged else Style())
        text.append(marks[2:])
        if row.ref in self.pending:
            text.append(PENDING_MARK, self.get_component_rich_style("message-list--pending"))
        else:
            text.append(" ")
        muted = self.get_component_rich_style("message-list--muted", partial=True)
        text.append(f"{date:>{columns.date}}  ", muted)
        if account:
            text.append(account, muted)
        sender = self._correspondent(row)
        text.append(_fit_cells(sender, sender_width) + "  ")
        if row.guide:
            # In a thread, "Re:" says nothing the tree lines do not.
            text.append(row.guide, muted)
            text.append(strip_reply_prefix(summary.subject) or summary.subject or "(no subject)")
        else:
            text.append(summary.subject or "(no subject)")
        text.truncate(width, overflow="ellipsis", pad=True)
        return text

    def _correspondent(self, row: Row) -> str:
        """The sender, or "To: ..." for the user's own mail (like mutt's %F, aerc)."""
        if self._own_mail is not None and self._own_mail(row):
            return recipients_label(row.summary.to)
        return row.summary.sender or "(no sender)"


def _fit_cells(text: str, width: int) -> str:
    """Exactly `width` terminal cells: padded, or cut with an ellipsis (CJK is two cells)."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"
