"""Which folder is the Inbox, Sent, Trash ...: the server's special-use flags (RFC 6154)
first, else the usual top-level names; and the order a folder list shows them in."""

from __future__ import annotations

from typing import Any

from tui_mail.core.models import ROLE_BY_NAME, Folder, FolderRole

SPECIAL_USE = {
    b"\\Drafts": FolderRole.DRAFTS,
    b"\\Sent": FolderRole.SENT,
    b"\\Archive": FolderRole.ARCHIVE,
    b"\\Junk": FolderRole.JUNK,
    b"\\Trash": FolderRole.TRASH,
    b"\\All": FolderRole.ALL,
    b"\\Flagged": FolderRole.FLAGGED,
}


def folder_role(name: str, flags: tuple[bytes, ...], delimiter: Any) -> FolderRole | None:
    if name.upper() == "INBOX":
        return FolderRole.INBOX
    for flag in flags:
        role = SPECIAL_USE.get(flag)
        if role is not None:
            return role
    delim = delimiter.decode() if isinstance(delimiter, bytes) else delimiter
    leaf = name.rsplit(delim, 1)[-1] if delim else name
    if delim and name.count(delim) > 1:
        return None  # only top-level (or INBOX.X / [Gmail]/X) names are guessed
    return ROLE_BY_NAME.get(leaf.lower())


_ROLE_ORDER = {role: index for index, role in enumerate(FolderRole)}


def sort_folders(folders: list[Folder]) -> list[Folder]:
    """Inbox and the special-use folders first (in FolderRole order), then by name."""
    return sorted(
        folders,
        key=lambda f: (
            _ROLE_ORDER.get(f.role, len(_ROLE_ORDER)) if f.role else len(_ROLE_ORDER),
            f.name.casefold(),
        ),
    )
