"""Reading and triage: accounts, folders, sync, list, read, render, search, flags, moves."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tui_mail.cli import search
from tui_mail.cli.common import Parents, add_command, clear_progress, progress_printer
from tui_mail.core.errors import UsageError
from tui_mail.core.message.sanitize import sanitize_line

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig, AppConfig
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.models import MessageSummary

T = TypeVar("T")


# -- commands -----------------------------------------------------------------------------


def _accounts(config: AppConfig, args: argparse.Namespace) -> int:
    for account in config.accounts:
        server = account.imap
        where = f"{server.host}:{server.port} ({server.security})" if server else account.type
        print(f"{account.name}\t{account.email}\t{where}")
    return 0


def _set_password(config: AppConfig, args: argparse.Namespace) -> int:
    import getpass  # noqa: PLC0415

    from tui_mail.core.auth import credentials  # noqa: PLC0415

    account = config.account(args.account)
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


async def _sync(service: AccountService, args: argparse.Namespace) -> int:
    if args.all:
        names = [f.name for f in await service.refresh_folders() if f.selectable]
    else:
        names = [args.folder]
    for name in names:
        started = time.perf_counter()
        progress = progress_printer(name)
        result = await service.sync(name, progress)
        clear_progress()
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


def print_summaries(messages: list[MessageSummary], as_json: bool) -> None:
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
    if args.sync or not service.cache.ever_synced(args.folder):
        await service.sync(args.folder, progress_printer(args.folder))
    from tui_mail.core.sort import parse_sort  # noqa: PLC0415

    sort = parse_sort([args.sort or "date", *(["--reverse"] if args.reverse else [])])
    messages = service.messages(args.folder, limit=args.limit, unread_only=args.unread, sort=sort)
    print_summaries(messages, args.json)
    return 0


async def _read(service: AccountService, args: argparse.Namespace) -> int:
    raw = await service.fetch_raw(args.folder, args.uid, mark_seen=not args.peek)
    if args.raw:
        from tui_mail.core.message.sanitize import sanitize_text  # noqa: PLC0415

        # Even the raw source must not reach the terminal with escape sequences in it.
        sys.stdout.write(sanitize_text(raw.decode("utf-8", "replace")))
        return 0
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.crypto.reading import learn_autocrypt  # noqa: PLC0415

    learn_autocrypt(raw, data_path())
    return _print_secured(raw, full_headers=args.full_headers, account=service.account)


_LABELS = {"ok": "ok", "warn": "WARNING"}
SECURITY_FAILED = 6
"""Exit status of `read`/`render` when a signature is bad or decryption failed."""


def _print_secured(
    raw: bytes,
    *,
    full_headers: bool,
    prefer_html: bool = False,
    account: AccountConfig | None = None,
) -> int:
    """The message as the reader shows it, after what is true about its signatures and
    encryption (first, before any text of the message, so the body cannot pose as it)."""
    from tui_mail.core.crypto.reading import read_secured  # noqa: PLC0415
    from tui_mail.core.message.mime import format_rendered, render_message  # noqa: PLC0415

    key, cert = (account.smime_key, account.smime_cert) if account else (None, None)
    secured = read_secured(raw, smime_key=key, smime_cert=cert)
    for severity, line in secured.lines:
        print(f"Security ({_LABELS.get(severity, 'BAD')}): {line}")
    rendered = render_message(secured.raw, prefer_html=prefer_html)
    print(format_rendered(rendered, full_headers=full_headers))
    return SECURITY_FAILED if secured.failed else 0


def _save_attachment(config: AppConfig, args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from tui_mail.cli.common import run_with_service  # noqa: PLC0415
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.message.attachments import default_download_dir, save_attachment  # noqa: PLC0415
    from tui_mail.core.message.mime import attachment_data, render_message  # noqa: PLC0415

    holder: list[bytes] = []

    async def work(service: AccountService) -> int:
        holder.append(await service.fetch_raw(args.folder, args.uid, mark_seen=False))
        return 0

    asyncio.run(run_with_service(config.account(args.account), work))
    raw = holder[0]
    attachments = render_message(raw).attachments
    if not 1 <= args.number <= len(attachments):
        listed = ", ".join(f"{a.index} ({a.filename})" for a in attachments) or "none"
        raise UsageError(
            f"Message {args.uid} has no attachment {args.number}; its attachments: {listed}. "
            f"`tui-mail read -f {args.folder} {args.uid}` lists them."
        )
    item = attachments[args.number - 1]
    data = attachment_data(raw, item.index) or b""
    directory = args.to or default_download_dir(data_path(), config.download_dir)
    path = save_attachment(data, item.filename, directory)
    print(path)
    return 0


def _render(args: argparse.Namespace) -> int:
    try:
        raw = args.file.read_bytes()
    except OSError as error:
        raise UsageError(f"Cannot read {args.file}: {error.strerror}.") from None
    return _print_secured(raw, full_headers=args.full_headers, prefer_html=args.html)


def _flag_action(flag_name: str, on: bool) -> Callable[[AccountService, argparse.Namespace],
                                                       Awaitable[int]]:  # fmt: skip
    async def act(service: AccountService, args: argparse.Namespace) -> int:
        from tui_mail.core.models import Flag  # noqa: PLC0415

        await service.set_flag(args.folder, args.uids, Flag[flag_name], on=on)
        return 0

    return act


async def _move(service: AccountService, args: argparse.Namespace) -> int:
    from tui_mail.core.folders.names import find_folder  # noqa: PLC0415

    # "Archive" may be INBOX.Archive (Courier) or the folder with the \Archive flag.
    destination = await find_folder(service, args.to)
    await service.move(args.folder, args.uids, destination)
    print(f"Moved {len(args.uids)} message(s) to {sanitize_line(destination)}.", file=sys.stderr)
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


def register(commands: Any, parents: Parents) -> None:
    """Add this module's subcommands."""
    account, folder, uids = parents.account, parents.folder, parents.uids
    add_command(commands, "accounts", "list configured accounts", _accounts, needs="config")
    sub = add_command(commands, "folders", "list folders with unread and total counts",
                      _folders, account)  # fmt: skip
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_argument("--cached", action="store_true", help="from the cache, without connecting")
    sub = add_command(commands, "sync", "sync folders into the local cache", _sync, account, folder)
    sub.add_argument("--all", action="store_true", help="every selectable folder")
    sub = add_command(commands, "list", "list messages (from the cache; syncs a folder never "
                      "synced)", _list, account, folder)  # fmt: skip
    sub.add_argument(
        "--limit", type=int, default=None, help="at most N messages (the first in the order)"
    )
    sub.add_argument("--sort", metavar="KEY", default=None,
                     help="date (default, newest first), arrival, from, to, subject, size, "
                     "unread or flagged (first)")  # fmt: skip
    sub.add_argument("--reverse", action="store_true", help="the sorted list upside down")
    sub.add_argument("--unread", action="store_true", help="only unread messages")
    sub.add_argument("--sync", action="store_true", help="sync the folder first")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub = add_command(commands, "read", "print a message as the reader shows it", _read,
                      account, folder)  # fmt: skip
    sub.add_argument("uid", type=int, metavar="UID")
    sub.add_argument("--peek", action="store_true", help="do not mark the message read")
    sub.add_argument("--raw", action="store_true", help="print the raw source instead")
    sub.add_argument("--full-headers", action="store_true", help="show every header")
    sub = add_command(commands, "save-attachment", "save attachment N of a message (numbered "
                      "as `read` lists them); prints the path written", _save_attachment,
                      account, folder, needs="config")  # fmt: skip
    sub.add_argument("uid", type=int, metavar="UID")
    sub.add_argument("number", type=int, metavar="N", help="attachment number, from 1")
    sub.add_argument("--to", type=Path, metavar="DIR", default=None,
                     help="directory (default: download_dir, else ~/Downloads)")  # fmt: skip
    sub = add_command(commands, "render", "render a message file (.eml) as the reader would",
                      _render, needs="nothing")  # fmt: skip
    sub.add_argument("file", type=Path, metavar="FILE")
    sub.add_argument("--html", action="store_true", help="prefer the HTML part")
    sub.add_argument("--full-headers", action="store_true", help="show every header")
    search.register(commands, parents)  # its own module: the server's search and --local
    for name, help_text, handler in (
        ("flag", "flag messages", _flag_action("FLAGGED", True)),
        ("unflag", "remove the flag from messages", _flag_action("FLAGGED", False)),
        ("mark-read", "mark messages read", _flag_action("SEEN", True)),
        ("mark-unread", "mark messages unread", _flag_action("SEEN", False)),
        ("delete", "move messages to Trash (in Trash: delete for good)", _delete),
        ("archive", "move messages to the Archive folder", _archive),
    ):
        add_command(commands, name, help_text, handler, account, folder, uids)
    sub = add_command(commands, "move", "move messages to another folder", _move, account,
                      folder, uids)  # fmt: skip
    sub.add_argument("--to", required=True, metavar="FOLDER", help="destination folder")
    sub = add_command(commands, "create-folder", "create a folder", _create_folder, account)
    sub.add_argument("name")
    sub = add_command(commands, "rename-folder", "rename a folder", _rename_folder, account)
    sub.add_argument("old")
    sub.add_argument("new")
    sub = add_command(commands, "delete-folder", "delete a folder and the messages in it",
                      _delete_folder, account)  # fmt: skip
    sub.add_argument("name")
    add_command(commands, "set-password", "store the account's password in the system keyring",
                _set_password, account, needs="config")  # fmt: skip
