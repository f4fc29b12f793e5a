"""MainScreen: folders | messages / reader, the status bar, and every triage key.

The screen talks only to AccountService objects (never IMAP). Network work runs in async
workers that await the service, whose own thread does the blocking calls; sync progress
arrives as messages posted from that thread (the rule: tui_mail/ui/__init__.py). The
collaborators AccountSync (connecting and syncing), Triage, Search, Reading, ReaderActions
and OutboxRunner hold the rest; they start no workers, the screen runs their coroutines.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Horizontal
from textual.screen import Screen
from textual.widgets import Input

from tui_mail.core.account.message_index import MessageRef, MessageSource
from tui_mail.ui.commands.history import History
from tui_mail.ui.commands.registry import build
from tui_mail.ui.main.account_news import AccountNews
from tui_mail.ui.main.account_sync import AccountSync, Reconnected, ServiceEvent, SyncProgress
from tui_mail.ui.main.bindings import MAIN_BINDINGS
from tui_mail.ui.main.command_line import CommandBar
from tui_mail.ui.main.commands import (
    CommandRunner,
    CompletionSources,
    Parts,
    binding_actions,
    install_user_bindings,
    open_doctor,
)
from tui_mail.ui.main.export import Export
from tui_mail.ui.main.folder_tree import UNIFIED, FolderKey, FolderTree
from tui_mail.ui.main.limit import Limit
from tui_mail.ui.main.message_list import MIN_WIDTH as MIN_LIST_WIDTH
from tui_mail.ui.main.message_list import MessageList
from tui_mail.ui.main.outbox_runner import CHECK_SECONDS, FIRST_CHECK_SECONDS, OutboxRunner
from tui_mail.ui.main.pane_layout import MAIN_SCREEN_CSS, PaneLayout
from tui_mail.ui.main.reader import Reader
from tui_mail.ui.main.reading import Reading
from tui_mail.ui.main.search import Search, SearchBar
from tui_mail.ui.main.sorting import Sorting
from tui_mail.ui.main.splitter import Splitter
from tui_mail.ui.main.status import KeyHints, StatusBar
from tui_mail.ui.main.triage import Triage
from tui_mail.ui.screens.help import HelpScreen, help_rows

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService
    from tui_mail.ui.app import MailApp
    from tui_mail.ui.main.attachments import ReaderActions


class MainScreen(Screen[None]):
    """The screen people live in."""

    BINDINGS: ClassVar[list[BindingType]] = MAIN_BINDINGS

    DEFAULT_CSS = MAIN_SCREEN_CSS

    account_news: AccountNews
    account_sync: AccountSync
    panes: PaneLayout
    triage: Triage
    reading: Reading
    search: Search
    outbox: OutboxRunner
    sorting: Sorting

    def __init__(self, start_account: str, start_folder: str) -> None:
        super().__init__()
        self.current = FolderKey(start_account, start_folder)
        self.threaded = False
        """Folders shown as conversations (T); the app remembers the choice."""
        self._started = False

    @cached_property
    def reader_actions(self) -> ReaderActions:
        """Made on first use: its imports (the MIME renderer) are not needed to paint."""
        from tui_mail.ui.main.attachments import ReaderActions  # noqa: PLC0415

        app = self.mail_app
        return ReaderActions(self.reader, self.status,
                             directories=lambda: (app.data_dir, app.config.download_dir),
                             push_screen=app.push_screen, save_in_background=self.in_background,
                             render_whole=self.render_whole)  # fmt: skip

    @property
    def mail_app(self) -> MailApp:
        return self.app  # type: ignore[return-value]

    @property
    def services(self) -> dict[str, AccountService]:
        return self.mail_app.services

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        tree, messages, reader = (
            FolderTree(id="folders"),
            MessageList(id="messages"),
            Reader(id="reader"),
        )
        search_bar = SearchBar(
            placeholder="Search: words, from:, subject:, is:unread ...", id="search"
        )
        status = StatusBar(id="status")
        commands = build([*MAIN_BINDINGS, *MessageList.BINDINGS, *Reader.BINDINGS])
        sources = CompletionSources(self.services, lambda: self.current,
                                    lambda: list(self.app.available_themes),
                                    lambda: self.account_news.saved.names())  # noqa: PLW0108 # fmt: skip
        history = History(self.mail_app.data_dir / "command-history")
        command_bar = CommandBar(commands, sources, history)
        folder_split = Splitter(tree, keep=MIN_LIST_WIDTH, id="folder-split")
        content = Container(id="content")
        list_split = Splitter(messages, across=True, id="list-split")
        self.panes = PaneLayout(
            tree, folder_split, content, messages, list_split, status, width=lambda: self.size.width
        )
        self._wire(tree, messages, reader, search_bar, status)
        keys = {"": MAIN_BINDINGS, "messages": MessageList.BINDINGS, "reader": Reader.BINDINGS}
        self.commands = CommandRunner(commands, binding_actions(keys), Parts(
            self.services, status, self.triage, self.search, self.reading,
            lambda: self.reader_actions, self.panes, lambda: self.current, self.run_search,
            self.open_folder, self.compose_new, self.mail_app.use_theme, self._run_binding,
            self.run_command, {"add_account": self.mail_app.open_account_setup,
                               "reader.back": messages.focus, "doctor": lambda: open_doctor(
                                   self.app.push_screen, self.services, self.current),
                               "unsubscribe": lambda: self.action_compose("unsubscribe")},
            self.export, self.limit, self.sorting, self.account_news.saved,
        ))  # fmt: skip
        with Horizontal(id="panes"):
            yield tree
            yield folder_split
            with content:
                yield messages
                yield list_split
                yield reader
        yield search_bar
        yield command_bar
        yield status
        yield KeyHints()

    def _wire(
        self,
        tree: FolderTree,
        messages: MessageList,
        reader: Reader,
        search_bar: SearchBar,
        status: StatusBar,
    ) -> None:
        """The helpers, each given the widgets it drives and the screen's methods it needs
        (never the screen itself)."""
        services = self.services
        self.account_news = AccountNews(
            services,
            tree,
            messages,
            status,
            alerts=self.app,
            folder=lambda: self.current,
            searching=lambda: self.searching is not None,
            sync_in_background=self.sync_in_background,
            config=self.mail_app.config,
            run=lambda job: self.run_worker(job, group="saved-searches", exit_on_error=False),
            tree_changed=self.refresh_tree,
            show_folder=self.show_folder,
        )
        self.account_sync = AccountSync(
            services,
            self.account_news,
            messages,
            status,
            alerts=self.app,
            post=self.post_message,
            folder=lambda: self.current,
            tree_changed=self.refresh_tree,
        )
        self.triage = Triage(
            services,
            messages,
            status,
            run=self.run_triage,
            counts_changed=self.update_counts,
            push_screen=self.app.push_screen,
        )
        self.reading = Reading(
            services,
            messages,
            reader,
            status,
            load=self.load_message,
            cancel_load=self._cancel_loading,
            counts_changed=self.update_counts,
            jump_unread=self.triage.jump_unread,
            suspend=self.app.suspend,
            data_dir=self.mail_app.data_dir,
        )
        self.outbox = OutboxRunner(
            services,
            status,
            data_dir=self.mail_app.data_dir,
            tree_changed=self.refresh_tree,
            send=self.send_outbox,
            push_screen=self.app.push_screen,
        )
        self.search = Search(
            services,
            search_bar,
            messages,
            status,
            folder=lambda: self.current,
            run=self.run_search,
            typed=self.search_typed,
            back_to_folder=lambda: self.show_folder(self.current),
        )
        self.export = Export(services, messages, status, run=self.in_background,
                             push_screen=self.app.push_screen, suspend=self.app.suspend,
                             download_dir=lambda: self.reader_actions.download_dir)  # fmt: skip
        self.sorting = Sorting(
            services, messages, status, folder=lambda: self.current,
            threaded=lambda: self.threaded, searching=lambda: self.searching is not None,
            remembered=self.mail_app.remembered_sorts, remember=self.mail_app.remember_sorts,
            push_screen=self.app.push_screen,
            relimit=lambda: self.limit.reapply(),  # noqa: PLW0108 (self.limit: made next)
        )  # fmt: skip
        self.limit = Limit(services, messages, status, self.search, self.sorting.spec)

    @property
    def searching(self) -> str | None:
        """The search whose results the list shows (None: the folder)."""
        return self.search.query

    @property
    def folder_tree(self) -> FolderTree:
        return self.query_one(FolderTree)

    @property
    def messages(self) -> MessageList:
        return self.query_one(MessageList)

    @property
    def reader(self) -> Reader:
        return self.query_one(Reader)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def open_ref(self) -> MessageRef | None:
        """The message open in the reader (the reader keeps it)."""
        return self.reader.ref

    def on_mount(self) -> None:
        # Everything the cache knows is on screen before the network is touched.
        self.threaded = self.mail_app.threaded_view
        self.refresh_tree()
        self.show_folder(self.current)
        self.folder_tree.select_key(self.current)
        self.messages.focus()
        install_user_bindings(self._bindings, self.mail_app.config.bind, self.commands, self.status)
        for name in self.services:
            self.account_sync.attach(name)
        # Connecting waits for the first frame (the app's Ready calls start_accounts):
        # making the backend imports imapclient on the worker thread, against the paint.
        if self.mail_app.first_frame_shown:
            self.start_accounts()
        # The outbox is looked at soon after the first screen is up (a previous session
        # may have left messages), then every CHECK_SECONDS.
        self.set_timer(FIRST_CHECK_SECONDS, self.outbox.check)
        self.set_interval(CHECK_SECONDS, self.outbox.check)

    def refresh_tree(self) -> None:
        """Rebuild the folder tree from the cache (counts, the Outbox entry)."""
        self.account_news.show_tree(self.outbox.counts_for_tree())

    def _source_for(self, key: FolderKey) -> MessageSource:
        if key.saved_search is not None:
            return self.account_news.saved.source(key)  # found again on a thread
        return self.sorting.source_for(key)  # in the order chosen for it (O, :sort)

    def show_folder(self, key: FolderKey) -> None:
        self.current = key
        self.search.reset()
        self.messages.clear_marks()
        self.reading.clear()
        self.messages.show_from_top(self._source_for(key), show_account=key.across)
        self.sub_title = label = key.label
        self.sorting.shown(key)
        self.status.say(f"{label}: {len(self.messages.source)} messages")

    # -- network work (see account_sync.py; handlers and workers must live on the Screen) --

    def start_accounts(self) -> None:
        for name in self.services if not self._started else ():
            self._start_account(name)
        self._started = True

    @work(group="accounts", exit_on_error=False)
    async def _start_account(self, name: str) -> None:
        await self.account_sync.start(name)

    # Workers start here only (the rule in tui_mail/ui/__init__.py): the helpers hand the
    # screen their work as coroutines, and each kind runs in its own group.

    @work(group="reader", exclusive=True, exit_on_error=False)
    async def load_message(self, ref: MessageRef) -> None:
        await self.reading.load(ref)

    def _cancel_loading(self) -> None:
        self.workers.cancel_group(self, "reader")

    @work(group="reader", exclusive=True, exit_on_error=False)
    async def render_whole(self, raw: bytes) -> None:
        await self.reader_actions.render_all(raw)

    @work(group="files", exit_on_error=False)  # saving attachments, :save, :pipe -t
    async def in_background(self, job: Awaitable[None]) -> None:
        await job

    @work(group="triage", exit_on_error=False)
    async def run_triage(self, action: Callable[[], Awaitable[str]]) -> None:
        await self.triage.run_in_order(action)

    @work(group="search", exclusive=True, exit_on_error=False)
    async def run_search(self, query: str) -> None:
        await self.search.run(query)

    @work(group="typeahead", exclusive=True, exit_on_error=False)
    async def search_typed(self, text: str) -> None:
        await self.search.typed(text)

    def send_outbox(self, job: Awaitable[None], account: str) -> None:
        # One group per account (a name @work cannot take): each account's courier alone.
        self.run_worker(job, group=f"outbox-{account}", exit_on_error=False)

    def on_main_screen_reconnected(self, message: Reconnected) -> None:
        # What waited for the network goes now; folders made or renamed meanwhile show.
        self.outbox.reconnected(message.account)
        self._refresh_folders(message.account)

    @work(group="folders", exit_on_error=False)
    async def _refresh_folders(self, name: str) -> None:
        await self.account_sync.refresh_folders(name)

    def on_main_screen_service_event(self, message: ServiceEvent) -> None:
        self.account_news.service_event(message.event)

    def on_main_screen_sync_progress(self, event: SyncProgress) -> None:
        self.account_sync.progress(event)

    def update_counts(self, account: str) -> None:
        """Show the cached unread counts of `account`'s folders in the tree."""
        self.account_news.update_counts(account)

    # -- choosing and reading ----------------------------------------------------------

    @on(FolderTree.FolderChosen)
    def _folder_chosen(self, event: FolderTree.FolderChosen) -> None:
        if event.key.outbox:
            self.outbox.open(event.key.account)
            return
        self.open_folder(event.key.account, event.key.folder, from_tree=True)

    def open_folder(self, account: str, folder: str, *, from_tree: bool = False) -> None:
        self.show_folder(FolderKey(account, folder))
        if not from_tree:
            self.folder_tree.select_key(self.current)
        self.messages.focus()
        self.action_refresh()

    # -- the `:` line (ui/main/commands.py says what each command does) -----------------

    def action_command_line(self, text: str = "") -> None:
        self.query_one(CommandBar).open(self.commands.prefilled(text))

    def action_command(self, line: str) -> None:
        self.commands.execute(line)

    @on(Input.Submitted, "#command")
    def _command_submitted(self, event: Input.Submitted) -> None:
        bar = self.query_one(CommandBar)
        bar.input.history.add(event.value)
        bar.close()
        self.commands.execute(event.value)

    @on(CommandBar.Closed)
    def _command_closed(self) -> None:
        self.messages.focus()

    @work(group="command", exit_on_error=False)
    async def run_command(self, job: Awaitable[object]) -> None:
        await job

    async def _run_binding(self, widget: str, action: str) -> None:
        await (self.query_one(f"#{widget}") if widget else self).run_action(action)

    @work(group="sync", exit_on_error=False)
    async def sync_in_background(self, name: str, folder: str, *, asked: bool = False) -> None:
        await self.account_sync.sync_or_report(name, folder, asked=asked)

    @on(MessageList.Selected)
    def _message_selected(self, event: MessageList.Selected) -> None:
        # Reading happens in the reader: its keys (Space, j/k, n/N) go on from there.
        self.reading.open(event.ref)
        self.reader.focus()

    @on(MessageList.Highlighted)
    def _list_moved(self, _event: MessageList.Highlighted) -> None:
        self.reading.follow()

    @on(MessageList.SourceChanged)
    def _source_changed(self, event: MessageList.SourceChanged) -> None:
        self.limit.source_changed(event.source)

    @on(MessageList.MarksChanged)
    def _marks_changed(self, event: MessageList.MarksChanged) -> None:
        self.status.show_marked(event.count)

    # -- triage and search (see triage.py, search.py) ---------------------------------

    def action_cancel(self) -> None:
        """Escape: close the search line; leave search results, else marks, else the limit."""
        search = self.query_one(SearchBar)
        closing = search.is_open
        if closing:
            search.close()
            self.messages.focus()
        if self.searching is not None:
            self.show_folder(self.current)
        else:
            self.limit.cancel(keep_limit=closing)  # the marks, else the limit

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self.search.submitted(event)

    # -- moving around ----------------------------------------------------------------

    def action_refresh(self) -> None:
        """Sync what the list shows: the folder, or every inbox of the unified view."""
        self.status.say(f"Syncing {self.sub_title}…")
        if self.current.across:  # all inboxes, a saved search: the inboxes of its accounts
            for name in self.account_news.saved.accounts(self.current):
                self.sync_in_background(name, "INBOX", asked=True)
        else:
            self.sync_in_background(self.current.account, self.current.folder, asked=True)

    # -- layout and help ---------------------------------------------------------------

    def action_toggle_threads(self) -> None:
        self.threaded = not self.threaded
        self.mail_app.remember_view(threaded=self.threaded)
        view = "threads" if self.threaded else "by date"
        if self.searching is not None or self.current.across:
            self.status.say(
                f"Folders now open {view}; search results and all inboxes stay by date."
            )
            return
        self.messages.set_source(self._source_for(self.current), keep=self.messages.current)
        self.status.say(f"Showing {view}.")

    def on_resize(self) -> None:
        self.panes.resized()

    def compose_new(self, fields: dict[str, str]) -> None:
        self.action_compose("new", fields)

    @work(group="compose-open", exclusive=True, exit_on_error=False)
    async def action_compose(self, kind: str, fields: dict[str, str] | None = None) -> None:
        from tui_mail.ui.main.compose_open import open_compose  # noqa: PLC0415

        await open_compose(
            kind,
            fields=fields,
            services=self.services,
            messages=self.messages,
            status=self.status,
            shown=self.current,
            data_dir=self.mail_app.data_dir,
            push_screen=self.app.push_screen,
            tree_changed=self.refresh_tree,
        )

    def action_help(self) -> None:
        rows = help_rows(self.app.active_bindings, self.app.get_key_display, self.commands.ids)
        self.app.push_screen(HelpScreen(rows, self.commands.help_rows()))


__all__ = ["UNIFIED", "MainScreen"]
