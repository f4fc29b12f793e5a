"""Mail out of tui-mail: `pipe` messages into a command, `save` them to a file.

Both fetch with mark_seen=False: handing a patch series to `git am` or keeping a copy is
not reading it, and the messages stay unread on the server.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_mail.cli.common import Parents, add_command
from tui_mail.core.errors import TuiMailError, UsageError

if TYPE_CHECKING:
    from tui_mail.config import AppConfig
    from tui_mail.core.account.service import AccountService

_NOT_FOUND = 127  # the shell's statuses, which scripts already test for
_NOT_EXECUTABLE = 126


class CommandFailed(TuiMailError):
    """The piped-into command exited non-zero; its status becomes ours."""

    def __init__(self, sentence: str, status: int) -> None:
        super().__init__(sentence)
        self.exit_code = status


class SaveRefused(TuiMailError):
    """The target exists (and --force was not given), or it cannot be written."""

    exit_code = 2


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
    from tui_mail.core.process_group import pipe_into  # noqa: PLC0415

    uids, command = _split_pipe_words(args.words)
    raws: list[bytes] = []

    async def work(service: AccountService) -> int:
        raws.extend(await _fetch_all(service, args.folder, uids))
        return 0

    # The command runs after the event loop is gone: asyncio.run's Ctrl-C handler would
    # only cancel a task, and a blocking wait for `git am` would never see the interrupt.
    asyncio.run(run_with_service(config.account(args.account), work))
    if args.as_shown:
        from tui_mail.core.message.mime import format_rendered, render_message  # noqa: PLC0415

        data = "\n\n".join(format_rendered(render_message(raw)) for raw in raws) + "\n"
        payload = data.encode()
    elif len(raws) == 1:
        payload = raws[0]
    else:
        from tui_mail.core.message.mbox import to_mbox  # noqa: PLC0415

        payload = to_mbox(raws)
    name = command[0]
    sys.stdout.flush()  # the command writes to the same stdout: keep the order
    try:
        status = pipe_into(command, payload)
    except FileNotFoundError:
        raise CommandFailed(f"Command not found: {name!r}.", _NOT_FOUND) from None
    except PermissionError:
        raise CommandFailed(f"Command {name!r} cannot be run (permission denied).",
                            _NOT_EXECUTABLE) from None  # fmt: skip
    except OSError as error:
        raise CommandFailed(f"Could not run {name!r}: {error.strerror}.", _NOT_EXECUTABLE) from None
    if status < 0:  # killed by a signal: report it as a shell would, 128 + N
        signame = signal.Signals(-status).name if -status in signal.valid_signals() else -status
        raise CommandFailed(f"{name!r} was killed by signal {signame}.", 128 - status)
    if status:
        raise CommandFailed(f"{name!r} exited with status {status}.", status)
    return 0


def _target(path: Path, raws: list[bytes]) -> Path:
    """PATH itself, or for one message and an existing directory a name from its subject."""
    if not path.is_dir():
        return path
    if len(raws) > 1:
        raise SaveRefused(f"{path} is a directory; several messages go to one mbox file: "
                          "give its path.")  # fmt: skip
    from email.parser import BytesHeaderParser  # noqa: PLC0415
    from email.policy import default  # noqa: PLC0415

    from tui_mail.core.message.filenames import safe_filename  # noqa: PLC0415

    try:
        subject = str(BytesHeaderParser(policy=default).parsebytes(raws[0]).get("Subject") or "")
    except Exception:  # a hostile header must not stop a save: no subject
        subject = ""
    # A subject is not a path: "Re: a/b" keeps both words (safe_filename keeps a base name).
    subject = subject.replace("/", "_").replace("\\", "_")[:150]
    return path / safe_filename(subject + ".eml" if subject else "", "message.eml")


def write_new_private(path: Path, data: bytes, *, force: bool) -> None:
    """Write `data` to `path`, mode 0600, all or nothing (a temporary file in the same
    directory, then linked in place). An existing `path` is refused unless `force`."""
    import tempfile  # noqa: PLC0415  (not needed for `--help`)

    directory = path.parent
    try:
        handle, temporary = tempfile.mkstemp(prefix=".tui-mail-", suffix=".part", dir=directory)
    except OSError as error:
        raise SaveRefused(f"Cannot write to {directory}: {error.strerror}.") from None
    try:
        with os.fdopen(handle, "wb") as file:  # mkstemp makes it 0600 whatever the umask
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if force:
            if path.is_dir():
                raise SaveRefused(f"{path} is a directory; not replacing it.")
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if anything is there: never a silent overwrite
    except FileExistsError:
        raise SaveRefused(f"{path} exists already; not overwriting it (--force would).") from None
    except OSError as error:
        raise SaveRefused(f"Could not write {path}: {error.strerror}.") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


async def _save(service: AccountService, args: argparse.Namespace) -> int:
    raws = await _fetch_all(service, args.folder, args.uids)
    path = _target(args.to.expanduser(), raws)
    if len(raws) == 1:
        data = raws[0]  # the server's bytes, unchanged: an .eml is the message itself
    else:
        from tui_mail.core.message.mbox import to_mbox  # noqa: PLC0415

        data = to_mbox(raws)
    write_new_private(path, data, force=args.force)
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
