"""`tui-mail search`: the server's search of a folder, or (`--local`) the caches' own, which
needs no server: a folder, every folder of the account (`--all-folders`) or of every
account (`--all-accounts`), from the full-text index (core/account/local_search.py).
`--cached` stays what the TUI's limit (l) shows of one folder."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui_mail.cli.common import Parents, add_command, progress_printer, run_with_service
from tui_mail.core.query import SEARCH_HELP, parse_query

if TYPE_CHECKING:
    from tui_mail.config import AppConfig
    from tui_mail.core.account.local_search import Hit
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.models import MessageSummary


def _search(config: AppConfig, args: argparse.Namespace) -> int:
    if args.local:
        return _search_local(config, args)
    if args.all_accounts or args.all_folders:
        from tui_mail.core.errors import UsageError  # noqa: PLC0415

        raise UsageError("--all-accounts and --all-folders search the caches: add --local.")
    account = config.account(args.account)
    return asyncio.run(run_with_service(account, lambda service: _search_one(service, args)))


async def _search_one(service: AccountService, args: argparse.Namespace) -> int:
    from tui_mail.cli.mail import print_summaries  # noqa: PLC0415

    if args.cached:  # what the TUI's limit (l) shows: never the server
        words = shlex.join(args.query)  # a "quoted phrase" stays one word
        found = service.cache.matched_summaries(args.folder, parse_query(words))
        print_summaries(found, args.json)
        return 0
    if not service.cache.ever_synced(args.folder):
        await service.sync(args.folder, progress_printer(args.folder))
    print_summaries(await service.search(args.folder, " ".join(args.query)), args.json)
    return 0


def _search_local(config: AppConfig, args: argparse.Namespace) -> int:
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.account.local_search import FoundMessages, Scope, search_local  # noqa: PLC0415
    from tui_mail.core.account.service import AccountService  # noqa: PLC0415
    from tui_mail.core.query import reads_body  # noqa: PLC0415

    query = parse_query(shlex.join(args.query))  # a "quoted phrase" stays one word
    accounts = list(config.accounts) if args.all_accounts else [config.account(args.account)]
    scope = Scope.ALL if args.all_accounts else Scope.ACCOUNT if args.all_folders else Scope.FOLDER
    # Opening a service connects to nothing: only its cache is read here.
    services = {account.name: AccountService(account, data_path()) for account in accounts}
    try:
        caches = {name: service.cache for name, service in services.items()}
        hits = search_local(caches, query, scope, account=accounts[0].name, folder=args.folder)
        found = FoundMessages(caches, hits)
        rows = [(hit, row.summary) for i, hit in enumerate(hits) if (row := found.row(i))]
        folders = [args.folder] if scope is Scope.FOLDER else None
        uncached = sum(cache.uncached_bodies(folders) for cache in caches.values())
    finally:
        asyncio.run(_close(list(services.values())))
    _print_hits(rows, args.json)
    if uncached and reads_body(query):
        print(
            f"tui-mail: {uncached} message(s) searched have no cached body: words were looked "
            "for in their sender, recipients and subject only (search without --local asks "
            "the server).",
            file=sys.stderr,
        )
    return 0


async def _close(services: list[AccountService]) -> None:
    for service in services:
        await service.close()


def _flags(message: MessageSummary) -> list[str]:
    from tui_mail.core.models import Flag  # noqa: PLC0415

    names = [flag.name.lower() for flag in Flag if flag and flag in message.flags and flag.name]
    return [*names, *message.keywords]


def _print_hits(rows: list[tuple[Hit, MessageSummary]], as_json: bool) -> None:
    from tui_mail.core.message.sanitize import sanitize_line  # noqa: PLC0415

    if as_json:
        out: list[dict[str, Any]] = [
            {
                "account": hit.account,
                "folder": hit.folder,
                "uid": hit.uid,
                "date": datetime.fromtimestamp(m.date, UTC).isoformat() if m.date else None,
                "from": m.sender,
                "from_addr": m.from_addr,
                "subject": m.subject,
                "flags": _flags(m),
            }
            for hit, m in rows
        ]
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return
    for hit, m in rows:
        when = datetime.fromtimestamp(m.date).strftime("%Y-%m-%d %H:%M") if m.date else "-"
        mark = ("N" if not m.seen else " ") + ("!" if m.flagged else " ")
        where = sanitize_line(f"{hit.account}/{hit.folder}")
        print(f"{where[:24]:<24} {hit.uid:>7} {mark} {when}  "
              f"{sanitize_line(m.sender)[:24]:<24}  {sanitize_line(m.subject)}")  # fmt: skip


def register(commands: Any, parents: Parents) -> None:
    """Add `search` (called by cli/mail.py, where it always stood among the commands)."""
    sub = add_command(commands, "search", "search a folder on the server, or the caches offline "
                      "(--local)", _search, parents.account, parents.folder,
                      needs="config")  # fmt: skip
    sub.add_argument("query", nargs="+", help='e.g. from:alice is:unread "exact phrase"')
    sub.epilog = SEARCH_HELP.replace("Search (/): words", "Search words")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_argument("--cached", action="store_true",
                     help="the cache only, offline (as the TUI's limit, l): body: and plain "
                     "words look into messages read before")  # fmt: skip
    sub.add_argument("--local", action="store_true",
                     help="the caches' full-text index, offline: the folder (-f), every folder "
                     "(--all-folders) or every account (--all-accounts); body: and plain words "
                     "look into messages whose body is cached")  # fmt: skip
    where = sub.add_mutually_exclusive_group()
    where.add_argument("--all-folders", action="store_true",
                       help="with --local: every cached folder of the account")  # fmt: skip
    where.add_argument("--all-accounts", action="store_true",
                       help="with --local: every cached folder of every account")  # fmt: skip
