"""Mail out of tui-mail: `pipe` messages into a command, `save` them to a file.

Both fetch with mark_seen=False: handing a patch series to `git am` or keeping a copy is
not reading it, and the messages stay unread on the server.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_mail.cli.common import Parents, add_command
from tui_mail.core.errors import TuiMailError, UsageError

if TYPE_CHECKING:
    from tui_mail.config import AppConfig
    from tui_mail.core.account.service import AccountService


class CommandFailed(TuiMailError):
    """The piped-into command exited non-zero; its status becomes ours."""

    def __init__(self, sentence: str, status: int) -> None:
        super().__init__(sentence)
        self.exit_code = status


async def _fetch_all(service: AccountService, folder: str, uids: list[int]) -> list[bytes]:
    return [await service.fetch_raw(folder, uid, mark_seen=False) for uid in uids]


def _split_pipe_words(words: list[str]) -> tuple[list[int], list[str]]:
    """`UID [UID ...] -- COMMAND...` (argparse cannot split it: both are free words)."""
    if words[:1] == ["--"] and "--" in words[1:]:
        words = words[1:]  # `pipe -- 1 2 -- cmd`: argparse left its own marker in
    if "--" not in words:
        raise UsageError("Give the command after `--`, e.g. `tui-mail pipe 12 13 -- git am`.")
    at = words.index("--")
    before, command = words[:at], words[at + 1 :]
    if not command:
        raise UsageError("No command after `--`: what should the messages be piped into?")
    try:
        uids = [int(word) for word in before]
    except ValueError:
        raise UsageError(
            f"Expected message UIDs before `--`, got {' '.join(before)!r} "
            "(options such as -f go before the UIDs)."
        ) from None
    if not uids:
        raise UsageError("Give at least one message UID before `--`.")
    return uids, command


def _pipe(config: AppConfig, args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from tui_mail.cli.common import run_with_service  # noqa: PLC0415
    from tui_mail.core.message.export import pipe_payload  # noqa: PLC0415
    from tui_mail.core.process_group import (  # noqa: PLC0415
        exit_sentence,
        pipe_into,
        shell_status,
        start_failure,
    )

    uids, command = _split_pipe_words(args.words)
    raws: list[bytes] = []

    async def work(service: AccountService) -> int:
        raws.extend(await _fetch_all(service, args.folder, uids))
        return 0

    # The command runs after the event loop is gone: asyncio.run's Ctrl-C handler would
    # only cancel a task, and a blocking wait for `git am` would never see the interrupt.
    asyncio.run(run_with_service(config.account(args.account), work))
    payload = pipe_payload(raws, as_shown=args.as_shown)
    sys.stdout.flush()  # the command writes to the same stdout: keep the order
    try:
        status = pipe_into(command, payload)
    except OSError as error:
        raise CommandFailed(*start_failure(command[0], error)) from None
    failure = exit_sentence(command[0], status)
    if failure:
        raise CommandFailed(failure, shell_status(status))
    return 0


async def _save(service: AccountService, args: argparse.Namespace) -> int:
    from tui_mail.core.message.export import save_messages  # noqa: PLC0415

    raws = await _fetch_all(service, args.folder, args.uids)
    path = save_messages(raws, args.to, force=args.force)
    print(path)
    return 0


def register(commands: Any, parents: Parents) -> None:
    """Add this module's subcommands."""
    account, folder = parents.account, parents.folder
    sub = add_command(commands, "pipe", "pipe messages into a command (one: raw; several: one "
                      "mbox in the order given); exits with the command's status", _pipe,
                      account, folder, needs="config")  # fmt: skip
    sub.add_argument("words", nargs=argparse.REMAINDER, metavar="UID [UID ...] -- COMMAND ...",
                     help="e.g. `12 13 14 -- git am` (run without a shell)")  # fmt: skip
    sub.add_argument("--as-shown", action="store_true",
                     help="pipe the text as `read` prints it, not the source")  # fmt: skip
    sub = add_command(commands, "save", "save a message as .eml, or several as one mbox; "
                      "prints the path written", _save, account, folder, parents.uids)  # fmt: skip
    sub.add_argument("--to", type=Path, required=True, metavar="PATH",
                     help="file to write; for one message, a directory works too")  # fmt: skip
    sub.add_argument("--force", action="store_true", help="replace PATH if it exists")
