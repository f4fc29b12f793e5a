"""IdleWatcher: notice new mail the moment the server has it, and survive flaky networks.

One watcher per folder, each with its own connection (ImapSession: the same TLS and login
policy as the command connection) on its own thread, because an IMAP connection in IDLE
can do nothing else. RFC 2177 asks clients to renew IDLE before 29 minutes; NAT boxes drop
quiet connections sooner, so the default is 9. A server without IDLE is polled with NOOP.
AccountWatcher (notify_watch.py) is the INBOX's watcher that also hears of other folders
on the same connection, through the hooks `_prepare`, `_begin_idle`, `_take` and
`_between_idles`.

Some servers say nothing during IDLE (GNU Mailutils) or look for new mail only now and then
(Courier as Debian ships it): they tell on DONE or NOOP. So until the server has announced a
change during IDLE on its own, IDLE is ended every `recheck_interval` (60 s) for a NOOP;
once it has, it is trusted and only renewed every `idle_interval`.

A dead connection is noticed by: read timeouts and socket errors, `* BYE`, `idle_check`
returning nothing although the socket was readable (imapclient swallows the EOF, see
FIELD-NOTES), and a jump of the wall clock against the monotonic one (the machine slept:
the connection is probably gone, so reconnect at once instead of waiting for a timeout).
Reconnects back off exponentially with jitter, from 1 s to 5 minutes.

Callbacks run on the watcher's thread.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from imapclient.exceptions import IMAPClientError

from tui_mail.config import MAX_IDLE_FOLDERS, AccountConfig
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.errors import AuthenticationFailed, ConnectionFailed, TuiMailError
from tui_mail.core.imap.session import ImapSession

log = logging.getLogger(__name__)

IDLE_INTERVAL: Final = 9 * 60.0
POLL_INTERVAL: Final = 60.0
READ_TIMEOUT: Final = 30.0
CHECK_EVERY: Final = 5.0
"""How long one idle_check waits: also how soon a sleep of the machine is noticed."""
CLOCK_JUMP: Final = 20.0
"""A wall clock this far ahead of the monotonic one means the machine was suspended."""
_CHANGES: Final = frozenset({b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED"})

StateCallback = Callable[[str, str, str], None]
"""Called with (folder, state, detail): state is "idling", "polling", "reconnecting in 8 s",
"offline", "auth failed"; detail says why in words for the user."""


class Backoff:
    """Exponential backoff with full jitter: 1 s, 2 s, 4 s ... up to `maximum`.

    Full jitter (a random delay up to the ceiling, never under `minimum`) keeps a fleet of
    clients from reconnecting in step after a server restart.
    """

    def __init__(
        self,
        minimum: float = 1.0,
        maximum: float = 300.0,
        *,
        rng: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self._rng = rng
        self.attempts = 0

    def next_delay(self) -> float:
        ceiling = min(self.maximum, self.minimum * 2.0**self.attempts)
        self.attempts += 1
        return max(self.minimum, self._rng(self.minimum, ceiling))

    def reset(self) -> None:
        self.attempts = 0


class ConnectionDead(Exception):
    """The watcher's connection is gone (EOF, BYE, the machine slept)."""


class StandDown(Exception):
    """Another watcher covers this folder on this server (see `unless_server_has`)."""


