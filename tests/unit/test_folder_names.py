"""Typed folder names resolved against listed folders (the pure part of core/folders/names.py)."""

from __future__ import annotations

import pytest

from tui_mail.core.folders.names import resolve_folder
from tui_mail.core.models import Folder, FolderRole

COURIER = [
    Folder("INBOX", ".", FolderRole.INBOX),
    Folder("INBOX.Archive", ".", FolderRole.ARCHIVE),
    Folder("INBOX.Spam", ".", FolderRole.JUNK),
    Folder("INBOX.Projects", ".", None),
    Folder("INBOX.Projects.Old", ".", None),
    Folder("INBOX.Hidden", ".", None, selectable=False),
]
DOVECOT = [
    Folder("INBOX", "/", FolderRole.INBOX),
    Folder("Archive", "/", FolderRole.ARCHIVE),
    Folder("Old Archive", "/", None),
    Folder("Sent Items", "/", FolderRole.SENT),
]


@pytest.mark.parametrize(
    ("typed", "folders", "prefix", "found"),
    [
        ("INBOX.Projects", COURIER, "INBOX.", "INBOX.Projects"),  # exact
        ("inbox", COURIER, "", "INBOX"),  # INBOX in any case
        ("Inbox.Projects", COURIER, "", "INBOX.Projects"),
        ("Archive", COURIER, "", "INBOX.Archive"),  # by role, no server round trip needed
        ("junk", COURIER, "", "INBOX.Spam"),
        ("Projects", COURIER, "INBOX.", "INBOX.Projects"),  # under the namespace prefix
        ("Projects.Old", COURIER, "INBOX.", "INBOX.Projects.Old"),
        ("Projects", COURIER, "", None),  # without NAMESPACE: not guessed
        ("Hidden", COURIER, "INBOX.", None),  # \\Noselect
        ("projects", COURIER, "INBOX.", None),  # only INBOX is case-insensitive
        ("Archive", DOVECOT, "", "Archive"),
        ("sent", DOVECOT, "", "Sent Items"),
        ("Nowhere", DOVECOT, "", None),
    ],
)
def test_resolve_folder(typed: str, folders: list[Folder], prefix: str, found: str | None) -> None:
    assert resolve_folder(typed, folders, prefix) == found
