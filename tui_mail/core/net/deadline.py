"""Overall deadlines: the one sentence for a server that overran one, and a deadline for
the asyncio steps of SMTP.

A per-read timeout bounds nothing: a server that drips a byte at a time, or each of its
answers just under the timeout, keeps a client waiting for as long as it likes. The
blocking sessions (IMAP, POP3) run each command under the `Watchdog` (core/net/watchdog.py);
SMTP (aiosmtplib, asyncio) puts each step under `asyncio.timeout` (`within`). All of them
say the same sentence when a deadline passes (`stalled`; IMAP's guard.timed_out words it
alike), with the account's `server_timeout_seconds` as the deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from tui_mail.core.errors import ServerTimeout

T = TypeVar("T")

SLOW_LINK = "On a slow link, raise server_timeout_seconds in the account's settings."


def stalled(host: str, what: str, seconds: float, then: str = "try again later") -> ServerTimeout:
    """The sentence for a deadline the server overran, for every protocol."""
    return ServerTimeout(
        f"The server at {host} stopped answering in time (no complete answer to {what} "
        f"within {seconds:.0f} s); {then}. {SLOW_LINK}"
    )


async def within(host: str, what: str, seconds: float, step: Awaitable[T], then: str) -> T:
    """Await `step` for at most `seconds` in all; past that it is cancelled (which closes
    nothing by itself: the caller closes the connection) and ServerTimeout is raised."""
    scope = asyncio.timeout(seconds)
    try:
        async with scope:
            return await step
    except TimeoutError:
        if not scope.expired():  # the library's own per-read timeout: the caller's to say
            raise
        raise stalled(host, what, seconds, then) from None
