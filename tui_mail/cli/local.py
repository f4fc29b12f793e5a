"""Local mail: `fetch` checks a POP3 server now (and says what it downloaded and deleted)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tui_mail.cli.common import Parents, add_command, clear_progress, progress_printer
from tui_mail.core.errors import UsageError

if TYPE_CHECKING:
    from tui_mail.config import AppConfig
    from tui_mail.core.models import SyncResult


def _fetch(config: AppConfig, args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.account.service import AccountService  # noqa: PLC0415

    account = config.account(args.account)
    if account.type != "pop3":
        raise UsageError(
            f"Account {account.name!r} is of type {account.type!r}; only POP3 accounts "
            'download mail. Use "tui-mail sync" to bring its cache up to date.'
        )

    async def fetch_and_sync() -> SyncResult:
        # Through the service, so the cache shows the new messages straight away.
        service = AccountService(account, data_path())
        try:
            return await service.sync("INBOX", progress_printer("INBOX"))
        finally:
            clear_progress()
            await service.close()

    report = asyncio.run(fetch_and_sync()).fetched
    if report is not None:
        server = account.pop3
        where = f" from {server.host}" if server is not None else ""
        print(
            f"{report.downloaded} new message(s) downloaded{where}; {report.deleted} deleted "
            f"from the server, {report.left_on_server} left there."
        )
    return 0


def register(commands: Any, parents: Parents) -> None:
    """Add this module's subcommands."""
    add_command(
        commands,
        "fetch",
        "POP3 accounts: download new mail now (sync of the INBOX does this too)",
        _fetch,
        parents.account,
        needs="config",
    )
