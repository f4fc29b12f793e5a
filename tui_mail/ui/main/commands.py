"""What each `:` command does on the main screen, and the line's completion sources.

A command with a key binding and no arguments runs that binding's action, so `:archive`
and `a` are one thing; commands with arguments have a handler here that calls the
helper owning the work (triage, search, ...). Errors are one sentence in the status bar.
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from textual.binding import Binding, BindingsMap, BindingType
from textual.keys import _character_to_key

from tui_mail.core.errors import TuiMailError, UsageError
from tui_mail.core.folders.names import find_folder
from tui_mail.core.models import Flag
from tui_mail.core.sort import sort_words
from tui_mail.ui.commands.parse import Invocation, parse
from tui_mail.ui.commands.registry import Commands

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui_mail.core.account.service import AccountService
    from tui_mail.ui.main.attachments import ReaderActions
    from tui_mail.ui.main.export import Export
    from tui_mail.ui.main.folder_tree import FolderKey
    from tui_mail.ui.main.limit import Limit
    from tui_mail.ui.main.pane_layout import PaneLayout
    from tui_mail.ui.main.reading import Reading
    from tui_mail.ui.main.saved_searches import SavedSearches
    from tui_mail.ui.main.search import Search
    from tui_mail.ui.main.sorting import Sorting
    from tui_mail.ui.main.status import StatusBar
    from tui_mail.ui.main.triage import Triage

Handler = Callable[[Invocation], object]
"""Does a command; may return an awaitable, which the screen's "command" worker awaits."""


def binding_actions(
    bindings: Mapping[str, Iterable[BindingType]],
) -> dict[str, tuple[str, str]]:
    """Binding id -> (the widget id whose binding it is, "" for the screen; its action)."""
    return {
        b.id: (where, b.action)
        for where, group in bindings.items()
        for b in group
        if isinstance(b, Binding) and b.id
    }


def user_bindings(lines: Mapping[str, str], commands: Commands, status: StatusBar) -> list[Binding]:
    """The config's [bind] table as bindings: a key runs its line, or opens the `:` line
    with it when the line ends in a space. A line naming no command is said once, and its
    key left as it was."""
    made: list[Binding] = []
    for key, line in lines.items():
        try:
            parse(line.rstrip() if line.endswith(" ") else line, commands)
        except UsageError as error:
            if not line.endswith(" ") or commands.find(line[1:].split()[0]) is None:
                status.say(f"[bind] {key}: {error}", error=True)
                continue
        name = _character_to_key(key) if len(key) == 1 else key
        action = "command_line" if line.endswith(" ") else "command"
        made.append(Binding(name, f"{action}({line[1:]!r})", line, show=False, id=f"bind:{key}"))
    return made


def install_user_bindings(
    bindings: BindingsMap, lines: Mapping[str, str], runner: CommandRunner, status: StatusBar
) -> None:
    """Put the [bind] table's keys into a screen's bindings, each replacing the key's
    default (`a` bound to ":move Archive/2026" no longer archives)."""
    for binding in user_bindings(lines, runner.commands, status):
        bindings.key_to_bindings[binding.key] = [binding]


def open_doctor(
    push_screen: Callable[[Screen[Any]], object],
    services: Mapping[str, AccountService],
    shown: FolderKey,
) -> None:
    """The connection doctor for the account on show (the first one for all inboxes)."""
    from tui_mail.ui.screens.doctor import DoctorScreen  # noqa: PLC0415

    service = services.get(shown.account) or next(iter(services.values()))
    push_screen(DoctorScreen(service.account))


class CompletionSources:
    """What Tab offers, read from the services (the cache; never the network)."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        folder: Callable[[], FolderKey],
        themes: Callable[[], Iterable[str]],
        saved_searches: Callable[[], list[str]],
    ) -> None:
        self.services = services
        self._folder = folder
        self._themes = themes
        self.saved_searches = saved_searches
        self._found: dict[str, list[str]] = {}
        """Addresses found for what was typed (until the line is opened again)."""
        self._wanted: set[str] = set()

    def _account(self) -> str:
        name = self._folder().account
        return name if name in self.services else next(iter(self.services))

    def folders(self) -> list[str]:
        return [f.name for f in self.services[self._account()].cache.folders() if f.selectable]

    def other_folders(self) -> list[str]:
        current = self._account()
        return [
            f"{name}:{f.name}"
            for name, service in self.services.items()
            if name != current
            for f in service.cache.folders()
            if f.selectable
        ]

    def addresses(self, typed: str) -> list[str]:
        """What the account's address lookup (the cache's people and the user's
        address_book_command) found for `typed`; a `typed` not looked up yet is noted
        for `look_up` and has no answer this time."""
        found = self._found.get(typed)
        if found is None:
            self._wanted.add(typed)
            return []
        return found

    async def look_up(self) -> str | None:
        """Look up what `addresses` was asked and did not have (off the event loop); the
        address book's trouble, if any, as a sentence."""
        problem = None
        service = self.services[self._account()]
        for typed in sorted(self._wanted):
            lookup = await service.addresses(typed)
            self._found[typed] = [address for _name, address in lookup.matches]
            problem = problem or lookup.problem
        self._wanted.clear()
        return problem

    @property
    def wanted(self) -> bool:
        return bool(self._wanted)

    def identities(self) -> list[str]:
        return [i.email for i in self.services[self._account()].account.every_identity]

    def themes(self) -> list[str]:
        return sorted(self._themes())

    def sort_keys(self) -> list[str]:
        return [word for word in sort_words() if word != "-r"]

    def forget(self) -> None:
        """The next Tab looks addresses up again (the line opens: mail may have come)."""
        self._found.clear()


