"""What every CLI command module shares: argument parents, the service runner, output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.account.service import AccountService

Needs = Literal["nothing", "config", "service"]
"""What a handler is called with: (args), (config, args) or (service, args)."""


@dataclass(frozen=True)
class Parents:
    """Shared argument groups: `-a ACCOUNT`, `-f FOLDER`, and a list of UIDs."""

    account: argparse.ArgumentParser
    folder: argparse.ArgumentParser
    uids: argparse.ArgumentParser

    @classmethod
    def make(cls) -> Parents:
        account = argparse.ArgumentParser(add_help=False)
        account.add_argument("-a", "--account", help="account name (default: the first one)")
        folder = argparse.ArgumentParser(add_help=False)
        folder.add_argument("-f", "--folder", default="INBOX", help="folder (default: INBOX)")
        uids = argparse.ArgumentParser(add_help=False)
        uids.add_argument("uids", nargs="+", type=int, metavar="UID", help="message UIDs")
        return cls(account, folder, uids)


def add_command(
    commands: Any,
    name: str,
    help_text: str,
    handler: Callable[..., Any],
    *parents: argparse.ArgumentParser,
    needs: Needs = "service",
) -> argparse.ArgumentParser:
    """Add a subcommand whose handler receives what `needs` says."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help_text, description=help_text, parents=list(parents)
    )
    parser.set_defaults(handler=handler, needs=needs)
    return parser


async def run_with_service(
    account: AccountConfig, work: Callable[[AccountService], Awaitable[int]]
) -> int:
    """Open the account's service, run `work`, and always close it."""
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.account.service import AccountService  # noqa: PLC0415

    service = AccountService(account, data_path())
    told = _tell_rebuilt(service, None)
    try:
        return await work(service)
    finally:
        _tell_rebuilt(service, told)
        await service.close()


def _tell_rebuilt(service: AccountService, told: object) -> object:
    """Say on stderr, once, that a damaged cache was set aside and is being rebuilt."""
    rebuilt = service.cache.rebuilt
    if rebuilt is not None and rebuilt is not told:
        print(f"tui-mail: {rebuilt.sentence()}", file=sys.stderr)
    return rebuilt


def progress_printer(label: str) -> Callable[[int, int], None] | None:
    """A progress line on stderr when it is a terminal; nothing when scripted."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        print(f"\r{label}: {done}/{total} headers", end="", file=sys.stderr, flush=True)

    return show


def clear_progress() -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
