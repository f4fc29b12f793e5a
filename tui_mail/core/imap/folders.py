"""IMAP folder lists turned into our `Folder`s: LIST/LSUB entries and LIST-STATUS counts.

Pure conversions of what imapclient (or a raw LIST ... RETURN (STATUS) command) gave
ImapSession; no I/O here, so a server's odd answers can be tested without a server.
"""

from __future__ import annotations

import re
from typing import Any

import imapclient
from imapclient.response_parser import parse_response

from tui_mail.core.folders.roles import folder_role
from tui_mail.core.models import Folder

_STATUS = re.compile(rb"\* STATUS (.+) \((.*)\)\s*$")


def folders_from_list(
    listed: list[tuple[tuple[bytes, ...], Any, Any]],
    subscribed: set[Any],
    counts: dict[str, tuple[int, int]],
) -> list[Folder]:
    """Every LIST entry as a Folder, with its special-use role, subscription and counts."""
    folders: list[Folder] = []
    for flags, delimiter, raw_name in listed:
        name = folder_name(raw_name)
        total, unseen = counts.get(name, (None, None))
        folders.append(
            Folder(
                name=name,
                delimiter=delimiter.decode() if isinstance(delimiter, bytes) else delimiter,
                role=folder_role(name, flags, delimiter),
                subscribed=name in subscribed or name.upper() == "INBOX",
                selectable=b"\\Noselect" not in flags and b"\\NonExistent" not in flags,
                total=total,
                unseen=unseen,
            )
        )
    return folders


def parse_list_status(lines: list[bytes]) -> dict[str, tuple[int, int]]:
    """(MESSAGES, UNSEEN) by folder from the untagged lines of RFC 5819 LIST-STATUS."""
    counts: dict[str, tuple[int, int]] = {}
    for line in lines:
        match = _STATUS.match(line)
        if match is None:
            continue
        (raw_name,) = parse_response([match.group(1)])
        values = parse_response([match.group(2)])
        items = dict(zip(values[::2], values[1::2], strict=False))
        name = folder_name(
            imapclient.imap_utf7.decode(raw_name) if isinstance(raw_name, bytes) else raw_name
        )
        counts[name] = (int(items.get(b"MESSAGES", 0)), int(items.get(b"UNSEEN", 0)))
    return counts


def folder_name(name: Any) -> str:
    """A folder name as imapclient gives it (str or bytes) as text."""
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
