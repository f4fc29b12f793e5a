"""AccountWatcher: one connection hears about every folder the user cares about.

The INBOX is watched as IdleWatcher watches it (IDLE, NOOP rechecks, the watchdog,
reconnects with backoff: this is an IdleWatcher). What else happens on the connection
depends on the server:

- NOTIFY (RFC 5465, Dovecot): after SELECT, `NOTIFY SET STATUS (selected ...)
  (subscribed ...) (mailboxes ...)` asks for EXISTS/EXPUNGE/FETCH in the INBOX and an
  untagged STATUS for any other subscribed (or idle_folders) folder whose messages
  arrive, go or change flags. The server sends them during IDLE, and also between
  commands (even before IDLE's `+`), so every response read on the connection is
  looked at. Dovecot sends a STATUS of only what changed (`(UNSEEN 1 HIGHESTMODSEQ 4)`
  after a \\Seen), sometimes twice; with CONDSTORE enabled (ImapSession does) a change of
  another flag still shows as a new HIGHESTMODSEQ.
- Without NOTIFY, the subscribed folders are asked for their STATUS every
  `status_interval_seconds`: one LIST-STATUS round trip (RFC 5819) where offered, else a
  STATUS per folder (at most MAX_POLLED_FOLDERS), between two IDLEs on the same
  connection. idle_folders keep IDLE connections of their own there (watchers.py).

Folders made, removed or renamed elsewhere: with NOTIFY, MailboxName and
SubscriptionChange events for the personal namespace (`* LIST` during IDLE, with
\\NonExistent for a removed folder and OLDNAME for a renamed one, RFC 5465 5.4); without,
a LIST of the names every `list_every` STATUS rounds. Either way they reach
`on_folders(FolderHints)`, which asks the server for the list again (core/folders/changes.py
says why hints are not trusted as they are). Those `* LIST` lines are why this watcher reads
its IDLE answers itself (untagged.py): imapclient's reader breaks on a name sent as a
literal, which Dovecot does for any 8-bit name.

Either way a folder whose STATUS differs from the last one seen gets `on_change(folder)`.
The first answers after the first login are only remembered (the UI has just listed the
folders with their counts); after a reconnect, folders that changed meanwhile are
announced. Callbacks run on the watcher's thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Final

import imapclient

from tui_mail.config import AccountConfig
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.errors import ServerError
from tui_mail.core.folders.changes import FolderHints
from tui_mail.core.imap.folders import folder_name, list_entries
from tui_mail.core.imap.idle import ConnectionDead, IdleWatcher, StateCallback
from tui_mail.core.imap.session import ImapSession
from tui_mail.core.imap.untagged import (
    MAX_BATCH,
    ConnectionClosed,
    Unparsable,
    parse_untagged,
    pending_responses,
    read_response,
)

log = logging.getLogger(__name__)

MAX_POLLED_FOLDERS: Final = 100
"""Without LIST-STATUS each folder costs a STATUS round trip: this many at most."""
LIST_EVERY: Final = 5
"""Without NOTIFY, every this many STATUS rounds a LIST of the names (new, removed folders)."""
NAMES_INTERVAL: Final = 5 * 60.0
"""With NOTIFY, a LIST of the names at most this often (when an IDLE ends): what the
server did not tell (a rename made by doveadm) is found then."""
_EVENTS: Final = "(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)"
_NAMES: Final = "(personal (MailboxName SubscriptionChange))"
"""Every folder of the user's own, subscribed or not: made, removed, renamed elsewhere. The
name events are in the other groups too: RFC 5465 lets a server apply only the first
filter a folder matches."""
_SELECTED: Final = "(selected (MessageNew (UID FLAGS) MessageExpunge FlagChange))"

Status = dict[str, int]
"""A folder's STATUS items by name: MESSAGES, UNSEEN, UIDNEXT, HIGHESTMODSEQ ..."""


