"""`tui-mail`: the TUI by default, and every headless action as a subcommand.

Exit codes: 0 ok, 1 the server refused an action, 2 usage or configuration, 3 connection or
TLS, 4 authentication. Errors are one readable message on stderr, never a traceback (set
TUI_MAIL_DEBUG=1 to see one for an internal error).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tui_mail import __version__
from tui_mail.core.errors import TuiMailError, UsageError

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig, AppConfig
    from tui_mail.core.models import MessageSummary
    from tui_mail.core.service import AccountService

T = TypeVar("T")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-a", "--account", help="account name (default: the first one)")
    folder = argparse.ArgumentParser(add_help=False)
    folder.add_argument("-f", "--folder", default="INBOX", help="folder (default: INBOX)")
    uids = argparse.ArgumentParser(add_help=False)
    uids.add_argument("uids", nargs="+", type=int, metavar="UID", help="message UIDs")

    parser = argparse.ArgumentParser(
        prog="tui-mail",
        description="A terminal email client. With no command, opens the TUI.",
        parents=[common, folder],
    )
    parser.add_argument("--version", action="version", version=f"tui-mail {__version__}")
    parser.add_argument("--config", help="config file (default: $TUI_MAIL_CONFIG or XDG path)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, *parents: argparse.ArgumentParser) -> Any:
        return commands.add_parser(name, help=help_text, description=help_text, parents=parents)

    command("accounts", "list configured accounts")
    sub = command("folders", "list folders with unread and total counts", common)
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_argument("--cached", action="store_true", help="from the cache, without connecting")
    sub = command("sync", "sync folders into the local cache", common, folder)
    sub.add_argument("--all", action="store_true", help="every selectable folder")
    sub = command("list", "list messages (from the cache; syncs a folder never synced)", common,
                  folder)  # fmt: skip
    sub.add_argument("--limit", type=int, default=None, help="at most N messages, newest first")
    sub.add_argument("--unread", action="store_true", help="only unread messages")
    sub.add_argument("--sync", action="store_true", help="sync the folder first")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub = command("read", "print a message as the reader shows it", common, folder)
    sub.add_argument("uid", type=int, metavar="UID")
    sub.add_argument("--peek", action="store_true", help="do not mark the message read")
    sub.add_argument("--raw", action="store_true", help="print the raw source instead")
    sub.add_argument("--full-headers", action="store_true", help="show every header")
    sub = command("render", "render a message file (.eml) as the reader would")
    sub.add_argument("file", type=Path, metavar="FILE")
    sub.add_argument("--html", action="store_true", help="prefer the HTML part")
    sub.add_argument("--full-headers", action="store_true", help="show every header")
    sub = command("search", "search a folder on the server", common, folder)
    sub.add_argument("query", nargs="+", help='e.g. from:alice is:unread "exact phrase"')
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    for name, help_text in (
        ("flag", "flag messages"),
        ("unflag", "remove the flag from messages"),
        ("mark-read", "mark messages read"),
        ("mark-unread", "mark messages unread"),
        ("delete", "move messages to Trash (in Trash: delete for good)"),
        ("archive", "move messages to the Archive folder"),
    ):
        command(name, help_text, common, folder, uids)
    sub = command("move", "move messages to another folder", common, folder, uids)
    sub.add_argument("--to", required=True, metavar="FOLDER", help="destination folder")
    sub = command("create-folder", "create a folder", common)
    sub.add_argument("name")
    sub = command("rename-folder", "rename a folder", common)
    sub.add_argument("old")
    sub.add_argument("new")
    sub = command("delete-folder", "delete a folder and the messages in it", common)
    sub.add_argument("name")
    command("set-password", "store the account's password in the system keyring", common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
        print(
            f"tui-mail: internal error ({type(error).__name__}: {error}). "
            "Set TUI_MAIL_DEBUG=1 for details and please report it.",
            file=sys.stderr,
        )
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "render":
        return _render(args)
    from tui_mail.config import config_path, load_config  # noqa: PLC0415

    config = load_config(config_path(args.config))
    if args.command is None:
        from tui_mail.ui.app import run  # noqa: PLC0415  (keeps textual out of the CLI)

        return run(config, account=args.account, folder=args.folder)
    if args.command == "accounts":
        return _accounts(config)
    account = config.account(args.account)
    if args.command == "set-password":
        return _set_password(account)
    handler = _HANDLERS[args.command]
    return _with_service(account, lambda service: handler(service, args))


def _with_service(account: AccountConfig, work: Callable[[AccountService], Awaitable[int]]) -> int:
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.service import AccountService  # noqa: PLC0415

    async def run() -> int:
        service = AccountService(account, data_path())
        try:
            return await work(service)
        finally:
            await service.close()

    return asyncio.run(run())


# -- commands -----------------------------------------------------------------------------


def _accounts(config: AppConfig) -> int:
    for account in config.accounts:
        server = account.imap
        where = f"{server.host}:{server.port} ({server.security})" if server else account.type
        print(f"{account.name}\t{account.email}\t{where}")
    return 0


def _set_password(account: AccountConfig) -> int:
    import getpass  # noqa: PLC0415

    from tui_mail.core import credentials  # noqa: PLC0415

    secret = getpass.getpass(f"Password for {account.username}: ")
    if not secret:
        raise UsageError("No password entered; nothing was stored.")
    credentials.set_password(account, secret)
    print(f"Stored the password for {account.name!r} in the system keyring.", file=sys.stderr)
    return 0


async def _folders(service: AccountService, args: argparse.Namespace) -> int:
    folders = service.cached_folders() if args.cached else await service.refresh_folders()
    if args.json:
        print(json.dumps([
            {"name": f.name, "role": f.role.value if f.role else None, "total": f.total,
             "unseen": f.unseen, "subscribed": f.subscribed, "delimiter": f.delimiter}
            for f in folders
        ], indent=2))  # fmt: skip
        return 0
    width = max((len(f.name) for f in folders), default=0)
    for f in folders:
        counts = "" if f.total is None else f"{f.unseen or 0:>6} unread {f.total:>7} total"
        role = f"  [{f.role.value}]" if f.role else ""
        print(f"{f.name:<{width}}  {counts}{role}".rstrip())
    return 0


def _progress_printer(folder: str) -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        print(f"\r{folder}: {done}/{total} headers", end="", file=sys.stderr, flush=True)

    return show


async def _sync(service: AccountService, args: argparse.Namespace) -> int:
    if args.all:
        names = [f.name for f in await service.refresh_folders() if f.selectable]
    else:
        names = [args.folder]
    for name in names:
        started = time.perf_counter()
        progress = _progress_printer(name)
        result = await service.sync(name, progress)
        if progress is not None:
            print("\r\033[K", end="", file=sys.stderr)
        reset = ", cache reset (UIDVALIDITY changed)" if result.cache_reset else ""
        print(
            f"{name}: {result.total} messages ({result.unseen} unread); {result.new} new, "
            f"{result.flags_changed} flag changes, {result.vanished} removed{reset} "
            f"[{result.method}, {time.perf_counter() - started:.2f} s]"
        )
    return 0


def _summary_json(message: MessageSummary) -> dict[str, Any]:
    return {
        "uid": message.uid,
        "date": datetime.fromtimestamp(message.date, UTC).isoformat() if message.date else None,
        "from": message.sender,
        "from_name": message.from_name,
        "from_addr": message.from_addr,
        "to": message.to,
        "subject": message.subject,
        "message_id": message.message_id,
        "size": message.size,
        "unread": not message.seen,
        "flagged": message.flagged,
        "answered": message.answered,
        "has_attachment": message.has_attachment,
        "keywords": list(message.keywords),
    }


def _print_summaries(messages: list[MessageSummary], as_json: bool) -> None:
    if as_json:
        print(json.dumps([_summary_json(m) for m in messages], indent=2, ensure_ascii=False))
        return
    for m in messages:
        when = datetime.fromtimestamp(m.date).strftime("%Y-%m-%d %H:%M") if m.date else "-"
        marks = ("N" if not m.seen else " ") + ("!" if m.flagged else " ")
        marks += "r" if m.answered else " "
        marks += "@" if m.has_attachment else " "
        print(f"{m.uid:>7} {marks} {when}  {m.sender[:24]:<24}  {m.subject}")


async def _list(service: AccountService, args: argparse.Namespace) -> int:
    state = service.store.sync_state(args.folder)
    if args.sync or state.uidvalidity is None:
        await service.sync(args.folder, _progress_printer(args.folder))
    messages = service.messages(args.folder, limit=args.limit, unread_only=args.unread)
    _print_summaries(messages, args.json)
    return 0


async def _read(service: AccountService, args: argparse.Namespace) -> int:
    raw = await service.fetch_raw(args.folder, args.uid, mark_seen=not args.peek)
    if args.raw:
        from tui_mail.core.sanitize import sanitize_text  # noqa: PLC0415

        # Even the raw source must not reach the terminal with escape sequences in it.
        sys.stdout.write(sanitize_text(raw.decode("utf-8", "replace")))
        return 0
    from tui_mail.core.mime import format_rendered, render_message  # noqa: PLC0415

    print(format_rendered(render_message(raw), full_headers=args.full_headers))
    return 0


def _render(args: argparse.Namespace) -> int:
    from tui_mail.core.mime import format_rendered, render_message  # noqa: PLC0415

    try:
        raw = args.file.read_bytes()
    except OSError as error:
        raise UsageError(f"Cannot read {args.file}: {error.strerror}.") from None
    rendered = render_message(raw, prefer_html=args.html)
    print(format_rendered(rendered, full_headers=args.full_headers))
    return 0


async def _search(service: AccountService, args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    if service.store.sync_state(args.folder).uidvalidity is None:
        await service.sync(args.folder, _progress_printer(args.folder))
    messages = await service.search(args.folder, query)
    _print_summaries(messages, args.json)
    return 0


def _flag_action(flag_name: str, on: bool) -> Callable[[AccountService, argparse.Namespace],
                                                       Awaitable[int]]:  # fmt: skip
    async def act(service: AccountService, args: argparse.Namespace) -> int:
        from tui_mail.core.models import Flag  # noqa: PLC0415

        await service.set_flag(args.folder, args.uids, Flag[flag_name], on=on)
        return 0

    return act


async def _move(service: AccountService, args: argparse.Namespace) -> int:
    await service.move(args.folder, args.uids, args.to)
    print(f"Moved {len(args.uids)} message(s) to {args.to}.", file=sys.stderr)
    return 0


async def _delete(service: AccountService, args: argparse.Namespace) -> int:
    trash = await service.delete(args.folder, args.uids)
    where = f"moved to {trash}" if trash else "deleted for good"
    print(f"{len(args.uids)} message(s) {where}.", file=sys.stderr)
    return 0


async def _archive(service: AccountService, args: argparse.Namespace) -> int:
    archive = await service.archive(args.folder, args.uids)
    print(f"{len(args.uids)} message(s) moved to {archive}.", file=sys.stderr)
    return 0


async def _create_folder(service: AccountService, args: argparse.Namespace) -> int:
    await service.create_folder(args.name)
    return 0


async def _rename_folder(service: AccountService, args: argparse.Namespace) -> int:
    await service.rename_folder(args.old, args.new)
    return 0


async def _delete_folder(service: AccountService, args: argparse.Namespace) -> int:
    await service.delete_folder(args.name)
    return 0


_HANDLERS: dict[str, Callable[[AccountService, argparse.Namespace], Awaitable[int]]] = {
    "folders": _folders,
    "sync": _sync,
    "list": _list,
    "read": _read,
    "search": _search,
    "flag": _flag_action("FLAGGED", True),
    "unflag": _flag_action("FLAGGED", False),
    "mark-read": _flag_action("SEEN", True),
    "mark-unread": _flag_action("SEEN", False),
    "move": _move,
    "delete": _delete,
    "archive": _archive,
    "create-folder": _create_folder,
    "rename-folder": _rename_folder,
    "delete-folder": _delete_folder,
}
