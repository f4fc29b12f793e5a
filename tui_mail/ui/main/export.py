"""`:pipe` and `:save` on the main screen: mail out of tui-mail, as `tui-mail pipe/save` do.

A helper of the main screen, like Triage: given the services, the message list and the
status bar. `Export.pipe(args)` and `Export.save(args)` take the words after the command
name, already split (the `:` command line splits them like a shell, `shlex.split`); a bad
argument raises UsageError with one sentence naming what would work.

What they act on: the marked messages when there are any (`-m` insists on them), else the
message under the cursor (the open one: the reader shows the cursor's message or nothing).
Marked messages go in list order, oldest end first (`marked_in_list_order`). Mail is
fetched through AccountService with mark_seen=False: piping a patch series to `git am`
or keeping a copy is not reading it.

The command runs WITHOUT a shell, as the CLI's `pipe -- CMD` does: the words are its argv.
Nothing from a message or a path is ever parsed by a shell, the words mean what they mean
in `tui-mail pipe`, and a pipeline is one explicit `sh -c '...'` away. By default the
command gets no terminal and its output and exit status are shown in a window
(ui/screens/pipe_output.py), where it can be stopped; with `-t` the app steps aside
(App.suspend) and the command has the terminal, for `less`, `vim -` or `tig`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.core.errors import TuiMailError, UsageError
from tui_mail.core.message.sanitize import sanitize_line

if TYPE_CHECKING:
    from tui_mail.core.account.message_index import MessageRef
    from tui_mail.core.account.service import AccountService
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.ports import PushScreen
    from tui_mail.ui.main.status import StatusBar

PIPE_USAGE = "pipe [-m] [-s] [-t] COMMAND [ARG...], e.g. `:pipe -m git am` or `:pipe -t less`"
SAVE_USAGE = "save [-f] [-m] [PATH] or save -a [DIRECTORY], e.g. `:save ~/patches.mbox`"


@dataclass(frozen=True)
class PipeRequest:
    command: list[str]
    marked: bool = False
    """-m: the marked messages, and refuse when none are."""
    as_shown: bool = False
    """-s: the text as the reader shows it, not the source."""
    terminal: bool = False
    """-t: the command gets the terminal (the app is suspended)."""


@dataclass(frozen=True)
class SaveRequest:
    path: str | None
    force: bool = False
    marked: bool = False
    attachments: bool = False


def _options(
    args: list[str], known: dict[str, str], usage: str, *, stop_at_word: bool
) -> tuple[set[str], list[str]]:
    """Split leading options (`-ms`, `--marked`, `--` ends them) from the words: the
    options' canonical names and what is left. `stop_at_word`: the first word ends the
    options (a command's own `-x` is the command's)."""
    found: set[str] = set()
    words: list[str] = []
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word == "--":
            words += rest
            break
        if word.startswith("--") and word in known:
            found.add(known[word])
        elif word.startswith("-") and len(word) > 1 and not word.startswith("--"):
            for letter in word[1:]:
                if f"-{letter}" not in known:
                    raise UsageError(f"Unknown option -{letter}; use {usage}.")
                found.add(known[f"-{letter}"])
        elif word.startswith("--"):
            raise UsageError(f"Unknown option {word}; use {usage}.")
        else:
            words.append(word)
            if stop_at_word:
                words += rest
                break
    return found, words


def parse_pipe(args: list[str]) -> PipeRequest:
    """`[-m|--marked] [-s|--as-shown] [-t|--terminal] [--] COMMAND [ARG...]`."""
    known = {"-m": "marked", "--marked": "marked", "-s": "as_shown", "--as-shown": "as_shown",
             "-t": "terminal", "--terminal": "terminal"}  # fmt: skip
    options, command = _options(args, known, PIPE_USAGE, stop_at_word=True)
    if not command:
        raise UsageError(f"Pipe into which command? Use {PIPE_USAGE}.")
    return PipeRequest(command, "marked" in options, "as_shown" in options, "terminal" in options)


def parse_save(args: list[str]) -> SaveRequest:
    """`[-f|--force] [-m|--marked] [PATH]` or `-a|--attachments [DIRECTORY]`."""
    known = {"-f": "force", "--force": "force", "-m": "marked", "--marked": "marked",
             "-a": "attachments", "--attachments": "attachments"}  # fmt: skip
    options, words = _options(args, known, SAVE_USAGE, stop_at_word=False)
    if len(words) > 1:
        raise UsageError(
            f"save takes one path, got {len(words)} ({' '.join(words)}); quote a path "
            f"with spaces. Use {SAVE_USAGE}."
        )
    if "attachments" in options and "marked" in options:
        raise UsageError("save -a saves the attachments of one message; drop -m.")
    return SaveRequest(words[0] if words else None, "force" in options, "marked" in options,
                       "attachments" in options)  # fmt: skip


def marked_in_list_order(messages: MessageList) -> list[MessageRef]:
    """The marked messages in the list's order, read from its oldest end.

    A patch series must reach `git am` in the order it was written. The list shows the
    newest first, so read top to bottom the series would come backwards; a list that runs
    the other way (threads, whose replies follow their parent; an ascending sort) is read
    top to bottom. Which end is the oldest is read from the marked rows themselves: the
    first and last by (date, UID, which orders arrival when dates tie).
    """
    source = messages.source
    placed = sorted(
        ((source.index_of(ref), ref) for ref in messages.marked),
        key=lambda pair: (pair[0] is None, pair[0] or 0, pair[1].uid),
    )
    refs = [ref for _index, ref in placed if _index is not None]
    gone = [ref for index, ref in placed if index is None]  # left the list: at the end
    first = source.row(placed[0][0]) if placed and placed[0][0] is not None else None
    last_index = max((index for index, _ref in placed if index is not None), default=None)
    last = source.row(last_index) if last_index is not None else None
    if first and last and (first.summary.date, first.ref.uid) > (last.summary.date, last.ref.uid):
        refs.reverse()
    return refs + gone


def count(n: int) -> str:
    return "1 message" if n == 1 else f"{n} messages"


class Export:
    """`:pipe` and `:save` for the main screen (see the module's docstring)."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        messages: MessageList,
        status: StatusBar,
        *,
        run: Callable[[Awaitable[None]], object],
        push_screen: PushScreen,
        suspend: Callable[[], AbstractContextManager[None]],
        download_dir: Callable[[], Path],
    ) -> None:
        """`run(job)` starts the screen's "export" worker; `suspend` is App.suspend;
        `download_dir()` is where a `:save` without a path goes."""
        self.services = services
        self.messages = messages
        self.status = status
        self._run = run
        self._push_screen = push_screen
        self._suspend = suspend
        self._download_dir = download_dir

    # -- what to act on ----------------------------------------------------------------

    def targets(self, *, marked: bool) -> list[MessageRef]:
        """The marked messages in list order, else the one under the cursor."""
        if self.messages.marked:
            return marked_in_list_order(self.messages)
        if marked:
            raise UsageError("No message is marked (Space marks one); without -m the "
                             "message under the cursor is used.")  # fmt: skip
        current = self.messages.current
        if current is None:
            raise UsageError("No message here: the list is empty.")
        return [current]

    async def fetch(self, refs: list[MessageRef]) -> list[bytes]:
        """The messages' sources, leaving them unread on the server."""
        return [
            await self.services[ref.account].fetch_raw(ref.folder, ref.uid, mark_seen=False)
            for ref in refs
        ]

    async def payload(self, refs: list[MessageRef], *, as_shown: bool) -> bytes:
        from tui_mail.core.message.export import pipe_payload  # noqa: PLC0415

        raws = await self.fetch(refs)
        # Rendering and building an mbox of large messages takes time: off the event loop.
        return await asyncio.to_thread(pipe_payload, raws, as_shown=as_shown)

    # -- pipe --------------------------------------------------------------------------

    def pipe(self, args: list[str]) -> None:
        """`:pipe [-m] [-s] [-t] COMMAND [ARG...]`; raises UsageError on bad arguments."""
        request = parse_pipe(args)
        refs = self.targets(marked=request.marked)
        what = "as shown" if request.as_shown else "raw" if len(refs) == 1 else "as one mbox"
        what = f"{count(len(refs))}, {what}"
        if request.terminal:
            self._run(self._pipe_in_terminal(request, refs, what))
            return
        from tui_mail.ui.screens.pipe_output import PipeOutput  # noqa: PLC0415

        self._push_screen(PipeOutput(
            request.command, lambda: self.payload(refs, as_shown=request.as_shown), what=what
        ))  # fmt: skip

    async def _pipe_in_terminal(self, request: PipeRequest, refs: list[MessageRef],
                                what: str) -> None:  # fmt: skip
        """In the screen's "export" worker, on the event loop: the app is suspended while
        the command runs, so nothing else needs the loop meanwhile."""
        from textual.app import SuspendNotSupported  # noqa: PLC0415

        self.status.say(f"Fetching {count(len(refs))}…")
        try:
            data = await self.payload(refs, as_shown=request.as_shown)
        except TuiMailError as error:
            self.status.say(str(error), error=True)
            return
        try:
            with self._suspend():
                ended = run_in_terminal(request.command, data, what)
        except SuspendNotSupported:
            self.status.say("This terminal cannot be handed over to a command (Textual "
                            "cannot suspend here); drop -t to see the output in a window.",
                            error=True)  # fmt: skip
            return
        self.status.say(ended, error=not ended.endswith("status 0."))

    # -- save --------------------------------------------------------------------------

    def save(self, args: list[str]) -> None:
        """`:save [-f] [-m] [PATH]` (one message as .eml, marked ones as one mbox) or
        `:save -a [DIRECTORY]` (the attachments); raises UsageError on bad arguments."""
        request = parse_save(args)
        path = Path(request.path).expanduser() if request.path else self._download_dir()
        if request.attachments:
            current = self.messages.current
            if current is None:
                raise UsageError("No message here: the list is empty.")
            self._run(self._save_attachments(current, path))
            return
        refs = self.targets(marked=request.marked)
        if request.path is None and len(refs) > 1:
            raise UsageError("Several messages go to one mbox file: give its path, "
                             "e.g. `:save ~/series.mbox`.")  # fmt: skip
        self._run(self._save(refs, path, force=request.force, make=request.path is None))

    async def _save(self, refs: list[MessageRef], path: Path, *, force: bool,
                    make: bool) -> None:  # fmt: skip
        """`make`: `path` is the download directory, made (private) when missing."""
        from tui_mail.config.private import private_dir  # noqa: PLC0415
        from tui_mail.core.message.export import save_messages  # noqa: PLC0415

        try:
            if make:
                await asyncio.to_thread(private_dir, path)
            raws = await self.fetch(refs)
            written = await asyncio.to_thread(save_messages, raws, path, force=force)
        except TuiMailError as error:
            self.status.say(str(error), error=True)
            return
        except OSError as error:  # the download directory could not be made
            self.status.say(f"Cannot write to {path}: {error.strerror}.", error=True)
            return
        kind = "" if len(refs) == 1 else " as one mbox"
        self.status.say(f"Saved {count(len(refs))}{kind} to {sanitize_line(str(written))}")

    async def _save_attachments(self, ref: MessageRef, directory: Path) -> None:
        from tui_mail.core.message.attachments import save_attachment  # noqa: PLC0415
        from tui_mail.core.message.mime import attachment_data, render_message  # noqa: PLC0415

        def save_all(raw: bytes) -> list[Path]:
            if directory.exists() and not directory.is_dir():
                raise UsageError(f"{directory} is a file; save -a saves into a directory.")
            saved = []
            for item in render_message(raw).attachments:
                data = attachment_data(raw, item.index)
                if data is not None:  # taken names get " (1)": never an overwrite
                    saved.append(save_attachment(data, item.filename, directory))
            return saved

        try:
            [raw] = await self.fetch([ref])
            saved = await asyncio.to_thread(save_all, raw)
        except TuiMailError as error:
            self.status.say(str(error), error=True)
            return
        if not saved:
            self.status.say("This message has no attachments.")
            return
        names = ", ".join(sanitize_line(p.name) for p in saved)
        self.status.say(f"Saved {len(saved)} to {sanitize_line(str(directory))}: {names}")


def run_in_terminal(command: list[str], data: bytes, what: str) -> str:
    """While the app is suspended: run `command` on the terminal, say how it ended, wait
    for Enter (the user reads what it printed), and return that sentence for the status
    bar."""
    from tui_mail.core.process_group import (  # noqa: PLC0415
        exit_sentence,
        pipe_in_terminal,
        start_failure,
    )

    name = command[0]
    print(f"tui-mail: piping {what} into {sanitize_line(' '.join(command))}", flush=True)
    try:
        status = pipe_in_terminal(command, data)
    except OSError as error:
        ended = start_failure(name, error)[0]
    else:
        ended = exit_sentence(name, status) or f"{name!r} exited with status 0."
    print(f"\ntui-mail: {ended} Press Enter to return.", end="", flush=True)
    with contextlib.suppress(EOFError):  # no terminal to read from: nothing to wait for
        input()
    return ended
