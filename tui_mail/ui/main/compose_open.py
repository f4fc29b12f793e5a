"""Opening the compose screen from the main screen: c, r, R, P (reply to the list), f, e
on a draft, and `:unsubscribe` (kind "unsubscribe": a list's mailto: unsubscription is a
message to send; its other ways, see lists.py, end here without a compose screen).

The draft is prepared in a worker of the main screen (replies need the original's bytes
from the server), then the ComposeScreen is pushed; what it returns goes to the status bar.
It is given the list, the status bar and what it needs of the screen, not the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tui_mail.core.errors import TuiMailError
from tui_mail.core.models import FolderRole
from tui_mail.core.sending.compose import compose_forward, compose_new, compose_reply, reopen_draft
from tui_mail.core.sending.identities import use_identity
from tui_mail.core.sending.lists import NoListAddress, compose_list_reply
from tui_mail.ui.draft_autosave import DraftAutosave, leftover_drafts
from tui_mail.ui.screens.compose import ComposeScreen

if TYPE_CHECKING:
    from pathlib import Path

    from tui_mail.core.account.service import AccountService
    from tui_mail.ui.main.folder_tree import FolderKey
    from tui_mail.ui.main.message_list import MessageList
    from tui_mail.ui.main.ports import PushScreen
    from tui_mail.ui.main.status import StatusBar

KINDS = ("new", "reply", "reply-all", "reply-list", "forward", "draft", "unsubscribe")


async def open_compose(
    kind: str,
    *,
    fields: Mapping[str, str] | None = None,
    services: Mapping[str, AccountService],
    messages: MessageList,
    status: StatusBar,
    shown: FolderKey,
    data_dir: Path,
    push_screen: PushScreen,
    tree_changed: Callable[[], None],
) -> None:
    """Prepare a `kind` message, then push the compose screen (in the screen's worker).
    `shown` is the folder the list shows; `tree_changed()` rebuilds the folder tree;
    `fields` (to, cc, bcc, subject) start a new message (`:compose --to x@y`)."""
    ref = messages.current
    if kind != "new" and ref is None:
        status.say(
            "No message here to unsubscribe from."
            if kind == "unsubscribe"
            else "No message here to reply to, forward or continue."
        )
        return
    name = ref.account if ref is not None and (kind != "new" or shown.unified) else ""
    name = name or shown.account
    name = name if name in services else next(iter(services))
    service = services[name]
    account = service.account
    restored = False
    try:
        if kind == "new" or ref is None:
            leftovers = leftover_drafts(DraftAutosave.directory_for(data_dir, account))
            leftovers = [] if fields else leftovers  # asked for a new one: a fresh draft
            restored = bool(leftovers)
            draft = leftovers[0][1] if leftovers else compose_new(account)
            for name, value in (fields or {}).items():
                if name == "from_addr":  # an identity: its name and signature come along
                    use_identity(account, draft, value)
                else:
                    setattr(draft, name, value)
        else:
            if kind == "draft" and ref.folder != await service.role_folder(FolderRole.DRAFTS):
                status.say("e continues a draft: open the Drafts folder first.")
                return
            raw = await service.fetch_raw(ref.folder, ref.uid)
            if kind == "unsubscribe":
                from tui_mail.ui.main.lists import unsubscribe  # noqa: PLC0415

                unsubscribing = await unsubscribe(service, raw, status, push_screen)
                if unsubscribing is None:
                    return
                draft = unsubscribing
            elif kind == "draft":
                draft = reopen_draft(account, raw, folder=ref.folder, uid=ref.uid)
            elif kind == "reply-list":
                draft = compose_list_reply(account, raw, folder=ref.folder, uid=ref.uid)
            elif kind == "forward":
                draft = compose_forward(account, raw, folder=ref.folder, uid=ref.uid)
            else:
                draft = compose_reply(
                    account, raw, folder=ref.folder, uid=ref.uid, reply_all=kind == "reply-all"
                )
    except NoListAddress as error:
        status.say(str(error), error=True)
        return
    except TuiMailError as error:
        status.say(f"Cannot open the message to write: {error}", error=True)
        return

    def finished(result: str | None) -> None:
        if result:
            status.say(result)
            messages.redraw_rows()
            tree_changed()  # the Outbox entry, when something waits there now

    compose = ComposeScreen(
        service,
        draft,
        data_dir=data_dir,
        restored=restored,
        focus_body=kind in ("reply", "reply-all", "reply-list")
        or (kind == "draft" and bool(draft.to)),
    )
    push_screen(compose, finished)
