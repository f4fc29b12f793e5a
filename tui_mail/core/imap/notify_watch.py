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
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import _parse_untagged_response

from tui_mail.config import AccountConfig
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.errors import ServerError
from tui_mail.core.imap.folders import folder_name
from tui_mail.core.imap.idle import ConnectionDead, IdleWatcher, StateCallback
from tui_mail.core.imap.session import ImapSession

log = logging.getLogger(__name__)

MAX_POLLED_FOLDERS: Final = 100
"""Without LIST-STATUS each folder costs a STATUS round trip: this many at most."""
_EVENTS: Final = "(MessageNew MessageExpunge FlagChange)"
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
        status_interval: float | None = None,
        **options: Any,
    ) -> None:
        """`status_interval`: seconds between STATUS rounds without NOTIFY (default:
        the account's status_interval_seconds). `options` go to IdleWatcher."""
        super().__init__(account, secret, "INBOX", on_change, on_state, **options)
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
        early: list[Any] = []
        with session.guard("IDLE"):
            tag = imap._command("IDLE")
            while True:
                try:
                    line: bytes = imap._get_line()
                except imap.abort as error:
                    raise ConnectionDead(f"The server closed the connection ({error}).") from None
                if line.startswith(b"+"):
                    break
                if not line.startswith(b"* "):
                    raise ConnectionDead(f"Unexpected answer to IDLE: {line[:80]!r}")
                early.append(_parse_untagged_response(line))
        session.client._idle_tag = tag  # idle_done() waits for this tag
        return early

    # -- what the server says --------------------------------------------------------------

    def _take(self, responses: list[Any]) -> bool:
        inbox_changed = super()._take(responses)
        for response in responses:
            found = status_response(response)
            if found is not None:
                self._remember(*found)
        return inbox_changed

    def _take_lines(self, lines: Iterable[bytes]) -> bool:
        """Raw untagged lines (from raw_command) taken like idle_check's responses."""
        responses: list[Any] = []
        for line in lines:
            if line.startswith(b"* "):
                try:
                    responses.append(_parse_untagged_response(line))
                except (IMAPClientError, ValueError):
                    log.debug("unparsable line %r", line[:200])
        return self._take(responses)

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
        if self.notifying or not self.status_interval:
            return
        if time.monotonic() >= self._next_round and self._status_round(session):
            self._changed()

    def _status_round(self, session: ImapSession) -> bool:
        """Every subscribed folder's STATUS, remembered (and announced when changed);
        True when the INBOX's own responses came with it."""
        self._next_round = time.monotonic() + self.status_interval
        items = "MESSAGES UNSEEN UIDNEXT" + (" HIGHESTMODSEQ" if session.has("CONDSTORE") else "")
        if session.has("LIST-STATUS"):
            command = f'LIST (SUBSCRIBED) "" "*" RETURN (STATUS ({items}))'
            return self._take_lines(session.raw_command(command.encode()))
        with session.guard("LSUB"):
            listed = session.client.list_sub_folders()
        names = [name for _flags, _delim, name in listed]
        inbox_changed = False
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


def notify_command(extra_folders: Iterable[str] = ()) -> str:
    """NOTIFY SET for the selected INBOX, every subscribed folder and `extra_folders`
    (idle_folders, subscribed or not; one that does not exist is ignored by Dovecot).
    STATUS: the server answers with every folder's STATUS at once (a reconnect's catch-up).
    """
    specs = [_SELECTED, f"(subscribed {_EVENTS})"]
    extra = [_quoted(name) for name in extra_folders if name.upper() != "INBOX"]
    if extra:
        specs.append(f"(mailboxes ({' '.join(extra)}) {_EVENTS})")
    return "NOTIFY SET STATUS " + " ".join(specs)


def status_response(response: Any) -> tuple[str, Status] | None:
    """(folder, items) from a parsed untagged `STATUS name (items)`, else None."""
    if not (isinstance(response, tuple) and len(response) == 3 and response[0] == b"STATUS"):
        return None
    raw_name, values = response[1], response[2]
    if not isinstance(values, tuple):
        return None
    name = imapclient.imap_utf7.decode(raw_name) if isinstance(raw_name, bytes) else raw_name
    status: Status = {}
    for key, value in zip(values[::2], values[1::2], strict=False):
        if isinstance(key, bytes) and isinstance(value, int):
            status[key.decode("ascii", "replace").upper()] = value
    return folder_name(name), status


def _quoted(name: Any) -> str:
    """A folder name as an IMAP quoted string (modified UTF-7)."""
    text = folder_name(name)
    encoded: str = imapclient.imap_utf7.encode(text).decode("ascii")
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'
