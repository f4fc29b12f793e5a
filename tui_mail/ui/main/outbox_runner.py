"""OutboxRunner: the main screen's part in sending what waits in the outbox.

Every few seconds it lets each account's `OutboxCourier` (core/sending/courier.py) send
what is due, and at once when the account's server is reachable again; what happened goes
to the status bar, and the folder tree's Outbox entry shows how many messages wait.
Imports are deferred: none of this is needed for the first screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tui_mail.core.account.service import AccountService
    from tui_mail.core.sending.courier import CourierRun, OutboxCourier, Reason
    from tui_mail.ui.main.ports import PushScreen
    from tui_mail.ui.main.status import StatusBar

FIRST_CHECK_SECONDS = 1.0
CHECK_SECONDS = 15.0
"""How often the outbox is looked at for retries that are due (a directory listing)."""


class OutboxRunner:
    """Each account's courier, run on a timer and on reconnects, reporting in the status bar."""

    def __init__(
        self,
        services: Mapping[str, AccountService],
        status: StatusBar,
        *,
        data_dir: Path,
        tree_changed: Callable[[], None],
        send: Callable[[Awaitable[None], str], object],
        push_screen: PushScreen,
    ) -> None:
        """`tree_changed()` rebuilds the folder tree (its Outbox entries); `send(job,
        account)` runs a courier's job in the screen's worker group for that account."""
        self.services = services
        self.status = status
        self.data_dir = data_dir
        self.tree_changed = tree_changed
        self._send_job = send
        self._push_screen = push_screen
        self.couriers: dict[str, OutboxCourier] = {}
        self._shown: dict[str, int] = {}
        self._started = False

    def courier(self, account: str) -> OutboxCourier:
        if account not in self.couriers:
            from tui_mail.core.sending.courier import OutboxCourier  # noqa: PLC0415
            from tui_mail.core.sending.outbox import Outbox  # noqa: PLC0415

            service = self.services[account]
            outbox = Outbox.for_account(self.data_dir, service.account)
            self.couriers[account] = OutboxCourier(service, outbox)
        return self.couriers[account]

    def waiting(self) -> dict[str, int]:
        """Account -> messages waiting, for the accounts where any wait."""
        counts = {name: len(self.courier(name).waiting()) for name in self.services}
        return {name: count for name, count in counts.items() if count}

    def counts_for_tree(self) -> dict[str, int]:
        """What the tree shows: nothing until the first check (start-up stays lean)."""
        if self._started:
            self._shown = self.waiting()
        return self._shown

    def open(self, account: str) -> None:
        from tui_mail.ui.screens.outbox import OutboxScreen  # noqa: PLC0415

        self._push_screen(OutboxScreen(account, self))

    def check(self) -> None:
        """Send what is due, where anything waits (cheap when nothing does)."""
        self._started = True
        waiting = self.waiting()
        if waiting != self._shown:
            self.tree_changed()
        for name, count in waiting.items():
            if count:
                self._run(name, "due")

    def reconnected(self, account: str) -> None:
        """The server came back: what waited for the network goes now, not at its time."""
        if account in self.services and self.courier(account).waiting():
            self._run(account, "reconnected")

    def _run(self, account: str, reason: Reason) -> None:
        self._send_job(self._send(account, reason), account)

    async def _send(self, account: str, reason: Reason) -> None:
        self.report(await self.courier(account).run(reason))

    def report(self, run: CourierRun) -> None:
        for sentence in run.sentences():
            self.status.say(sentence, error=bool(run.failed or run.problem))
        if run.sent or run.failed or run.problem:
            self.tree_changed()
