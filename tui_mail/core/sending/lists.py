"""Drafts for mailing lists: a reply to the list (List-Post) and an unsubscription by mail
(a List-Unsubscribe `mailto:`). The headers are read by `tui_mail.core.message.lists`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_mail.core.errors import UsageError
from tui_mail.core.message.lists import MailingList, Mailto, list_headers
from tui_mail.core.sending.compose import compose_new, compose_reply

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.sending.draft import Draft


class NoListAddress(UsageError):
    """The message names no address to post to: the sentence says why, for the status bar
    or stderr as it is."""


def list_post_address(info: MailingList) -> str:
    """The address to reply to the list at, or NoListAddress with the reason."""
    if info.posting_refused:
        raise NoListAddress("This list does not take posts (List-Post: NO).")
    if not info.post:
        raise NoListAddress(
            "This message has no List-Post header; r replies to the sender, R to everyone."
        )
    address = info.post_address
    if address is None:
        raise NoListAddress(
            "This list takes posts only through its web page, not by mail "
            f"(List-Post: {info.post[0][:200]})."
        )
    return address


def compose_list_reply(
    account: AccountConfig, raw: bytes, *, folder: str, uid: int, text: str = ""
) -> Draft:
    """A reply to `raw` addressed to its list's List-Post address only: quoted, threaded
    and subjected like any reply. Raises NoListAddress when the list takes no posts."""
    address = list_post_address(list_headers(raw))
    draft = compose_reply(account, raw, folder=folder, uid=uid, text=text)
    draft.to = address
    draft.cc = ""
    return draft


def compose_unsubscribe(account: AccountConfig, mailto: Mailto) -> Draft:
    """The message a list's `mailto:` unsubscription asks for, for the user to send."""
    return compose_new(
        account,
        to=", ".join(mailto.to),
        cc=", ".join(mailto.cc),
        subject=mailto.subject or "unsubscribe",
        text=mailto.body,
    )