def _starts(shown: str, typed: str) -> bool:
    # "ada lovelace <ada@x.org>": "ada", "love" and "<ada" all start a word of it.
    return any(word.lstrip('<"').startswith(typed) for word in shown.split())


@dataclass
class Parts:
    """The screen's helpers and operations the commands call (never the screen)."""

    services: Mapping[str, AccountService]
    status: StatusBar
    triage: Triage
    search: Search
    reading: Reading
    reader_actions: Callable[[], ReaderActions]
    panes: PaneLayout
    folder: Callable[[], FolderKey]
    run_search: Callable[[str], object]
    open_folder: Callable[[str, str], None]
    compose: Callable[[dict[str, str]], object]
    set_theme: Callable[[str], None]
    run_binding: Callable[[str, str], Awaitable[object]]
    """(widget id or "" for the screen, action): runs a key binding's action."""
    run: Callable[[Awaitable[object]], object]
    """Hands an awaitable to the screen's "command" worker."""
    screen_actions: Mapping[str, Callable[[], object]]
    """Commands the screen itself does (add_account, doctor ...)."""
    export: Export
    limit: Limit
    sorting: Sorting
    saved: SavedSearches


class CommandRunner:
    """Runs `:` lines: parses, then calls the handler, or runs the key binding's action
    when the command has no handler of its own."""

    def __init__(
        self, commands: Commands, bindings: Mapping[str, tuple[str, str]], parts: Parts
    ) -> None:
        self.commands = commands
        self.bindings = dict(bindings)
        self.parts = parts
        triage, reader = parts.triage, parts.reader_actions
        self.handlers: dict[str, Handler] = {
            "move": self._move,
            "search": self._search,
            "compose": self._compose,
            "theme": self._theme,
            "cd": self._cd,
            "toggle_read": lambda _: triage.toggle_read(),
            "toggle_flag": lambda _: triage.toggle_flag(),
            "read": lambda _: triage.set_flag(Flag.SEEN, on=True),
            "unread": lambda _: triage.set_flag(Flag.SEEN, on=False),
            "flag": lambda _: triage.set_flag(Flag.FLAGGED, on=True),
            "unflag": lambda _: triage.set_flag(Flag.FLAGGED, on=False),
            "delete": lambda _: triage.delete(),
            "archive": lambda _: triage.archive(),
            "undo": lambda _: triage.undo(),
            "mark": lambda _: triage.mark(),
            "next_unread": lambda _: triage.next_unread(),
            "previous_unread": lambda _: triage.previous_unread(),
            "reader.page": lambda _: parts.reading.page(),
            "reader.next": lambda _: parts.reading.step(1),
            "reader.previous": lambda _: parts.reading.step(-1),
            "reader.next_unread": lambda _: parts.reading.unread(1),
            "reader.previous_unread": lambda _: parts.reading.unread(-1),
            "reader.open_current": lambda _: parts.reading.open_current(),
            "unlock": lambda _: parts.reading.unlock(),
            "headers": lambda _: parts.reading.toggle_headers(),
            "source": lambda _: parts.reading.toggle_raw(),
            "reader.open": lambda _: reader().open_item(),
            "reader.save": lambda _: reader().save(),
            "reader.load_all": lambda _: reader().load_all(),
            "split": lambda _: parts.panes.toggle_split(),
            "folders.narrower": lambda _: parts.panes.resize_folders(-2),
            "folders.wider": lambda _: parts.panes.resize_folders(2),
            "pipe": lambda invocation: parts.export.pipe(invocation.args),
            "save": lambda invocation: parts.export.save(invocation.args),
            "limit": self._limit,
            "mark_all": lambda _: parts.limit.mark_all(),
            "sort": self._sort,
            "save_search": self._save_search,
            # The name as :save-search joins it, quoted (as Tab offers it) or not.
            "forget_search": lambda invocation: parts.saved.forget(" ".join(invocation.args)),
        }
        for name, action in parts.screen_actions.items():
            self.handlers[name] = lambda _, action=action: action()  # type: ignore[misc]

    @property
    def ids(self) -> set[str]:
        """Every command's id."""
        return set(self.commands.table)

    def prefilled(self, text: str) -> str:
        """What the `:` line opens with for `text` (a key's "limit "): the command's
        current value after it, to be edited rather than typed again."""
        if text.strip() == "limit" and self.parts.limit.query:
            return f"limit {self.parts.limit.query}"
        return text

    def help_rows(self) -> list[tuple[str, str]]:
        """(":name ARGS", what it does) of the commands that take arguments or have no
        key (those with a key are in help's table of keys already)."""
        return [
            (spec.synopsis, spec.summary)
            for spec in self.commands.specs()
            if spec.takes_args or spec.id not in self.bindings
        ]

    def add(self, handlers: Mapping[str, Handler]) -> None:
        self.handlers.update(handlers)

    def execute(self, line: str) -> None:
        """Run `line`; what is wrong with it goes to the status bar."""
        try:
            invocation = parse(line, self.commands)
            spec = invocation.spec
            handler = self.handlers.get(spec.id)
            if handler is not None:
                result = handler(invocation)
            elif spec.id in self.bindings:
                result = self.parts.run_binding(*self.bindings[spec.id])
            else:
                raise UsageError(f":{spec.id} cannot be used here.")
        except TuiMailError as error:
            self.parts.status.say(str(error), error=True)
            return
        if inspect.isawaitable(result):
            self.parts.run(self._said(result))

    async def _said(self, job: Awaitable[object]) -> None:
        try:
            await job
        except TuiMailError as error:
            self.parts.status.say(str(error), error=True)

    # -- the handlers that read arguments --------------------------------------------

    def _move(self, invocation: Invocation) -> None:
        if invocation.args:
            self.parts.triage.move_to(" ".join(invocation.args))
        else:
            self.parts.triage.move()

    def _one_folder(self, what: str) -> None:
        """A saved search's list is its own: no search in it, no limit, no other order."""
        if self.parts.folder().saved_search is not None:
            raise UsageError(f":{what} works in a folder; a saved search shows its own list.")

    def _limit(self, invocation: Invocation) -> None:
        self._one_folder("limit")
        self.parts.limit.apply(invocation.args)

    def _sort(self, invocation: Invocation) -> None:
        self._one_folder("sort")
        self.parts.sorting.apply(invocation.args)

    def _save_search(self, invocation: Invocation) -> object:
        parser = _Parser(prog=":save-search", add_help=False)
        parser.add_argument("--query", default="")
        parser.add_argument("--account", action="append", default=[])
        parser.add_argument("name", nargs="+")
        options = parser.parse(invocation.args)
        query = options.query or self.parts.search.query or self.parts.limit.query
        if not query:
            raise UsageError(
                "No search on screen to save: search with / or :limit first, "
                "or give one with --query."
            )
        return self.parts.saved.save(" ".join(options.name), query, options.account)

    def _search(self, invocation: Invocation) -> None:
        self._one_folder("search")
        if not invocation.args:
            self.parts.search.open()
        else:  # from all inboxes: the cache of every account (the search line's scope)
            self.parts.run_search(invocation.rest)

    def _compose(self, invocation: Invocation) -> object:
        parser = _Parser(prog=":compose", add_help=False)
        for option in ("--to", "--cc", "--bcc"):
            parser.add_argument(option, action="append", default=[])
        parser.add_argument("--subject", default="")
        parser.add_argument("--from", dest="from_addr", default="")
        options = parser.parse(invocation.args)
        fields = {
            "to": ", ".join(options.to),
            "cc": ", ".join(options.cc),
            "bcc": ", ".join(options.bcc),
            "subject": options.subject,
            "from_addr": options.from_addr,
        }
        return self.parts.compose({k: v for k, v in fields.items() if v})

    def _theme(self, invocation: Invocation) -> object:
        if not invocation.args:
            return self.parts.run_binding("", self.bindings["theme"][1])
        self.parts.set_theme(" ".join(invocation.args))
        return None

    async def _cd(self, invocation: Invocation) -> None:
        typed = " ".join(invocation.args)
        account, colon, folder = typed.partition(":")
        if not colon or account not in self.parts.services:
            account, folder = self.parts.folder().account, typed
        if account not in self.parts.services:
            account = next(iter(self.parts.services))
        name = await find_folder(self.parts.services[account], folder)
        self.parts.open_folder(account, name)


class _Parser(argparse.ArgumentParser):
    """argparse that says what is wrong in one sentence instead of exiting."""

    def parse(self, args: list[str]) -> argparse.Namespace:
        namespace, extra = self.parse_known_args(args)
        if extra:
            raise UsageError(f"{self.prog} does not take {' '.join(extra)!r}; {self.usage_line}")
        return namespace

    @property
    def usage_line(self) -> str:
        return "use " + self.format_usage().removeprefix("usage: ").strip() + "."

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}; {self.usage_line}")
