"""The app with the server out of reach: it opens from the cache, triage is kept, and it
comes back by itself when the server does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.accounts import imap_account, server_flags, server_subjects
from tests.support.dovecot import DovecotFactory, make_message
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tui_mail.core.account.service import AccountService


async def test_offline_start_reads_the_cache_keeps_triage_and_reconnects(
    dovecot_factory: DovecotFactory, make_app: AppFactory, tmp_path: Path
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    server.deliver(user, [make_message(i, subject=s) for i, s in enumerate(["First", "Second"])])
    server.deliver(user, [make_message(2, subject="Third")])
    data_dir = tmp_path / "data"
    # An earlier session synced the inbox and read "Second" (so its body is cached).
    earlier = AccountService(
        imap_account(server, user, name="work"), data_dir, secret=lambda: user.password
    )
    await earlier.refresh_folders()
    await earlier.sync("INBOX")
    uid = {m.subject: m.uid for m in earlier.messages("INBOX")}
    await earlier.fetch_raw("INBOX", uid["Second"])
    await earlier.close()

    server.stop()
    app = make_app(user, names=("work",), data_dir=data_dir, server=server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        service = app.services["work"]
        assert visible_rows(screen) == ["Third", "Second", "First"]
        assert screen.status.state("work") == "offline"
        assert "work: offline" in str(screen.status.query_one("#status-accounts").render())

        await pilot.press("j", "enter")  # the cached body opens without the server
        await wait_for(pilot, lambda: screen.open_ref is not None)
        assert "Subject: Second" in str(screen.reader.body.render())
        await wait_for(pilot, lambda: service.pending_count() == 1)  # marked read, queued

        screen.messages.focus()
        await pilot.press("d")  # "Second" to Trash, queued ...
        await wait_for(pilot, lambda: visible_rows(screen) == ["Third", "First"])
        await wait_for(pilot, lambda: service.pending_count() == 2)
        # What the bar says, in order: the watcher's "Next try in N s" may replace the
        # undo's sentence a moment later, so the test reads every sentence shown.
        said: list[str] = []
        say = screen.status.say

        def recording(text: str, **kwargs: Any) -> None:
            said.append(text)
            say(text, **kwargs)

        screen.status.say = recording  # type: ignore[method-assign]
        await pilot.press("z")  # ... and taken back while still offline
        await wait_for(pilot, lambda: visible_rows(screen) == ["Third", "Second", "First"])
        await wait_for(pilot, lambda: "Undone: 1 message moved back to INBOX from Trash." in said)
        assert service.pending_count() == 1

        await pilot.press("j", "exclamation_mark")  # flag "First" ...
        await wait_for(pilot, lambda: service.pending_count() == 2)
        for path in (server.folder_path(user, "INBOX") / "cur").iterdir():
            if b"Subject: First" in path.read_bytes():
                path.unlink()  # ... which another client deletes meanwhile

        server.start()
        service.reconnect_now()
        await wait_for(pilot, lambda: screen.status.state("work") == "idling")
        await wait_for(pilot, lambda: service.pending_count() == 0)
        # The vanished message is reported in words, not a crash.
        await wait_for(pilot, lambda: any("no longer exist" in text for text in said))
        await wait_for(pilot, lambda: visible_rows(screen) == ["Third", "Second"])

    assert sorted(server_subjects(server, user, "INBOX")) == ["Subject: Second", "Subject: Third"]
    assert server_subjects(server, user, "Trash") == []
    assert b"\\Seen" in server_flags(server, user, "INBOX")[uid["Second"]]
