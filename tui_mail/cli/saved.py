"""`saved-searches`: the config's saved searches with their unread and total counts, from
the caches (no network: what the TUI's folder tree shows)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from tui_mail.cli.common import Parents, add_command

if TYPE_CHECKING:
    from tui_mail.config import AppConfig


def _saved_searches(config: AppConfig, args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.account.saved_search import find, usable  # noqa: PLC0415
    from tui_mail.core.account.service import AccountService  # noqa: PLC0415

    searches, problems = usable(config.saved_searches)
    for problem in problems:
        print(problem, file=sys.stderr)
    services = {account.name: AccountService(account, data_path()) for account in config.accounts}

    async def close_all() -> None:
        await asyncio.gather(*(service.close() for service in services.values()))

    try:
        caches = {name: service.cache for name, service in services.items()}
        rows = [
            {
                "name": search.name,
                "query": search.text,
                "accounts": search.scope(list(caches)),
                "unread": len(find(caches, search, unread=True)),
                "total": len(find(caches, search)),
            }
            for search in searches
        ]
    finally:
        asyncio.run(close_all())
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows and not problems:
        print("No saved searches; add a [[saved_searches]] table to the config.", file=sys.stderr)
    for row in rows if not args.json else []:
        print(f"{row['name']}\t{row['unread']} unread\t{row['total']} total\t{row['query']}")
    return 0


def register(commands: Any, parents: Parents) -> None:
    """Add this module's subcommands."""
    del parents
    sub = add_command(
        commands,
        "saved-searches",
        "list the saved searches with their unread and total counts, from the cache",
        _saved_searches,
        needs="config",
    )
    sub.add_argument("--json", action="store_true", help="machine-readable output")
