"""Who a message is written as: the account's identities, the one a reply is sent from, and
that identity's signature in the body (placed, swapped when From changes, or removed).

An identity is an address with its display name and signature (`Identity` in the config:
the account's own address, its aliases and its `[[accounts.identities]]`). The signature
is the usenet form, a "-- " line and the text under it. It goes below the quote (the very
end of the message) or, with `signature_position = "above"`, right after the user's text
and above the quote, as neomutt's sig_on_top does. A forward always has it above the
forwarded message (as before identities), since a signature under someone else's mail
reads as theirs.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import TYPE_CHECKING

from tui_mail.core.errors import UsageError

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig, Identity, SignaturePosition
    from tui_mail.core.sending.draft import Draft

SEPARATOR = "-- \n"
FORWARD_MARKER = "---------- Forwarded message ----------"
_SENT_TO = ("To", "Cc")
_DELIVERED_TO = ("Delivered-To", "X-Original-To")


def from_line(identity: Identity) -> str:
    """ "Name <address>" as the From field shows it; the bare address when the stdlib will
    not format the name (sending then names the problem)."""
    try:
        return str(Address(identity.display_name, addr_spec=identity.email))
    except (ValueError, IndexError):
        return identity.email


def identity_for(account: AccountConfig, address: str) -> Identity | None:
    """The identity whose address is `address` (case-insensitively), else None."""
    wanted = address.strip().casefold()
    for identity in account.every_identity:
        if identity.email.casefold() == wanted:
            return identity
    return None


def identity_of_from(account: AccountConfig, from_addr: str) -> Identity | None:
    """The identity a From field ("Name <address>" or a bare address) names, else None."""
    try:
        pairs = getaddresses([from_addr])
    except (ValueError, IndexError):
        return None
    found = [identity_for(account, address) for _name, address in pairs if "@" in address]
    return found[0] if len(found) == 1 else None


def reply_identity(account: AccountConfig, raw: bytes) -> Identity:
    """The identity the message `raw` was sent to, to answer or forward it as: the first
    alias or identity in To, then Cc, then (for a Bcc or a list) Delivered-To and
    X-Original-To; for the user's own message, the identity it was sent from. Else the
    account's own address."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)

    def addresses(*names: str) -> list[str]:
        values = [str(v) for name in names for v in headers.get_all(name) or ()]
        try:
            return [address for _name, address in getaddresses(values) if "@" in address]
        except (ValueError, IndexError):
            return []

    primary = account.every_identity[0]
    senders = [identity_for(account, a) for a in addresses("From")]
    if senders and senders[0] is not None:
        return senders[0]
    # The account's own address is the default anyway, and delivery headers name its
    # mailbox on every message (the alias was forwarded to it): only another identity
    # says more, and it wins even after the account's address (sent to both: the alias).
    for address in addresses(*_SENT_TO, *_DELIVERED_TO):
        identity = identity_for(account, address)
        if identity is not None and identity != primary:
            return identity
    return primary


def choose_from(account: AccountConfig, from_addr: str) -> str:
    """The From line for what a user typed (e.g. `--from alias@example.net`): the identity's
    name and address, or the typed name with it. UsageError names the identities."""
    identity = identity_of_from(account, from_addr)
    if identity is None:
        known = ", ".join(i.email for i in account.every_identity)
        raise UsageError(
            f"From: {from_addr.strip()!r} is not an address of account {account.name!r} "
            f"({known}). Add it to aliases or as an [[accounts.identities]] table."
        )
    typed = getaddresses([from_addr])[0][0].strip()
    if typed:
        return str(Address(typed, addr_spec=identity.email))
    return from_line(identity)


def use_identity(account: AccountConfig, draft: Draft, from_addr: str) -> bool:
    """Write `draft` as the identity `from_addr` names (what `--from` or `:compose --from`
    typed): its From line, and its signature in place of the old one. False when the old
    signature was edited and so left as it is. UsageError for an address not the account's."""
    chosen = choose_from(account, from_addr)
    swapped = swap_signature(account, draft.body, draft.from_addr, chosen)
    draft.from_addr = chosen
    if swapped is not None:
        draft.body = swapped
    return swapped is not None


# -- the signature in the body ----------------------------------------------------------


def signature_block(identity: Identity) -> str:
    """ "-- \\n" and the signature, or "" for an identity without one."""
    text = identity.signature.strip("\n")
    return f"{SEPARATOR}{text}\n" if text.strip() else ""


def signed(text: str, identity: Identity) -> str:
    """`text` with the identity's signature under it, a blank line between."""
    block = signature_block(identity)
    if not block:
        return text
    return (text.rstrip("\n") + "\n\n" if text.strip() else "\n\n") + block


def reply_body(text: str, quote: str, identity: Identity, position: SignaturePosition) -> str:
    """A reply's body: below, the quote, the user's `text` and the signature last
    (bottom-posting); above, the text, the signature, then the quote (top-posting)."""
    mine = text.strip("\n") + "\n" if text.strip() else ""
    if position == "above":
        return (signed(mine, identity) or "\n") + "\n" + quote + "\n"
    if not mine and signature_block(identity):
        # A blank line to write on between the quote and the signature, where the
        # compose screen puts the cursor (not on the "-- " line).
        return quote + "\n\n\n\n" + signature_block(identity)
    return signed(quote + "\n\n" + mine, identity)


def swap_signature(account: AccountConfig, body: str, old_from: str, new_from: str) -> str | None:
    """`body` with the signature of the identity `old_from` names replaced by that of
    `new_from` (added where the account places it, or removed). None when the old
    signature is no longer in the body as it was put there: the user edited it, and what
    they wrote is theirs."""
    old, new = identity_of_from(account, old_from), identity_of_from(account, new_from)
    old_block = signature_block(old) if old is not None else ""
    new_block = signature_block(new) if new is not None else ""
    if old_block == new_block:
        return body
    on_top = account.signature_position == "above" or _line_start(body, FORWARD_MARKER) >= 0
    if not old_block:
        return _insert(body, new_block, on_top=on_top)
    at = _line_start(body, old_block, last=not on_top)
    if at < 0:
        return None
    before, after = body[:at], body[at + len(old_block) :]
    if new_block:
        return before + new_block + after
    if after:  # above the quote: the blank line under the signature goes with it
        return before + after.removeprefix("\n")
    if not before.strip():  # nothing but the signature: a new message, empty again
        return ""
    return before.removesuffix("\n") if before.endswith("\n\n") else before


def _insert(body: str, block: str, *, on_top: bool) -> str:
    split = _quote_start(body) if on_top else None
    if split is None:
        return body.rstrip("\n") + "\n\n" + block if body.strip() else "\n\n" + block
    head, tail = body[:split], body[split:]
    return (head.rstrip("\n") + "\n\n" if head.strip() else "\n\n") + block + "\n" + tail


def _quote_start(body: str) -> int | None:
    """Where the original begins: the forwarded-message line, else the attribution line
    over the first quoted line. None when the body quotes nothing."""
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if line == FORWARD_MARKER or line.startswith(">"):
            # A quote starts at the "On ... wrote:" line over it.
            start = (
                index - 1 if line.startswith(">") and index and lines[index - 1].strip() else index
            )
            return sum(len(earlier) + 1 for earlier in lines[:start])
    return None


def _line_start(body: str, text: str, *, last: bool = False) -> int:
    """Where `text` starts a line of `body` (the last such place with `last`), else -1."""
    at = body.rfind(text) if last else body.find(text)
    while at >= 0 and at and body[at - 1] != "\n":
        at = body.rfind(text, 0, at) if last else body.find(text, at + 1)
    return at
