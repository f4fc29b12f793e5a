"""Offline, the watcher's retries do not cover what the user asked for: the search's
count stays in the status line; the accounts' part keeps saying "offline"."""

from __future__ import annotations

from pathlib import Path

from tests.support.accounts import imap_account
from tests.support.dovecot import DovecotFactory, make_message
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tui_mail.core.account.service import AccountService


async def test_a_retry_that_fails_again_leaves_the_search_count_on_screen(
    dovecot_factory: DovecotFactory, make_app: AppFactory, tmp_path: Path
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    subjects = ["Budget draft", "Lunch?", "Budget final", "Holiday photos"]
    server.deliver(user, [make_message(i, subject=s) for i, s in enumerate(subjects)])
    data_dir = tmp_path / "data"
    earlier = AccountService(  # an earlier session filled the cache
        imap_account(server, user, name="work"), data_dir, secret=lambda: user.password
    )
    await earlier.refresh_folders()
    await earlier.sync("INBOX")
    await earlier.close()
    server.stop()  # its port is closed: every connection is refused

    app = make_app(user, names=("work",), data_dir=data_dir, server=server)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled(pilot, app)
        status = screen.status
        assert status.state("work") == "offline"
        assert "refused the connection" in status.message  # the news, told once
        states: list[str] = []
        shown_state = status.watcher_state

        def recording(account: str, state: str) -> None:
            states.append(state)
            shown_state(account, state)

        status.watcher_state = recording  # type: ignore[method-assign]

        await pilot.press("slash", *"budget")
        await wait_for(pilot, lambda: "'budget': 2 in the cache" in status.message)
        assert sorted(visible_rows(screen)) == ["Budget draft", "Budget final"]
        count = status.message

        app.services["work"].reconnect_now()  # the watcher tries again at once ...
        await wait_for(pilot, lambda: "offline" in states)  # ... and is refused again
        await pilot.pause(0.3)
        assert status.message == count
        assert "refused" not in status.message
        accounts = str(status.query_one("#status-accounts").render())
        assert "work: offline" in accounts  # where the connection's state always is

        # Once nothing else is on show, a failed retry says why again (and when next).
        await pilot.press("escape")
        status.say("")  # as when the last message's time is up
        states.clear()
        app.services["work"].reconnect_now()
        await wait_for(pilot, lambda: "offline" in states)
        await wait_for(pilot, lambda: "Next try in" in status.message)
        assert "refused the connection" in status.message
