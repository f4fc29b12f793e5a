"""Mailing lists from scripts: `tui-mail unsubscribe UID` (`tui-mail reply UID --list`
replies to a list; see compose.py).

Unsubscribing does something only after a yes: `--yes`, or an answer on a terminal.
Otherwise it prints what it would do and does nothing, so a script can look first.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui_mail.cli.common import Parents, add_command
from tui_mail.core.errors import UsageError

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.message.lists import UnsubscribePlan


def _describe(plan: UnsubscribePlan) -> str:
    """What unsubscribing would do, in one sentence."""
    where = f" from {plan.list_name}" if plan.list_name else ""
    if plan.how == "one-click":
        return (
            f"Unsubscribe{where} by one HTTPS POST (List-Unsubscribe=One-Click) to "
            f"{plan.host}: {plan.url}"
        )
    if plan.mailto is not None:
        to = ", ".join(plan.mailto.to)
        subject = plan.mailto.subject or "unsubscribe"
        return f"Unsubscribe{where} by sending a message to {to} (subject: {subject!r})."
    named = f" ({plan.list_name})" if plan.list_name else ""
    return f"This list{named} unsubscribes on a web page; open it in your browser: {plan.url}"


def _agreed(args: argparse.Namespace, plan: UnsubscribePlan) -> bool:
    print(_describe(plan), file=sys.stderr)
    if args.yes:
        return True
    if not sys.stdin.isatty():
        print("Nothing done: run again with --yes to do it.", file=sys.stderr)
        return False
    answer = input("Do it? [y/N]: ").strip().lower()
    return answer in ("y", "yes")


async def _unsubscribe(service: AccountService, args: argparse.Namespace) -> int:
    from tui_mail.core.message.lists import list_headers, unsubscribe_plan  # noqa: PLC0415

    raw = await service.fetch_raw(args.folder, args.uid)
    plan = unsubscribe_plan(list_headers(raw))
    if plan.how == "refused":
        raise UsageError(plan.sentence)
    if plan.how == "browser":  # nothing to send from here: the user opens the page
        print(_describe(plan))
        return 0
    if not _agreed(args, plan):
        return 0
    if plan.mailto is None:  # one-click
        from tui_mail.core.account.unsubscribe import one_click_unsubscribe  # noqa: PLC0415

        result = await one_click_unsubscribe(service.account, plan.url)
        print(result.sentence, file=sys.stderr)
        return 0 if result.ok else 1
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.sending.lists import compose_unsubscribe  # noqa: PLC0415
    from tui_mail.core.sending.outbox import Outbox  # noqa: PLC0415
    from tui_mail.core.sending.send import report_sentence, send_draft  # noqa: PLC0415

    draft = compose_unsubscribe(service.account, plan.mailto)
    outbox = Outbox.for_account(data_path(), service.account)
    print(report_sentence(await send_draft(service, draft, outbox=outbox)), file=sys.stderr)
    return 0


def register(commands: Any, parents: Parents) -> None:
    """Add this module's subcommands."""
    sub = add_command(
        commands,
        "unsubscribe",
        "leave the mailing list a message came from (List-Unsubscribe); asks first",
        _unsubscribe,
        parents.account,
        parents.folder,
    )
    sub.add_argument("uid", type=int, metavar="UID")
    sub.add_argument(
        "--yes", action="store_true", help="do it without asking (else: asks on a terminal)"
    )