class AccountWatcher(IdleWatcher):
    """Watches the INBOX by IDLE and the other folders by NOTIFY or periodic STATUS, over
    one connection; calls `on_change(folder)` for whichever changed."""

    def __init__(
        self,
        account: AccountConfig,
        secret: SecretSource,
        on_change: Callable[[str], None],
        on_state: StateCallback | None = None,
        *,
        on_folders: Callable[[FolderHints], None] | None = None,
        status_interval: float | None = None,
        **options: Any,
    ) -> None:
        """`on_folders`: told when folders were made, removed or renamed elsewhere.
        `status_interval`: seconds between STATUS rounds without NOTIFY (default: the
        account's status_interval_seconds). `options` go to IdleWatcher."""
        super().__init__(account, secret, "INBOX", on_change, on_state, **options)
        self._on_folders = on_folders
        self.list_every = LIST_EVERY
        """Without NOTIFY: a LIST of the names every this many STATUS rounds."""
        self.names_interval = NAMES_INTERVAL
        """With NOTIFY: a LIST of the names at most this often, when IDLE is renewed."""
        self._rounds = 0
        self._names: set[str] | None = None
        self._next_names = 0.0
        self.status_interval = (
            status_interval
            if status_interval is not None
            else float(account.status_interval_seconds)
        )
        self.notifying: bool | None = None
        """True when the server takes NOTIFY; None before the first connection."""
        self._known: dict[str, Status] = {}
        self._primed = False
        """Whether a first round of STATUS answers has been remembered."""
        self._next_round = 0.0

    # -- setting up each connection --------------------------------------------------------

    def _prepare(self, session: ImapSession) -> None:
        self.notifying = session.has("NOTIFY")
        if self.notifying:
            try:
                lines = session.raw_command(notify_command(self.account.idle_folders).encode())
            except ServerError as error:  # advertised, yet refused (a proxy, a limit)
                log.info(
                    "NOTIFY refused by %s, asking STATUS instead: %s", session.server.host, error
                )
                self.notifying = False
            else:
                # A NOTIFY server tells during IDLE by design: no NOOP rechecks needed.
                self.server_announces = True
                self._take_lines(lines)
        if not self.notifying:
            self._status_round(session)
        self._primed = True

    def _begin_idle(self, session: ImapSession) -> list[Any]:
        """IDLE, keeping what arrives before the server's `+` (imapclient's idle() raises
        on it, and with NOTIFY a STATUS can come at any moment)."""
        imap = session.client._imap
        early: list[bytes] = []
        with session.guard("IDLE"):
            tag = imap._command("IDLE")
            while True:
                try:
                    line = read_response(imap)
                except ConnectionClosed:
                    raise ConnectionDead("The server closed the connection.") from None
                except Unparsable as error:
                    raise ConnectionDead(f"Unexpected answer to IDLE: {error}") from None
                if line.startswith(b"+"):
                    break
                if not line.startswith(b"* ") or len(early) >= MAX_BATCH:
                    raise ConnectionDead(f"Unexpected answer to IDLE: {line[:80]!r}")
                early.append(line)
        session.client._idle_tag = tag  # _end_idle reads up to this tag
        return _parsed(early)

    def _end_idle(self, session: ImapSession) -> list[Any]:
        """DONE, reading up to IDLE's tagged OK ourselves (a literal may come first)."""
        client = session.client
        imap = client._imap
        tag: bytes = client._idle_tag
        imap.tagged_commands.pop(tag, None)  # completed here, not by imaplib
        client._idle_tag = None
        imap.send(b"DONE\r\n")
        untagged: list[bytes] = []
        try:
            while not (line := read_response(imap)).startswith(tag + b" "):
                if line.startswith(b"* ") and len(untagged) < MAX_BATCH:
                    untagged.append(line)  # past it: a flood, read on to the tag unkept
        except ConnectionClosed:
            raise ConnectionDead("The server closed the connection.") from None
        except Unparsable as error:
            raise ConnectionDead(f"Unexpected answer to DONE: {error}") from None
        if line[len(tag) + 1 :].split(b" ", 1)[0].upper() != b"OK":
            raise ConnectionDead(f"IDLE ended badly: {line[:80]!r}")
        return _parsed(untagged)

    def _idle_responses(self, client: Any, wait: float) -> list[Any]:
        """Whole responses, literals and all (see the module docstring)."""
        try:
            return _parsed(pending_responses(client._imap, wait))
        except ConnectionClosed:
            raise ConnectionDead("The server closed the connection.") from None
        except Unparsable as error:  # a literal too big to be a folder name: hostile
            raise ConnectionDead(f"Unexpected answer during IDLE: {error}") from None

    # -- what the server says --------------------------------------------------------------

    def _take(self, responses: list[Any]) -> bool:
        inbox_changed = super()._take(responses)
        hints = FolderHints()
        for response in responses:
            found = status_response(response)
            if found is not None:
                self._remember(*found)
            event = list_event(response)
            if event is not None:
                hints = hints.merged(event)
        if hints and self._primed:
            self._tell_folders(hints)
        return inbox_changed

    def _tell_folders(self, hints: FolderHints) -> None:
        if self._on_folders is None:
            return
        try:
            self._on_folders(hints)
        except Exception:
            log.exception("folder list callback failed")

    def _take_lines(self, lines: Iterable[bytes]) -> bool:
        """Raw untagged lines (from raw_command) taken like idle_check's responses. Their
        `* LIST` lines answer our own LIST (LIST-STATUS), or are a NOTIFY connection's
        first report of the folders: neither is news of a folder made elsewhere."""
        wanted = (line for line in lines if line.startswith(b"* ") and line[:7] != b"* LIST ")
        return self._take(_parsed(wanted))

    def _remember(self, folder: str, status: Status) -> None:
        if folder.upper() == "INBOX":  # selected: its own responses tell
            return
        before = self._known.get(folder)
        merged = {**(before or {}), **status}
        self._known[folder] = merged
        if merged != before and self._primed:
            self._announce(folder)

    def _announce(self, folder: str) -> None:
        try:
            self._on_change(folder)
        except Exception:
            log.exception("change callback failed for %s", folder)

    # -- without NOTIFY: STATUS every status_interval --------------------------------------

    def _idle_period(self) -> float:
        period = super()._idle_period()
        if self.notifying or not self.status_interval:
            return period
        return min(period, max(0.5, self._next_round - time.monotonic()))

    def _between_idles(self, session: ImapSession) -> None:
        if self.notifying:
            # Dovecot 2.3 tells of a folder renamed by doveadm only with its next event:
            # a LIST of the names now and then (IDLE ends every idle_interval) catches it.
            if time.monotonic() >= self._next_names and self._look_at_names(session):
                self._changed()
            return
        if not self.status_interval:
            return
        if time.monotonic() >= self._next_round and self._status_round(session):
            self._changed()

    def _status_round(self, session: ImapSession) -> bool:
        """Every subscribed folder's STATUS, remembered (and announced when changed);
        True when the INBOX's own responses came with it."""
        self._next_round = time.monotonic() + self.status_interval
        self._rounds += 1
        inbox_changed = False
        if self._names is None or self._rounds % max(1, self.list_every) == 0:
            inbox_changed = self._look_at_names(session)
        items = "MESSAGES UNSEEN UIDNEXT" + (" HIGHESTMODSEQ" if session.has("CONDSTORE") else "")
        if session.has("LIST-STATUS"):
            command = f'LIST (SUBSCRIBED) "" "*" RETURN (STATUS ({items}))'
            return self._take_lines(session.raw_command(command.encode())) or inbox_changed
        with session.guard("LSUB"):
            listed = list_entries(session.client, "LSUB")
        names = [name for _flags, _delim, name in listed]
        for name in names[:MAX_POLLED_FOLDERS]:
            if folder_name(name).upper() == "INBOX":
                continue
            quoted = _quoted(name)
            try:
                lines = session.raw_command(f"STATUS {quoted} ({items})".encode())
            except ServerError:  # gone meanwhile, or \Noselect
                continue
            inbox_changed = self._take_lines(lines) or inbox_changed
        return inbox_changed

    def _look_at_names(self, session: ImapSession) -> bool:
        """The folder names, compared with the last look's (a difference: `on_folders`);
        True when the INBOX's own responses came with them. A NOTIFY event arriving
        meanwhile is among the LIST lines: it shows as a difference too."""
        self._next_names = time.monotonic() + self.names_interval
        lines = session.raw_command(b'LIST "" "*"')
        listed = [line for line in lines if line.startswith(b"* LIST ")]
        names = {
            name
            for response in _parsed(listed)
            if len(response) >= 4
            and (name := _name(response[3])) is not None
            and b"\\nonexistent" not in _lowered(response[1])  # a NOTIFY event meanwhile
        }
        before, self._names = self._names, names
        if before is not None and names != before and self._primed:
            self._tell_folders(FolderHints(relist=True))
        return self._take_lines(line for line in lines if not line.startswith(b"* LIST "))


