"""Reading the fields only sending reads: save_sent, sendmail_command, aliases, identities,
signatures and the address book command.

Apart from reading.py so each stays small; the errors follow the same pattern (file,
account, field, value, what was expected).
"""

from __future__ import annotations

import re
from typing import Any

from tui_mail.config.models import SIGNATURE_POSITIONS, IdentityConfig
from tui_mail.config.table import Table
from tui_mail.config.wording import describe, quote

EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
"""What passes for an address in the file (the stdlib checks it again when sending)."""

_IDENTITY_KEYS = ("email", "display_name", "signature")
_IDENTITY_EXAMPLE = (
    '[[accounts.identities]] tables, e.g.\n\n[[accounts.identities]]\nemail = "me@example.net"\n'
    'display_name = "Ada at home"\nsignature = "Ada"'
)


def parse_sending(table: Table, email: str) -> dict[str, Any]:
    """The sending fields of the account `table` whose own address is `email`."""
    raw_aliases = table.data.get("aliases", [])
    expected = 'a list of addresses, e.g. aliases = ["me@example.net"]'
    if not isinstance(raw_aliases, list):
        raise table.wrong("aliases", expected)
    for alias in raw_aliases:
        if not isinstance(alias, str) or not EMAIL.fullmatch(alias.strip()):
            shown = describe(alias)
            raise table.error(f"aliases holds {shown}; expected {expected}")
    signature = table.data.get("signature", "")
    if not isinstance(signature, str):
        raise table.wrong("signature", 'a string, e.g. signature = "Ada"')
    aliases = tuple(alias.strip() for alias in raw_aliases)
    return {
        "save_sent": table.boolean("save_sent", default=True),
        "aliases": aliases,
        "sendmail_command": table.string("sendmail_command"),
        "signature": signature,
        "signature_position": table.choice("signature_position", SIGNATURE_POSITIONS, "below"),
        "identities": _parse_identities(table, email, aliases),
        "address_book_command": table.string("address_book_command"),
    }


def _parse_identities(
    table: Table, email: str, aliases: tuple[str, ...]
) -> tuple[IdentityConfig, ...]:
    if "identities" not in table.data:
        return ()
    raw = table.data["identities"]
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise table.wrong("identities", _IDENTITY_EXAMPLE)
    # Where each address is already used, to name the other place in the error.
    used = {email.casefold(): "the account's email"}
    for alias in aliases:
        used.setdefault(alias.casefold(), "in aliases")
    found = []
    for index, item in enumerate(raw):
        sub = Table(table.file, table.owner, f"identities[{index}].", item)
        name = table.data.get("name")
        sub.refuse_secrets(name if isinstance(name, str) and name else "NAME")
        sub.check_keys(_IDENTITY_KEYS)
        address = sub.required_string("email", 'the address, e.g. email = "me@example.net"')
        address = address.strip()
        if not EMAIL.fullmatch(address):
            raise sub.wrong("email", 'an address like "me@example.net"')
        if address.casefold() in used:
            where = used[address.casefold()]
            advice = (
                "set display_name and signature on the account itself"
                if where == "the account's email"
                else "list each address once"
            )
            raise sub.error(f"{sub.name('email')} {quote(address)} is already {where}; {advice}")
        used[address.casefold()] = f"in identities[{index}]"
        texts = {}
        for key, example in (("display_name", '"Ada Lovelace"'), ("signature", '"Ada"')):
            value = item.get(key)
            if value is not None and not isinstance(value, str):
                raise sub.wrong(key, f'a string, e.g. {key} = {example} ("" for none)')
            texts[key] = value
        found.append(IdentityConfig(address, texts["display_name"], texts["signature"]))
    return tuple(found)
