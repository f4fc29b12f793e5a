"""Unsubscribing from the highlighted message's mailing list (`:unsubscribe`).

Runs in the main screen's compose worker (see compose_open.py): the headers decide the
way (core/message/lists.py `unsubscribe_plan`), and nothing leaves the machine before the
user has seen where it goes:

- `mailto:` -> a prefilled message on the compose screen, which the user sends or not;
- RFC 8058 one-click -> a dialog naming the list and the host plainly, then one HTTPS POST
  (core/account/unsubscribe.py), whose outcome is one sentence in the status bar;
- an https page without one-click -> the usual "open this link?" dialog, then the browser;
- plain http, or nothing usable -> a sentence saying why not.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text

from tui_mail.core.message.lists import UnsubscribePlan, list_headers, unsubscribe_plan
from tui_mail.ui.screens.open_item import ConfirmOpen

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui_mail.core.account.service import AccountService
    from tui_mail.core.account.unsubscribe import OneClickResult
    from tui_mail.core.sending.draft import Draft
    from tui_mail.ui.main.ports import PushScreen
    from tui_mail.ui.main.status import StatusBar


_POSTING: set[asyncio.Future[OneClickResult]] = set()
"""One-click POSTs under way: held here so a cancelled worker does not drop the last
reference to one (the event loop keeps only weak ones)."""


def list_hint(raw: bytes) -> str:
    """The reader's line for a list message: what P and :unsubscribe would do here ('' for
    other mail, and for a list that offers neither)."""
    info = list_headers(raw)
    can = []
    if info.post_address is not None:
        can.append("P replies to the list")
    if info.unsubscribe:
        can.append(":unsubscribe leaves it")
    if not can:
        return ""
    named = f"Mailing list {info.name}" if info.name else "Mailing list"
    return f"{named}: {', '.join(can)}"


def one_click_details(plan: UnsubscribePlan) -> Text:
    """What the one-click dialog shows: the list, the host that will be contacted, the URL."""
    text = _list_and_host("Unsubscribe with one click?\n\n", plan)
    text.append("URL: ", style="bold")
    text.append(plan.url + "\n")
    text.append(
        "\ntui-mail will send one HTTPS POST (List-Unsubscribe=One-Click) to this host, "
        "with no cookies and nothing about you but this URL.\n",
        style="dim",
    )
    return text


def browser_details(plan: UnsubscribePlan) -> Text:
    """What the dialog shows when the list unsubscribes through a web page."""
    text = _list_and_host("This list unsubscribes on a web page. Open it in the browser?\n\n", plan)
    text.append(plan.url + "\n", style="underline")
    return text


def _list_and_host(question: str, plan: UnsubscribePlan) -> Text:
    """The question, then the list's name and the host to be contacted (what the user
    decides by, so the host stands out)."""
    text = Text(question, style="bold")
    if plan.list_name:
        text.append("List: ", style="bold")
        text.append(plan.list_name + "\n")
    text.append("Host: ", style="bold")
    text.append(plan.host + "\n", style="bold underline")
    return text


async def ask(push_screen: PushScreen, dialog: Screen[bool]) -> bool:
    """Show `dialog` and wait (in a worker) for its answer; dismissing is a no."""
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def answered(yes: bool | None) -> None:
        if not answer.done():
            answer.set_result(bool(yes))

    push_screen(dialog, answered)
    return await answer


async def unsubscribe(
    service: AccountService, raw: bytes, status: StatusBar, push_screen: PushScreen
) -> Draft | None:
    """Unsubscribe from the list `raw` came through; a Draft when that takes a message
    (the caller opens the compose screen with it), else None once it is done or refused."""
    # Imported here: the reader imports this module for `list_hint` on every message.
    from tui_mail.core.account.unsubscribe import one_click_unsubscribe  # noqa: PLC0415
    from tui_mail.core.message.attachments import OpenFailed, open_url  # noqa: PLC0415
    from tui_mail.core.sending.lists import compose_unsubscribe  # noqa: PLC0415

    plan = unsubscribe_plan(list_headers(raw))
    if plan.how == "refused":
        status.say(plan.sentence, error=True)
        return None
    if plan.how == "mailto" and plan.mailto is not None:
        return compose_unsubscribe(service.account, plan.mailto)
    if plan.how == "browser":
        if await ask(push_screen, ConfirmOpen(browser_details(plan))):
            try:
                open_url(plan.url)
            except OpenFailed as error:
                status.say(str(error), error=True)
                return None
            status.say(f"Opened {plan.url}")
        else:
            status.say("Not unsubscribed: the page was not opened.")
        return None
    if not await ask(push_screen, ConfirmOpen(one_click_details(plan), yes_label="Unsubscribe")):
        status.say("Not unsubscribed: nothing was sent.")
        return None
    status.say(f"Unsubscribing at {plan.host}…")
    posting = asyncio.ensure_future(one_click_unsubscribe(service.account, plan.url))
    _POSTING.add(posting)

    def report(done: asyncio.Future[OneClickResult]) -> None:
        # Said even when the worker was cancelled meanwhile (another c, r, P ... started):
        # the POST has gone out, so its outcome must not be lost.
        _POSTING.discard(done)
        if not done.cancelled() and done.exception() is None:
            result = done.result()
            status.say(result.sentence, error=not result.ok)

    posting.add_done_callback(report)
    await asyncio.shield(posting)
    return None
