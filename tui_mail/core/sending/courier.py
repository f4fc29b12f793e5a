"""OutboxCourier: sends what waits in an account's outbox without being asked.

A message that failed for want of a network is tried again when its retry time comes
(30 s, doubling up to an hour apart) and at once when the account's server is reachable
again; one the server accepted whose Sent copy is not filed yet gets filed then too. A
message refused for a reason the user may want to fix (a recipient, the password, a
certificate) or one that may already have arrived waits for the user (`send_now`).

Runs of one courier never overlap, and the outbox's per-message lock keeps another
tui-mail process from sending the same message at the same time.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tui_mail.core.errors import TuiMailError
from tui_mail.core.sending.outbox import Outbox, OutboxEntry
from tui_mail.core.sending.send import NotSent, SendReport, deliver, flush_outbox, report_sentence
from tui_mail.core.sending.smtp import transport_for

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService

Reason = Literal["due", "reconnected"]


@dataclass(slots=True)
class CourierRun:
    """What one run did: sent messages, failures, and a problem that stopped it."""

    sent: list[SendReport] = field(default_factory=list)
    failed: list[NotSent] = field(default_factory=list)
    problem: TuiMailError | None = None

    def sentences(self) -> list[str]:
        """One line per message, for a status bar."""
        lines = [f"Outbox: {report_sentence(report)}" for report in self.sent]
        lines += [f"Outbox: still not sent: {failure}" for failure in self.failed]
        if self.problem is not None:
            lines.append(f"Outbox: {self.problem}")
        return lines


class OutboxCourier:
    """The automatic sender of one account's outbox (see the module docstring)."""

    def __init__(self, service: AccountService, outbox: Outbox) -> None:
        self.service = service
        self.outbox = outbox
        self._running = asyncio.Lock()
        self._last_problem = ""

    def waiting(self) -> list[OutboxEntry]:
        """The messages in the outbox, oldest first (empty when it cannot be read)."""
        try:
            return self.outbox.entries()
        except TuiMailError:
            return []

    async def run(self, reason: Reason) -> CourierRun:
        """Send what retries by itself: what is due, or everything such after a reconnect.
        A run asked for while one is going does nothing (that one covers it)."""
        if self._running.locked():
            return CourierRun()
        async with self._running:
            try:
                results = await flush_outbox(self.service, self.outbox, automatic=reason)
            except TuiMailError as error:  # unreadable outbox, no way to send configured
                # Said once, not at every check, until something changes.
                repeated = str(error) == self._last_problem
                self._last_problem = str(error)
                return CourierRun() if repeated else CourierRun(problem=error)
        self._last_problem = ""
        return _collect(results)

    async def send_now(self, entry_id: str) -> CourierRun:
        """The user's "send it now", whatever the message's state or retry time."""
        async with self._running:
            try:
                transport = transport_for(self.service.account)
                report = await deliver(self.service, self.outbox, entry_id, transport=transport)
            except NotSent as failure:
                return CourierRun(failed=[failure])
            except TuiMailError as error:
                return CourierRun(problem=error)
        return CourierRun(sent=[report])

    def remove(self, entry_id: str) -> None:
        """Drop a message from the outbox (the user decided not to send it). Raises
        OutboxBusy while it is being sent, UsageError when it has gone already."""
        with self.outbox.claimed(entry_id) as entry:
            self.outbox.remove(entry)


def describe(entry: OutboxEntry, now: float | None = None) -> str:
    """Where a waiting message stands, in words."""
    now = time.time() if now is None else now
    if entry.state == "transmitting":
        return "may have arrived (the connection broke mid-way); s sends it again"
    if entry.state in ("accepted", "filed"):
        return "sent; its copy in Sent is still to be filed"
    if not entry.attempts:
        return "not tried yet"
    if entry.retries_itself:
        wait = max(0, round(entry.retry_at() - now))
        when = f"in {wait // 60} min" if wait >= 120 else f"in {wait} s" if wait else "now"
        return f"server unreachable; tried {entry.attempts}x, next try {when}"
    return "refused; waits for you (s sends it again, d deletes it)"


def _collect(results: list[SendReport | NotSent]) -> CourierRun:
    run = CourierRun()
    for result in results:
        if isinstance(result, NotSent):
            run.failed.append(result)
        else:
            run.sent.append(result)
    return run
