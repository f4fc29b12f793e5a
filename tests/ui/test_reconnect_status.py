"""After a reconnect, the status bar no longer shows the error of the outage."""

from __future__ import annotations

from pathlib import Path

from tests.support.dovecot import DovecotFactory, make_message
from tests.ui.conftest import AppFactory, settled, wait_for


async def test_the_outage_error_goes_once_the_account_is_back(
    dovecot_factory: DovecotFactory, make_app: AppFactory, tmp_path: Path
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    server.deliver(user, [make_message(0, subject="First")])
    server.stop()
    app = make_app(user, names=("work",), data_dir=tmp_path / "data", server=server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        message = screen.status.query_one("#status-message")
        accounts = screen.status.query_one("#status-accounts")
        assert screen.status.state("work") == "offline"
        outage = str(message.render())
        assert outage.startswith("work: ") and "refused" in outage

        server.start()
        app.services["work"].reconnect_now()
        await wait_for(pilot, lambda: screen.status.state("work") == "idling")
        await pilot.pause(0.3)  # the reconnect's own messages (folder list, sync)

        assert "work: idling" in str(accounts.render())
        assert "refused" not in str(message.render())
        assert str(message.render()) == "work: connected again"