def notify_command(extra_folders: Iterable[str] = ()) -> str:
    """NOTIFY SET for the selected INBOX, every subscribed folder and `extra_folders`
    (idle_folders, subscribed or not; one that does not exist is ignored by Dovecot).
    STATUS: the server answers with every folder's STATUS at once (a reconnect's catch-up).
    """
    specs = [_SELECTED, f"(subscribed {_EVENTS})"]
    extra = [_quoted(name) for name in extra_folders if name.upper() != "INBOX"]
    if extra:
        specs.append(f"(mailboxes ({' '.join(extra)}) {_EVENTS})")
    specs.append(_NAMES)
    return "NOTIFY SET STATUS " + " ".join(specs)


def status_response(response: Any) -> tuple[str, Status] | None:
    """(folder, items) from a parsed untagged `STATUS name (items)`, else None."""
    if not (isinstance(response, tuple) and len(response) == 3 and response[0] == b"STATUS"):
        return None
    raw_name, values = response[1], response[2]
    if not isinstance(values, tuple):
        return None
    name = _name(raw_name)
    if name is None:
        return None
    status: Status = {}
    for key, value in zip(values[::2], values[1::2], strict=False):
        if isinstance(key, bytes) and isinstance(value, int):
            status[key.decode("ascii", "replace").upper()] = value
    return name, status


