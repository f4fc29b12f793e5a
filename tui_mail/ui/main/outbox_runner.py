"""OutboxRunner: the main screen's part in sending what waits in the outbox.

Every few seconds it lets each account's `OutboxCourier` (core/sending/courier.py) send
what is due, and at once when the account's server is reachable again; what happened goes
to the status bar, and the folder tree's Outbox entry shows how many messages wait.
Imports are deferred: none of this is needed for the first screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_mail.core.sending.courier import CourierRun, OutboxCourier, Reason
    from tui_mail.ui.main.screen import MainScreen

FIRST_CHECK_SECONDS = 1.0
CHECK_SECONDS = 15.0
"""How often the outbox is looked at for retries that are due (a directory listing)."""


class OutboxRunner:
    """Each account's courier, run on a timer and on reconnects, reporting to the screen."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.couriers: dict[str, OutboxCourier] = {}
        self._shown: dict[str, int] = {}
        self._started = False

    def courier(self, account: str) -> OutboxCourier:
        if account not in self.couriers:
            from tui_mail.core.sending.courier import OutboxCourier  # noqa: PLC0415
            from tui_mail.core.sending.outbox import Outbox  # noqa: PLC0415

            service = self.screen.services[account]
            outbox = Outbox.for_account(self.screen.mail_app.data_dir, service.account)
            self.couriers[account] = OutboxCourier(service, outbox)
        return self.couriers[account]

    def waiting(self) -> dict[str, int]:
        """Account -> messages waiting, for the accounts where any wait."""
        counts = {name: len(self.courier(name).waiting()) for name in self.screen.services}
        return {name: count for name, count in counts.items() if count}

    def counts_for_tree(self) -> dict[str, int]:
        """What the tree shows: nothing until the first check (start-up stays lean)."""
        if self._started:
            self._shown = self.waiting()
        return self._shown

    def start(self) -> None:
        """Look soon after the first screen is up (a previous session may have left
        messages), then every CHECK_SECONDS."""
        self.screen.set_timer(FIRST_CHECK_SECONDS, self.check)
        self.screen.set_interval(CHECK_SECONDS, self.check)

    def open(self, account: str) -> None:
        from tui_mail.ui.screens.outbox import OutboxScreen  # noqa: PLC0415

        self.screen.app.push_screen(OutboxScreen(account, self))

    def check(self) -> None:
        """Send what is due, where anything waits (cheap when nothing does)."""
        self._started = True
        waiting = self.waiting()
        if waiting != self._shown:
            self.screen.refresh_tree()
        for name, count in waiting.items():
            if count:
                self._run(name, "due")

    def reconnected(self, account: str) -> None:
        """The server came back: what waited for the network goes now, not at its time."""
        if account in self.screen.services and self.courier(account).waiting():
            self._run(account, "reconnected")

    def _run(self, account: str, reason: Reason) -> None:
        self.screen.send_outbox(self._send(account, reason), account)

    async def _send(self, account: str, reason: Reason) -> None:
        self.report(await self.courier(account).run(reason))

    def report(self, run: CourierRun) -> None:
        for sentence in run.sentences():
            self.screen.status.say(sentence, error=bool(run.failed or run.problem))
        if run.sent or run.failed or run.problem:
            self.screen.refresh_tree()
