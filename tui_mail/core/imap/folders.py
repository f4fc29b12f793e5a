"""IMAP folder lists turned into our `Folder`s: LIST/LSUB entries and LIST-STATUS counts.

Pure conversions of what imapclient (or a raw LIST ... RETURN (STATUS) command) gave
ImapSession; no I/O here, so a server's odd answers can be tested without a server.
"""

from __future__ import annotations

import re
from typing import Any

import imapclient
from imapclient.exceptions import ProtocolError
from imapclient.response_parser import parse_response

from tui_mail.core.folders.roles import folder_role
from tui_mail.core.models import Folder

_STATUS = re.compile(rb"\* STATUS (.+) \((.*)\)\s*$")
_LIST_ENTRY = re.compile(
    rb'^\((?P<flags>[^)]*)\)\s+(?P<delim>NIL|"(?:\\.|[^"\\])*")\s+(?P<name>\S.*)$'
)
"""A LIST/LSUB entry whose name is a bare atom (the only kind imapclient can refuse)."""


def list_entries(client: Any, command: str = "LIST") -> list[tuple[tuple[bytes, ...], Any, Any]]:
    """LIST (or LSUB) "" "*", as imapclient's list_folders gives it, but not refused for a
    name imapclient cannot read: Dovecot sends `a[b` as a bare atom (valid IMAP: only `]`
    and the specials end an atom) and imapclient's parser takes the `[` for a response
    code, failing the whole answer, so one such folder made by another client closed the
    account at every login. Entries are read one by one only when the whole fails."""
    imap = client._imap
    typ, data = imap._simple_command(command, '""', '"*"')
    client._checkok(command, typ, data)
    _typ, data = imap._untagged_response(typ, data, command)
    try:
        return list(client._proc_folder_list(data))
    except ProtocolError:
        pass
    entries: list[tuple[tuple[bytes, ...], Any, Any]] = []
    for item in data:
        if item in (b"", None):
            continue
        try:
            entries += client._proc_folder_list([item])
        except ProtocolError:
            entries.append(_bare_entry(item, decode=bool(client.folder_encode)))
    return entries


def _bare_entry(item: Any, *, decode: bool) -> tuple[tuple[bytes, ...], Any, Any]:
    match = _LIST_ENTRY.match(item) if isinstance(item, bytes) else None
    if match is None:
        raise ProtocolError(f"unreadable LIST entry: {item!r}"[:200])
    delim = match.group("delim")
    delimiter = None if delim == b"NIL" else parse_response([delim])[0]
    name = match.group("name")
    return (
        tuple(match.group("flags").split()),
        delimiter,
        imapclient.imap_utf7.decode(name) if decode else name,
    )


def _astring(raw: bytes) -> Any:
    """A mailbox name from a raw line: quoted or a literal through imapclient's parser,
    a bare atom as it is (see list_entries)."""
    try:
        (name,) = parse_response([raw])
    except ProtocolError:
        if raw[:1] in (b'"', b"{"):
            raise
        return raw
    return name


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
        raw_name = _astring(match.group(1))
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