def list_event(response: Any) -> FolderHints | None:
    """A NOTIFY `* LIST` (MailboxName, SubscriptionChange) as hints, else None."""
    if not (isinstance(response, tuple) and len(response) >= 4 and response[0] == b"LIST"):
        return None
    marks = _lowered(response[1])
    name = _name(response[3])
    if name is None:
        return None
    if b"\\nonexistent" in marks:
        return FolderHints(gone=frozenset({name}))
    old = _old_name(response[4] if len(response) > 4 else None)
    if old is not None:
        return FolderHints(renamed=((old, name),))
    # Dovecot sends a new folder without \Subscribed, and a subscription change as the
    # name with or without it: both are worth a look when the cache differs.
    return FolderHints(created=frozenset({name}), subscribed=((name, b"\\subscribed" in marks),))


def _lowered(flags: Any) -> set[bytes]:
    """A LIST's flags, lower case (a server may write \\Noselect or \\NoSelect)."""
    if not isinstance(flags, tuple):
        return set()
    return {flag.lower() for flag in flags if isinstance(flag, bytes)}


def _old_name(extended: Any) -> str | None:
    """The OLDNAME of a LIST's extended data `("OLDNAME" (name))`, RFC 5465 5.4."""
    if not isinstance(extended, tuple):
        return None
    for key, value in zip(extended[::2], extended[1::2], strict=False):
        if isinstance(key, bytes) and key.upper() == b"OLDNAME" and isinstance(value, tuple):
            return _name(value[0]) if value else None
    return None


def _name(raw: Any) -> str | None:
    """A folder name from an event: modified UTF-7 when ASCII; Dovecot's NOTIFY sends
    8-bit names as UTF-8 literals even without UTF8=ACCEPT."""
    if isinstance(raw, int):  # an atom of digits: a folder called 2024
        return str(raw)
    if not isinstance(raw, bytes) or not raw:
        return None
    if raw.isascii():
        try:
            return folder_name(imapclient.imap_utf7.decode(raw))
        except ValueError:
            return raw.decode("ascii")
    return raw.decode("utf-8", "replace")


def _parsed(lines: Iterable[bytes]) -> list[Any]:
    """Parsed responses; one that is not IMAP is logged and left out."""
    responses: list[Any] = []
    for line in lines:
        try:
            responses.append(parse_untagged(line))
        except Unparsable:
            log.debug("unparsable response %r", line[:200])
    return responses


def _quoted(name: Any) -> str:
    """A folder name as an IMAP quoted string (modified UTF-7)."""
    text = folder_name(name)
    encoded: str = imapclient.imap_utf7.encode(text).decode("ascii")
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'
