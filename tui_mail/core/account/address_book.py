"""Address completion for one account: the people in its cache and, when the account has
an `address_book_command` (khard, abook, any mutt query command), that command's answer,
merged and ranked (`tui_mail.core.message.address_ranking`).

`AddressBook.lookup` blocks (a cache read, a command run): AccountService.addresses calls
it off the event loop. The command runs in its own process group with a time limit that
ends all of it, and reads at most `MAX_OUTPUT` bytes; a command that fails or hangs gives
one sentence for the status line and is left alone for a while (a slow command must not
cost two seconds on every key), so completion goes on from the cache alone.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_mail.core.message.address_ranking import (
    Correspondent,
    correspondents,
    parse_query_output,
    query_command,
    rank,
)
from tui_mail.core.message.correspondents import own_addresses
from tui_mail.core.message.sanitize import sanitize_line
from tui_mail.core.process_group import kill_group

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig

COMMAND_SECONDS = 2.0
"""How long the address book command may take before it is stopped."""
MAX_OUTPUT = 256 * 1024
"""Bytes of its answer read at most (thousands of addresses); the rest is not read."""
PAUSE_AFTER_FAILURE = 30.0
"""Seconds the command is not run again after it failed or took too long."""
CACHE_SECONDS = 300.0
"""How long the cache's correspondents are reused before they are read again."""
_REMEMBERED_ANSWERS = 64


class AddressBookFailed(Exception):
    """The command could not answer; the message is a sentence for the status line."""


@dataclass(frozen=True, slots=True)
class AddressLookup:
    """What completion offers for the text typed so far."""

    matches: list[tuple[str, str]] = field(default_factory=list)
    """(name, address), best first; the name may be empty. Sanitised: plain text, to be
    shown as such (never as markup)."""
    problem: str | None = None
    """Set once when the address book command failed: say it in the status line."""


def run_address_query(
    command: str, typed: str, *, timeout: float = COMMAND_SECONDS, limit: int = MAX_OUTPUT
) -> list[tuple[str, str]]:
    """(name, address) pairs the user's address book `command` answers for `typed`.

    Exit status 1 is "nothing found" (khard and abook say so that way). Raises
    AddressBookFailed for a command that cannot start, is not found, fails otherwise with
    nothing to offer, or takes longer than `timeout` (then all it started is killed).
    """
    # The user's own command through the shell, as mutt runs it; what was typed is quoted.
    try:
        process = subprocess.Popen(  # noqa: S602
            query_command(command, typed),
            shell=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        raise AddressBookFailed(
            f"The address book command could not start: {error.strerror or error}."
        ) from None
    with process:
        try:
            out, err = _read_bounded(process, time.monotonic() + timeout, limit)
        except TimeoutError:
            kill_group(process)
            raise AddressBookFailed(
                f"The address book command took longer than {timeout:g} s and was stopped; "
                "completing from the cached mail only."
            ) from None
        except BaseException:
            kill_group(process)
            raise
    found = parse_query_output(out.decode("utf-8", "replace"))
    # abook says "Not found" on stderr with status 1, khard only the status: not a failure.
    if process.returncode not in (0, 1) and not found:
        said = sanitize_line(err.decode("utf-8", "replace")).strip()[:200]
        raise AddressBookFailed(
            f"The address book command failed (exit status {process.returncode})"
            + (f": {said}" if said else ".")
        )
    return found


def _read_bounded(
    process: subprocess.Popen[bytes], deadline: float, limit: int
) -> tuple[bytes, bytes]:
    """stdout (at most `limit` bytes, cut at a line end) and stderr (at most 4 KiB) until
    both close and the process exits; TimeoutError at `deadline`. A command that writes
    more than `limit` is stopped: what it said so far is enough to complete from."""
    stdout, stderr = process.stdout, process.stderr
    if stdout is None or stderr is None:
        raise ValueError("the process must have been started with stdout and stderr pipes")
    wanted = {stdout.fileno(): limit, stderr.fileno(): 4096}
    got = {stdout.fileno(): bytearray(), stderr.fileno(): bytearray()}
    with selectors.DefaultSelector() as selector:
        for fd in wanted:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            for key, _events in selector.select(left):
                chunk = os.read(key.fd, 65536)
                room = wanted[key.fd] - len(got[key.fd])
                got[key.fd] += chunk[: max(room, 0)]
                if not chunk or len(chunk) > room:
                    selector.unregister(key.fd)
                if chunk and len(chunk) > room and key.fd == stdout.fileno():
                    kill_group(process)  # enough read: nothing more is wanted from it
    try:
        process.wait(max(deadline - time.monotonic(), 0.001))
    except subprocess.TimeoutExpired:
        raise TimeoutError from None
    out = bytes(got[stdout.fileno()])
    if len(out) >= limit:
        out = out[: out.rfind(b"\n") + 1]  # the last line may be cut
    return out, bytes(got[stderr.fileno()])


class AddressBook:
    """One account's addresses for completion (see the module's docstring).

    Thread-safe: every key typed may ask from a thread of its own.
    """

    def __init__(
        self,
        account: AccountConfig,
        cached_rows: Callable[[], list[tuple[str, str, str, str]]],
        *,
        timeout: float = COMMAND_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account = account
        self._cached_rows = cached_rows
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._known: tuple[float, list[Correspondent]] | None = None
        self._answers: OrderedDict[str, list[tuple[str, str]]] = OrderedDict()
        self._paused_until = 0.0

    def lookup(self, typed: str, limit: int = 50) -> AddressLookup:
        """(name, address) matches for `typed`, best first; blocking."""
        own = own_addresses(self.account)
        book, problem = self._ask_book(" ".join(typed.split()))
        return AddressLookup(rank(typed, self._correspondents(own), book, own=own, limit=limit),
                             problem)  # fmt: skip

    def forget(self) -> None:
        """Read the cache and ask the command afresh next time (new mail, a changed book)."""
        with self._lock:
            self._known = None
            self._answers.clear()
            self._paused_until = 0.0

    def _correspondents(self, own: set[str]) -> list[Correspondent]:
        with self._lock:
            known = self._known
        if known is not None and self._clock() - known[0] < CACHE_SECONDS:
            return known[1]
        people = correspondents(self._cached_rows(), own)
        with self._lock:
            self._known = (self._clock(), people)
        return people

    def _ask_book(self, typed: str) -> tuple[list[tuple[str, str]], str | None]:
        command = self.account.address_book_command
        if not command or not typed:
            return [], None
        with self._lock:
            if typed in self._answers:
                self._answers.move_to_end(typed)
                return self._answers[typed], None
            if self._clock() < self._paused_until:
                return [], None
        try:
            found = run_address_query(command, typed, timeout=self.timeout)
        except AddressBookFailed as failure:
            with self._lock:
                self._paused_until = self._clock() + PAUSE_AFTER_FAILURE
            return [], str(failure)
        with self._lock:
            self._answers[typed] = found
            while len(self._answers) > _REMEMBERED_ANSWERS:
                self._answers.popitem(last=False)
        return found, None
