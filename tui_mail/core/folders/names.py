"""A folder name as a user types it ("Archive", "inbox", "junk"), resolved to the server's.

Servers differ in where folders live: Dovecot and Gmail list "Archive" at the top, Courier
and some Cyrus set-ups list it as "INBOX.Archive" (their personal namespace prefix, from
NAMESPACE). The user types one name for all of them, so a typed name is tried as:

1. the exact name (INBOX in any case: RFC 3501 makes it case-insensitive);
2. a role: "archive", "trash", "sent", "drafts", "junk" and the other names of
   `ROLE_BY_NAME` find the folder with that role (SPECIAL-USE flag, else a known name);
3. the name under the personal namespace prefix ("Projects" -> "INBOX.Projects").

A name that resolves to nothing is a usage error that lists the folders there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tui_mail.core.errors import UsageError
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.models import ROLE_BY_NAME, Folder

if TYPE_CHECKING:
    from tui_mail.core.backend import MailBackend

_LISTED = 20


@runtime_checkable
class NamespaceAware(Protocol):
    """A backend that knows the server's personal namespace prefix (IMAP NAMESPACE)."""

    def personal_prefix(self) -> str: ...


def namespace_prefix(backend: MailBackend) -> str:
    """The backend's personal namespace prefix; "" for local mail or without NAMESPACE."""
    return backend.personal_prefix() if isinstance(backend, NamespaceAware) else ""


def _inbox_folded(name: str, delimiter: str | None) -> str:
    """`name` with a leading INBOX (alone or before the delimiter) written in capitals."""
    head = name[:5]
    if head.upper() == "INBOX" and (len(name) == 5 or (delimiter and name[5:6] == delimiter)):
        return "INBOX" + name[5:]
    return name


def resolve_folder(typed: str, folders: Sequence[Folder], prefix: str = "") -> str | None:
    """The full name of the folder `typed` means among `folders`, or None."""
    selectable = [f for f in folders if f.selectable]
    by_name = {_inbox_folded(f.name, f.delimiter): f.name for f in selectable}
    delimiters = {f.delimiter for f in selectable if f.delimiter}
    for delimiter in (None, *delimiters):
        found = by_name.get(_inbox_folded(typed, delimiter))
        if found is not None:
            return found
    role = ROLE_BY_NAME.get(typed.strip().lower())
    if role is not None:
        for folder in selectable:
            if folder.role is role:
                return folder.name
    if prefix:
        return by_name.get(_inbox_folded(prefix + typed, prefix[-1]))
    return None


class FolderLister(Protocol):
    """What find_folder asks of an account (AccountService is one)."""

    def cached_folders(self) -> list[Folder]: ...

    async def refresh_folders(self) -> list[Folder]: ...

    async def personal_prefix(self) -> str: ...


async def find_folder(service: FolderLister, typed: str) -> str:
    """Resolve `typed` on the account, asking the server when the cache does not know it.

    Raises:
        UsageError: No folder matches; the sentence lists the folders there are.
    """
    found = resolve_folder(typed, service.cached_folders())
    if found is not None:
        return found
    folders = await service.refresh_folders()
    found = resolve_folder(typed, folders, await service.personal_prefix())
    if found is not None:
        return found
    names = [sanitize_line(f.name) for f in folders if f.selectable]
    listed = ", ".join(names[:_LISTED]) + (
        f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    )
    raise UsageError(
        f"There is no folder named {sanitize_line(typed)!r} (folders: {listed or 'none'})."
    )