class IdleWatcher:
    """Watches one folder; calls `on_change(folder)` when its messages change.

    `start()` returns at once; `stop()` ends the thread promptly (it shuts the socket so
    a waiting IDLE wakes up). After each (re)connection `on_change` is called once as
    well, since changes made while disconnected were not announced.
    """

    def __init__(
        self,
        account: AccountConfig,
        secret: SecretSource,
        folder: str,
        on_change: Callable[[str], None],
        on_state: StateCallback | None = None,
        *,
        idle_interval: float | None = None,
        poll_interval: float | None = None,
        recheck_interval: float | None = None,
        read_timeout: float = READ_TIMEOUT,
        check_every: float = CHECK_EVERY,
        backoff: Backoff | None = None,
        wall_clock: Callable[[], float] = time.time,
        unless_server_has: str | None = None,
    ) -> None:
        """`unless_server_has`: a capability (NOTIFY) under which another watcher covers
        this folder: the watcher then ends after its first login, holding no connection."""
        self.account = account
        self.unless_server_has = unless_server_has
        self.folder = folder
        self._secret = secret
        self._on_change = on_change
        self._on_state = on_state
        self.idle_interval = (
            idle_interval if idle_interval is not None else account.idle_interval_minutes * 60.0
        )
        self.poll_interval = (
            poll_interval if poll_interval is not None else float(account.poll_interval_seconds)
        )
        self.recheck_interval = (
            recheck_interval
            if recheck_interval is not None
            else float(account.idle_recheck_seconds)
        )
        """0: trust IDLE from the start. See the module docstring."""
        self.server_announces: bool = False
        """Whether the server has announced a change during IDLE (then no NOOP rechecks)."""
        self._read_timeout = read_timeout
        self._check_every = check_every
        self.backoff = backoff or Backoff()
        self._wall_clock = wall_clock
        self._stop = threading.Event()
        self._retry_now = threading.Event()
        self._thread: threading.Thread | None = None
        self._session: ImapSession | None = None
        self.state = ""
        self.using_idle: bool | None = None
        """True on the IDLE path, False when polling; None before the first connection."""

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"idle-{self.account.name}-{self.folder}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the watching; returns once the thread is gone (or after `timeout`)."""
        self.interrupt()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def interrupt(self) -> None:
        """Ask the thread to end and shut its connection (even one being opened), without
        waiting: the poll() in idle_check, or a stalled greeting, returns at once; the
        thread then logs nothing out."""
        self._stop.set()
        session = self._session
        if session is not None:
            session.interrupt()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Reconnect now instead of waiting out the backoff (the network came back)."""
        self.backoff.reset()
        self._retry_now.set()

    # -- the watching thread -------------------------------------------------------------

    def _report(self, state: str, detail: str = "") -> None:
        self.state = state
        if self._on_state is not None:
            try:
                self._on_state(self.folder, state, detail)
            except Exception:  # a broken callback must not end the watching
                log.exception("idle state callback failed")

    def _changed(self) -> None:
        try:
            self._on_change(self.folder)
        except Exception:
            log.exception("idle change callback failed for %s", self.folder)

    def _run(self) -> None:
        while not self._stop.is_set():
            delay = 0.0
            connected = False
            try:
                session = self._connect()
                connected = True
                self.backoff.reset()
                # Whatever changed while we were away (or before this first SELECT) was
                # not announced: one sync catches up.
                self._changed()
                if self.using_idle:
                    self._idle_loop(session)
                else:
                    self._poll_loop(session)
            except StandDown:
                self._stop.set()
            except AuthenticationFailed as error:
                # Retrying a rejected password quickly can lock the account: wait long.
                self._report("auth failed", str(error))
                delay = self.backoff.maximum
            except ConnectionDead as error:
                if str(error) == "slept":  # the network is probably fine: at once
                    self._report("reconnecting", "The computer was asleep.")
                else:
                    delay = self.backoff.next_delay()
                    self._report(f"reconnecting in {delay:.0f} s", str(error))
            except (TuiMailError, IMAPClientError, OSError) as error:
                delay = self.backoff.next_delay()
                if connected or not isinstance(error, ConnectionFailed):
                    self._report(f"reconnecting in {delay:.0f} s", str(error))
                else:  # the server cannot be reached at all
                    self._report("offline", f"{error} Next try in {delay:.0f} s.")
            finally:
                # Whatever ended the loop left the connection dead or in the middle of
                # IDLE: a polite LOGOUT there would wait for the read timeout (30 s)
                # before the reconnect that should happen at once.
                self._drop()
            if delay and not self._stop.is_set():
                self._wait(delay)
        self._drop()

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and not self._retry_now.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._stop.wait(min(left, 0.25))
        self._retry_now.clear()

    def _connect(self) -> ImapSession:
        session = ImapSession(self.account, self._secret, read_timeout=self._read_timeout)
        self._session = session
        session.connect()
        if self._stop.is_set():
            raise ConnectionDead("stopping")
        if self.unless_server_has and session.has(self.unless_server_has):
            session.close()
            raise StandDown
        session.select(self.folder, readonly=True)
        self.using_idle = session.has("IDLE")
        self._prepare(session)
        self._report("idling" if self.using_idle else "polling")
        return session

    def _prepare(self, session: ImapSession) -> None:
        """After SELECT, before the state is reported: a subclass's setup (NOTIFY SET)."""

    def _drop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session._abandon()  # no LOGOUT round trip: see _run

    def _idle_loop(self, session: ImapSession) -> None:
        client = session.client
        while not self._stop.is_set():
            changed = self._take(self._begin_idle(session))
            renew_at = time.monotonic() + self._idle_period()
            # On a dead connection _check raises, and DONE is never sent: idle_done()
            # could hang there (imapclient #449).
            while not changed and not self._stop.is_set() and time.monotonic() < renew_at:
                if self._take(self._check(client, renew_at - time.monotonic())):
                    changed = self.server_announces = True
            if self._stop.is_set():
                return
            with session.guard("DONE"):  # a cut network must not hang it (imapclient #449)
                more = self._end_idle(session)
            announced = self._take(more)  # taken even after a change: NOTIFY's news
            quiet = not changed and not announced
            if quiet and not self.server_announces and self.recheck_interval:
                with session.guard("NOOP"):
                    more = self._noop(client)
                quiet = not self._take(more)
            if not quiet:
                self._changed()
            self._between_idles(session)

    def _begin_idle(self, session: ImapSession) -> list[Any]:
        """Start IDLE; returns what the server said before accepting it (nothing here)."""
        session.client.idle()
        return []

    def _end_idle(self, session: ImapSession) -> list[Any]:
        """DONE; returns what the server said until IDLE's tagged OK."""
        _text, more = session.client.idle_done()
        return list(more)

    def _take(self, responses: list[Any]) -> bool:
        """Whether these responses say the watched folder changed. A subclass hears more
        in them (NOTIFY's STATUS of other folders)."""
        return _changes(responses)

    def _between_idles(self, session: ImapSession) -> None:
        """After each IDLE (and each poll): room for other commands on this connection."""

    def _idle_period(self) -> float:
        if self.server_announces or not self.recheck_interval:
            return self.idle_interval
        return min(self.recheck_interval, self.idle_interval)

    def _noop(self, client: Any) -> list[Any]:
        """NOOP: what a quiet server reports only when asked (see the module docstring)."""
        _text, responses = client.noop()
        if any(_is_bye(response) for response in responses):
            raise ConnectionDead("The server closed the connection (BYE).")
        return list(responses)

    def _check(self, client: Any, limit: float = CHECK_EVERY) -> list[Any]:
        """One idle_check (at most `limit` s), turning the ways a connection dies into
        ConnectionDead."""
        wall, mono = self._wall_clock(), time.monotonic()
        wait = max(0.05, min(self._check_every, self.idle_interval, limit))
        responses = self._idle_responses(client, wait)
        elapsed = time.monotonic() - mono
        if self._stop.is_set():
            return []
        if (self._wall_clock() - wall) - elapsed > CLOCK_JUMP:
            raise ConnectionDead("slept")
        if any(_is_bye(response) for response in responses):
            raise ConnectionDead("The server closed the connection (BYE).")
        if not responses and elapsed < wait * 0.5:
            # poll() said readable, yet no line came: imapclient swallowed an EOF.
            raise ConnectionDead("The server closed the connection.")
        return responses

    def _idle_responses(self, client: Any, wait: float) -> list[Any]:
        """What the server says during IDLE within `wait` s (a subclass reads it itself)."""
        responses: list[Any] = client.idle_check(timeout=wait)
        return responses

    def _poll_loop(self, session: ImapSession) -> None:
        client = session.client
        while not self._stop.is_set():
            wall, mono = self._wall_clock(), time.monotonic()
            self._stop.wait(self.poll_interval)
            if self._stop.is_set():
                return
            if (self._wall_clock() - wall) - (time.monotonic() - mono) > CLOCK_JUMP:
                raise ConnectionDead("slept")
            if self._take(self._noop(client)):
                self._changed()
            self._between_idles(session)


def _changes(responses: list[Any]) -> bool:
    """EXISTS, EXPUNGE, FETCH: the folder changed. `* OK Still here` and RECENT do not count."""
    for response in responses:
        if isinstance(response, tuple) and len(response) >= 2 and response[1] in _CHANGES:
            return True
    return False


def _is_bye(response: Any) -> bool:
    return isinstance(response, tuple) and bool(response) and response[0] == b"BYE"


def watched_folders(account: AccountConfig) -> list[str]:
    """INBOX and the account's idle_folders (bounded: each costs a connection)."""
    extra = [f for f in account.idle_folders if f.upper() != "INBOX"]
    return ["INBOX", *extra[:MAX_IDLE_FOLDERS]]
