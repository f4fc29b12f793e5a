"""Who a message is with, for the list: the sender, or the recipients of the user's own.

Light on purpose (the message list needs it for its first paint): email.utils only.
"""

from __future__ import annotations

from email.utils import getaddresses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig


def own_addresses(account: AccountConfig) -> set[str]:
    """Every address of the account (its own, aliases, identities), casefolded."""
    return {identity.email.casefold() for identity in account.every_identity}


def recipients_label(to: str) -> str:
    """ "To: Ada Lovelace, bob@example.org" from a (decoded) To value: names where the
    header has them, else addresses, as mutt and aerc show mail the user sent."""
    people = [name.strip() or addr.strip() for name, addr in getaddresses([to])]
    shown = [person for person in people if person]
    return "To: " + (", ".join(shown) if shown else "(no recipient)")
