"""Working offline: triage while the server is down is kept and replayed in order."""

from __future__ import annotations

from tests.integration.conftest import ServiceFactory
from tests.integration.test_idle import Recorder, state_is
from tests.support.accounts import imap_account, server_flags, server_subjects
from tests.support.dovecot import DovecotFactory, make_message
from tui_mail.core.events import PendingChanged
from tui_mail.core.models import Flag


async def test_offline_triage_is_replayed_when_the_server_is_back(
    dovecot_factory: DovecotFactory, make_service: ServiceFactory
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    server.create_folder(user, "Projects")
    server.deliver(user, [make_message(i, subject=f"M{i}") for i in range(5)])
    service = make_service(imap_account(server, user), user)
    await service.refresh_folders()
    await service.sync("INBOX")
    by_subject = {m.subject: m.uid for m in service.messages("INBOX")}
    raw_before = await service.fetch_raw("INBOX", by_subject["M0"])
    events = Recorder(service)
    service.start_watching()
    await events.wait(state_is("idling"))

    server.stop()
    await events.wait(state_is("offline"))
    await service.set_flag("INBOX", [by_subject["M0"]], Flag.SEEN, on=True)
    await service.set_flag("INBOX", [by_subject["M1"]], Flag.FLAGGED, on=True)
    await service.move("INBOX", [by_subject["M2"]], "Projects")
    assert await service.delete("INBOX", [by_subject["M3"]]) == "Trash"
    # What the user sees: the cache already shows every action, and they are pending.
    assert service.pending_count() == 4
    cached = {m.subject: m for m in service.messages("INBOX")}
    assert sorted(cached) == ["M0", "M1", "M4"]
    assert cached["M0"].seen and cached["M1"].flagged
    assert await service.fetch_raw("INBOX", by_subject["M0"]) == raw_before  # cached body

    # M4 vanishes on the server meanwhile (another client deleted it), then is flagged here.
    await service.set_flag("INBOX", [by_subject["M4"]], Flag.FLAGGED, on=True)
    for path in (server.folder_path(user, "INBOX") / "cur").iterdir():
        if b"Subject: M4" in path.read_bytes():
            path.unlink()

    server.start()
    service.reconnect_now()
    done = await events.wait(lambda e: isinstance(e, PendingChanged) and e.count == 0, 15)
    assert isinstance(done, PendingChanged)
    assert len(done.problems) == 1 and "no longer exist" in done.problems[0]
    assert service.pending_count() == 0

    flags = server_flags(server, user, "INBOX")
    assert b"\\Seen" in flags[by_subject["M0"]]
    assert b"\\Flagged" in flags[by_subject["M1"]]
    assert sorted(server_subjects(server, user, "INBOX")) == ["Subject: M0", "Subject: M1"]
    assert server_subjects(server, user, "Projects") == ["Subject: M2"]
    assert server_subjects(server, user, "Trash") == ["Subject: M3"]
    service.stop_watching()
