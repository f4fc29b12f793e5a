"""Opening the compose screen from the main screen: c, r, R, f, and e on a draft.

The draft is prepared in a worker of the main screen (replies need the original's bytes
from the server), then the ComposeScreen is pushed; what it returns goes to the status bar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_mail.core.errors import TuiMailError
from tui_mail.core.models import FolderRole
from tui_mail.core.sending.compose import compose_forward, compose_new, compose_reply, reopen_draft
from tui_mail.ui.draft_autosave import DraftAutosave, leftover_drafts
from tui_mail.ui.screens.compose import ComposeScreen

if TYPE_CHECKING:
    from tui_mail.ui.main.screen import MainScreen

KINDS = ("new", "reply", "reply-all", "forward", "draft")


async def open_compose(screen: MainScreen, kind: str) -> None:
    """Prepare a `kind` message, then push the compose screen (in the screen's worker)."""
    ref = screen.messages.current
    if kind != "new" and ref is None:
        screen.status.say("No message here to reply to, forward or continue.")
        return
    name = ref.account if ref is not None and (kind != "new" or screen.current.unified) else ""
    name = name or screen.current.account
    name = name if name in screen.services else next(iter(screen.services))
    service = screen.services[name]
    account, data_dir = service.account, screen.mail_app.data_dir
    restored = False
    try:
        if kind == "new" or ref is None:
            leftovers = leftover_drafts(DraftAutosave.directory_for(data_dir, account))
            restored = bool(leftovers)
            draft = leftovers[0][1] if leftovers else compose_new(account)
        else:
            if kind == "draft" and ref.folder != await service.role_folder(FolderRole.DRAFTS):
                screen.status.say("e continues a draft: open the Drafts folder first.")
                return
            raw = await service.fetch_raw(ref.folder, ref.uid)
            if kind == "draft":
                draft = reopen_draft(account, raw, folder=ref.folder, uid=ref.uid)
            elif kind == "forward":
                draft = compose_forward(account, raw, folder=ref.folder, uid=ref.uid)
            else:
                draft = compose_reply(
                    account, raw, folder=ref.folder, uid=ref.uid, reply_all=kind == "reply-all"
                )
    except TuiMailError as error:
        screen.status.say(f"Cannot open the message to write: {error}", error=True)
        return

    def finished(result: str | None) -> None:
        if result:
            screen.status.say(result)
            screen.messages.redraw_rows()
            screen.refresh_tree()  # the Outbox entry, when something waits there now

    compose = ComposeScreen(
        service,
        draft,
        data_dir=data_dir,
        restored=restored,
        focus_body=kind in ("reply", "reply-all") or (kind == "draft" and bool(draft.to)),
    )
    screen.app.push_screen(compose, finished)
