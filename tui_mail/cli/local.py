"""`fetch`: a POP3 server checked now (and what it downloaded and deleted); with
`--offline`, an IMAP account's recent bodies downloaded for offline use (offline_days)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui_mail.cli.common import (
    Parents,
    add_command,
    clear_progress,
    progress_printer,
    run_with_service,
)
from tui_mail.core.errors import UsageError

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig, AppConfig
    from tui_mail.core.account.events import Event
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.models import SyncResult


def _fetch(config: AppConfig, args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.account.service import AccountService  # noqa: PLC0415

    account = config.account(args.account)
    if args.offline:
        _check_offline_days(account)
        return asyncio.run(run_with_service(account, _download_ahead))
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


def _check_offline_days(account: AccountConfig) -> None:
    if not account.mail_is_remote:
        raise UsageError(
            f"Account {account.name!r} is of type {account.type!r}: its mail is on this "
            "machine already, so there is nothing to download for offline use."
        )
    if not account.offline_days:
        raise UsageError(
            f"Account {account.name!r} has offline_days = 0 (off). Set it in the account's "
            "[[accounts]] table, e.g. offline_days = 30 for the last 30 days' messages."
        )


async def _download_ahead(service: AccountService) -> int:
    """Sync every folder downloaded ahead, then fetch the bodies still missing."""
    from tui_mail.core.account.events import OfflineProgress  # noqa: PLC0415
    from tui_mail.core.account.offline_bodies import SKIPPED_ROLES  # noqa: PLC0415

    for folder in await service.refresh_folders():
        if folder.selectable and folder.role not in SKIPPED_ROLES:
            await service.sync(folder.name, progress_printer(folder.name))
            clear_progress()

    def show(event: Event) -> None:  # on the worker thread: only prints
        if isinstance(event, OfflineProgress) and not event.finished and sys.stderr.isatty():
            print(f"\r{event.sentence()}", end="", file=sys.stderr, flush=True)

    service.on_event = show
    done = await service.offline_bodies.download()
    clear_progress()
    name = service.account.name
    print(done.sentence() if done.done or done.note else f"{name}: nothing to download")
    return 0


def register(commands: Any, parents: Parents) -> None:
    """Add this module's subcommands."""
    add_command(
        commands,
        "fetch",
        "POP3 accounts: download new mail now (sync of the INBOX does this too); "
        "--offline: IMAP accounts: download the last offline_days' bodies for offline use",
        _fetch,
        parents.account,
        needs="config",
    ).add_argument(
        "--offline",
        action="store_true",
        help="sync every folder, then download the bodies of its last offline_days' "
        "messages (not Trash, Junk, All Mail), resuming where a run stopped",
    )
