"""`tui-mail`: the TUI by default, and every headless action as a subcommand.

Each area of the CLI is a module in this package with a `register(commands, parents)`
function; listing it in COMMAND_MODULES is all it takes to add it. Command modules import
their heavy dependencies inside the handlers, so `tui-mail --help` stays fast.

Exit codes: 0 ok, 1 the server refused an action (or the disk is full, or the cache could
not be used), 2 usage or configuration (or a read-only cache), 3 connection or TLS,
4 authentication, 5 the server stopped answering in time or sent something unusable.
Errors are one readable message on stderr, never a traceback (set TUI_MAIL_DEBUG=1 to see
one for an internal error).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from tui_mail import __version__
from tui_mail.cli.common import Parents, run_with_service
from tui_mail.core.errors import TuiMailError

if TYPE_CHECKING:
    from pathlib import Path

    from tui_mail.config import AppConfig
    from tui_mail.core.account.service import AccountService

COMMAND_MODULES = (
    "tui_mail.cli.mail",
    "tui_mail.cli.export",
    "tui_mail.cli.local",
    "tui_mail.cli.compose",
    "tui_mail.cli.lists",
    "tui_mail.cli.accounts",
    "tui_mail.cli.saved",
)


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    """The CLI's parser; without `commands`, only the TUI's own options (see _parse)."""
    parents = Parents.make()
    parser = (argparse.ArgumentParser if commands else _TuiOnlyParser)(
        prog="tui-mail",
        description="A terminal email client. With no command, opens the TUI.",
        parents=[parents.account, parents.folder],
        add_help=commands,
    )
    parser.add_argument("--version", action="version", version=f"tui-mail {__version__}")
    parser.add_argument("--config", help="config file (default: $TUI_MAIL_CONFIG or XDG path)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use a generated demo mailbox instead of your accounts (no config or server needed)",
    )
    if commands:
        subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
        for name in COMMAND_MODULES:
            importlib.import_module(name).register(subparsers, parents)
    return parser


class _NotTheTui(Exception):
    pass


class _TuiOnlyParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotTheTui(message)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """A plain `tui-mail` (the TUI) is parsed without importing and registering the
    commands' modules: 40-60 ms of a launch's way to its first screen. Anything else
    (a command, --help, a mistake) goes to the full parser, which says what is wrong."""
    with contextlib.suppress(_NotTheTui):
        args, rest = build_parser(commands=False).parse_known_args(argv)
        if not rest:
            args.command = None
            return args
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    try:
        return _dispatch(args)
    except TuiMailError as error:
        print(f"tui-mail: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("tui-mail: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # the last line of defence: no traceback for users
        if os.environ.get("TUI_MAIL_DEBUG"):
            raise
        from tui_mail.core.account.files import file_problem  # noqa: PLC0415

        sentence = file_problem(error)
        if sentence is not None:  # what a disk or a file did: no "internal error"
            print(f"tui-mail: {sentence}", file=sys.stderr)
            return 1
        print(
            f"tui-mail: internal error ({type(error).__name__}: {error}). "
            "Set TUI_MAIL_DEBUG=1 for details and please report it.",
            file=sys.stderr,
        )
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    """Run the chosen command with what it declared it needs (see common.Parents)."""
    needs = getattr(args, "needs", "config")
    result: int
    _make_private(None)
    if needs == "nothing":
        result = args.handler(args)
        return result
    if args.demo:
        from tui_mail.config import data_path  # noqa: PLC0415
        from tui_mail.core.demo import demo_config  # noqa: PLC0415

        config = demo_config(data_path())
    else:
        from tui_mail.config import AppConfig, config_path, load_config  # noqa: PLC0415

        path = config_path(args.config)
        if args.command is None and not path.exists():
            # First run: the TUI opens the account set-up wizard, which writes `path`.
            config = AppConfig(path, ())
        else:
            config = load_config(path)
            _make_private(path)
    if needs == "service":
        from tui_mail.core.account.head_start import prepare_connection  # noqa: PLC0415

        with contextlib.suppress(TuiMailError):  # an unknown account: the command says so
            prepare_connection(config.account(args.account))
    if args.command is None:
        prepared = _head_start(config, args.account, args.folder)
        from tui_mail.ui.app import run  # noqa: PLC0415  (keeps textual out of the CLI)

        return run(config, account=args.account, folder=args.folder, prepared=prepared)
    if needs == "config":
        result = args.handler(config, args)
    else:
        account = config.account(args.account)
        result = asyncio.run(run_with_service(account, lambda service: args.handler(service, args)))
    return result


def _make_private(config_file: Path | None) -> None:
    """The data directory (or, given, the config file) private; a note when an older
    version had left them readable by other users. See config/private.py."""
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.config.paths import default_config_dir  # noqa: PLC0415
    from tui_mail.config.private import secure_config, secure_data_dir  # noqa: PLC0415

    if config_file is None:
        note = secure_data_dir(data_path())
    else:
        note = secure_config(config_file, own_dir=config_file.parent == default_config_dir())
    if note:
        print(f"tui-mail: {note}", file=sys.stderr)


def _head_start(
    config: AppConfig, account_name: str | None, folder: str | None
) -> AccountService | None:
    """The service of the account the app opens, its folder's sync already begun, so the
    network waits overlap the UI's imports (see core/account/head_start.py). Local mail needs
    none."""
    try:
        account = config.account(account_name) if config.accounts else None
    except TuiMailError:  # the app says so itself
        return None
    if account is None or account.type != "imap":
        return None
    from tui_mail.core.account.head_start import prepare_connection  # noqa: PLC0415

    prepare_connection(account)  # overlaps the imports below and the UI's
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.account.service import AccountService  # noqa: PLC0415

    service = AccountService(account, data_path())
    service.begin_sync(folder or "INBOX")
    return service
