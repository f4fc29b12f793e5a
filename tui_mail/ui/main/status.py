"""StatusBar: each account's connection state, sync progress, and the last thing that happened.

KeyHints: the footer's key hints, as many as fit the width (the help key always does).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, ProgressBar, Static
from textual.widgets._footer import FooterKey

MESSAGE_SECONDS = 6.0
"""How long a message stays in the status bar (an error: twice as long). The accounts'
states ("offline") stay until they change."""

_STATE_STYLES = {
    "connected": "green",
    "idling": "green",
    "polling": "green",
    "reconnecting": "yellow",
    "syncing": "cyan",
    "connecting": "yellow",
    "offline": "red",
    "auth failed": "bold red",
    "error": "red",
    "server": "bold red",
}


class StatusBar(Horizontal):
    """One line at the bottom of the main screen."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $text-muted;
    }
    StatusBar > #status-accounts {
        width: auto;
        max-width: 50%;
        padding: 0 1;
    }
    StatusBar > #status-message {
        width: 1fr;
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    StatusBar > #status-sort {
        width: 22;  /* "by subject, reversed": fixed, so a new order needs no layout */
        padding: 0 1;
        display: none;
    }
    StatusBar > #status-marked {
        width: auto;
        padding: 0 1;
        color: $warning;
        text-style: bold;
        display: none;
    }
    StatusBar > #status-limit {
        width: auto;
        max-width: 40;
        padding: 0 1;
        color: $warning;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        display: none;
    }
    StatusBar > ProgressBar {
        width: 32;
        display: none;
    }
    StatusBar > ProgressBar.-syncing {
        display: block;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._states: dict[str, str] = {}
        self._watching: dict[str, str] = {}
        """Each account's watcher state, shown again when a sync ends."""
        self._trouble: dict[str, str] = {}
        """Accounts whose server stalled or broke the protocol, or whose disk is full: the
        state shown until a sync succeeds again (the watcher's own connection may still
        say "idling")."""
        self._problem_of: str | None = None
        """The account whose connection problem the message shows (see clear_problem)."""
        self._clear_timer: Timer | None = None
        self._order = ""
        """The list's order as shown (see show_sort)."""

    def compose(self) -> ComposeResult:
        yield Static(id="status-accounts")
        yield Static(id="status-message")
        yield Static(id="status-limit")
        yield Static(id="status-sort")
        yield Static(id="status-marked")
        yield ProgressBar(total=100, show_eta=False, id="status-progress")

    def set_state(self, account: str, state: str) -> None:
        self._states[account] = state
        text = Text()
        for name, value in self._states.items():
            if text:
                text.append("  ")
            text.append(f"{name}: ")
            text.append(value, style=_STATE_STYLES.get(value.split(" ", 1)[0], ""))
        self.query_one("#status-accounts", Static).update(text)

    def state(self, account: str) -> str:
        return self._states.get(account, "")

    def watcher_state(self, account: str, state: str) -> None:
        """The account's watcher says `state`: shown unless a sync is on show (it comes
        back when the sync ends), and not over a server's trouble."""
        self._watching[account] = state
        if not self.state(account).startswith("syncing"):
            trouble = self._trouble.get(account)
            lasting = trouble is not None and state in ("idling", "polling")
            self.set_state(account, trouble if trouble is not None and lasting else state)

    def sync_progress(self, account: str, done: int, total: int) -> None:
        self.progress(done, total)
        self.set_state(account, f"syncing {done}/{total}")

    def sync_done(self, account: str) -> None:
        """A sync succeeded: the server's trouble is over; the watcher's state again."""
        self._trouble.pop(account, None)
        self.set_state(account, self._watching.get(account, "connected"))
        self.progress(0, 0)

    def sync_failed(self, account: str, state: str, *, lasting: bool = False) -> None:
        """A connect or sync failed; a `lasting` state (a stalled or broken server, a full
        disk) stays shown over the watcher's "idling" until a sync succeeds."""
        if lasting:
            self._trouble[account] = state
        self.progress(0, 0)
        self.set_state(account, state)

    def say(self, message: str, *, error: bool = False, account: str | None = None) -> None:
        """Show a message (words a user understands; plain text, never markup) for a few
        seconds; cut with "…" when it is wider than the bar. An error with `account` is
        that account's connection problem, until `clear_problem` or the message clears."""
        self._problem_of = account if error else None
        style = "bold red" if error else ""
        text = Text(message, style=style, no_wrap=True, overflow="ellipsis", end="")
        # Its size is fixed (1fr by one line): no layout of the screen for a new message,
        # which took as long as the re-sort it reports.
        self.query_one("#status-message", Static).update(text, layout=False)
        if self._clear_timer is not None:
            self._clear_timer.stop()
        seconds = MESSAGE_SECONDS * (2 if error else 1)
        self._clear_timer = self.set_timer(seconds, self._clear_message)

    def _clear_message(self) -> None:
        self._clear_timer = None
        self._problem_of = None
        self.query_one("#status-message", Static).update("", layout=False)

    @property
    def message(self) -> str:
        """The message on show, as plain text ("" once it has cleared)."""
        return str(self.query_one("#status-message", Static).render())

    def show_marked(self, count: int) -> None:
        """How many messages are marked for a bulk action (nothing when none)."""
        marked = self.query_one("#status-marked", Static)
        marked.update(f"{count} marked")
        marked.display = count > 0

    def show_limit(self, text: str | None) -> None:
        """What the list is limited to (a short line that stays; nothing when None)."""
        shown = self.query_one("#status-limit", Static)
        shown.update(Text(text or "", no_wrap=True, overflow="ellipsis", end=""))
        shown.display = text is not None

    @property
    def limit_text(self) -> str:
        """The limit on show, as plain text ("" when the list is not limited)."""
        shown = self.query_one("#status-limit", Static)
        return str(shown.render()) if shown.display else ""

    def show_sort(self, order: str) -> None:
        """The list's order when it is not the usual one ("by from, reversed"), else nothing."""
        if order == self._order:
            return
        self._order = order
        shown = self.query_one("#status-sort", Static)
        shown.update(Text(order, no_wrap=True, overflow="ellipsis", end=""), layout=False)
        shown.display = bool(order)

    def repeat_problem(self, account: str, message: str) -> None:
        """`account`'s connection failed again as before (a retry of the watcher's): the
        accounts' part already says so, so the sentence only replaces that account's own
        problem or an empty line, never newer news (a search's count, new mail)."""
        if self._problem_of == account or not self.message:
            self.say(message, error=True, account=account)

    def clear_problem(self, account: str, message: str) -> None:
        """`account` is reachable again: `message` replaces its connection problem, if that
        is still what the bar shows (a newer message is left alone)."""
        if self._problem_of == account:
            self.say(message)

    def progress(self, done: int, total: int) -> None:
        bar = self.query_one("#status-progress", ProgressBar)
        if total <= 0 or done >= total:
            bar.remove_class("-syncing")
            return
        bar.add_class("-syncing")
        bar.update(total=total, progress=done)


class KeyHints(Footer):
    """The key hints that fit: compact below 100 columns, then the last ones left out.

    Textual's footer cuts whatever passes the right edge, mid-word. "? Help" is always
    kept: it lists every key.
    """

    NARROW = 100
    """Below this many columns the hints are compact (one space between key and word)."""

    _composed_for = 0
    """The width the hints were chosen for."""

    _recompose_due = False
    """A recompose waits for the next refresh: further changes of bindings join it."""

    def bindings_changed(self, screen: Screen[object]) -> None:
        # Textual's footer recomposes once per change of bindings, and the app's start
        # makes five in a row (focus, key map, mounts): 15-20 ms each, all for the same
        # hints. One recompose, after the refresh, shows whatever the bindings are then.
        self._bindings_ready = True
        if not screen.app.app_focus or self._recompose_due:
            return
        if self.is_attached and screen is self.screen:
            self._recompose_due = True
            self.call_after_refresh(self._recompose_now)

    async def _recompose_now(self) -> None:
        self._recompose_due = False
        await self.recompose()

    def compose(self) -> ComposeResult:
        width = self._composed_for = self.app.size.width
        self.compact = width < self.NARROW
        items = list(super().compose())
        keys = [w for w in items if isinstance(w, FooterKey)]
        needed = {id(key): self._hint_width(key) for key in keys}
        kept = {id(k) for k in keys if k.action.endswith("help")}
        used = sum(needed[k] for k in kept)
        for key in keys:
            if id(key) in kept:
                continue
            if used + needed[id(key)] > width:
                break  # in order: a later, shorter hint would look like a gap
            kept.add(id(key))
            used += needed[id(key)]
        yield from (w for w in items if not isinstance(w, FooterKey) or id(w) in kept)

    def _hint_width(self, key: FooterKey) -> int:
        # FooterKey's CSS: " k " + "Word " normally; "k Word" and a 1-cell margin compact.
        words = cell_len(key.key_display) + cell_len(key.description)
        return words + (2 if self.compact else 3)

    def on_resize(self) -> None:
        if self.app.size.width != self._composed_for:
            self.call_after_refresh(self.recompose)
