"""Working offline: triage while the server is down is kept and replayed in order."""

from __future__ import annotations

import asyncio

from tests.integration.conftest import ServiceFactory
from tests.integration.test_idle import Recorder, state_is
from tests.support.accounts import imap_account, server_flags, server_subjects
from tests.support.dovecot import DovecotFactory, make_message
from tui_mail.core.account.events import PendingChanged
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


async def test_undo_offline_drops_the_queued_move_and_reverses_a_flag(
    dovecot_factory: DovecotFactory, make_service: ServiceFactory
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    server.create_folder(user, "Projects")
    server.deliver(user, [make_message(i, subject=f"M{i}") for i in range(3)])
    service = make_service(imap_account(server, user), user)
    await service.refresh_folders()
    await service.sync("INBOX")
    by_subject = {m.subject: m.uid for m in service.messages("INBOX")}
    ids = {m.subject: m.message_id for m in service.messages("INBOX")}
    raw_m0 = await service.fetch_raw("INBOX", by_subject["M0"])
    events = Recorder(service)
    service.start_watching()
    await events.wait(state_is("idling"))

    server.stop()
    await events.wait(state_is("offline"))
    await service.move("INBOX", [by_subject["M0"]], "Projects")
    assert await service.delete("INBOX", [by_subject["M1"]]) == "Trash"
    assert service.pending_count() == 2
    # Undo of the move while the server is still down: dropped from the queue, and the
    # row (with its cached body) is back in the list.
    await service.undo_move("INBOX", [by_subject["M0"]], "Projects", [ids["M0"]])
    assert service.pending_count() == 1
    assert sorted(m.subject for m in service.messages("INBOX")) == ["M0", "M2"]
    assert await service.fetch_raw("INBOX", by_subject["M0"]) == raw_m0
    # A flag and its undo, both offline: the reverse is queued, so the server ends unchanged.
    await service.set_flag("INBOX", [by_subject["M2"]], Flag.SEEN, on=True)
    await service.set_flag("INBOX", [by_subject["M2"]], Flag.SEEN, on=False)
    assert not next(m for m in service.messages("INBOX") if m.subject == "M2").seen

    events.events.clear()
    server.start()
    service.reconnect_now()
    await events.wait(lambda e: isinstance(e, PendingChanged) and e.count == 0, 15)
    assert sorted(server_subjects(server, user, "INBOX")) == ["Subject: M0", "Subject: M2"]
    assert server_subjects(server, user, "Projects") == []
    assert server_subjects(server, user, "Trash") == ["Subject: M1"]
    assert b"\\Seen" not in server_flags(server, user, "INBOX")[by_subject["M2"]]

    # The deletion was replayed meanwhile: its undo takes the online path.
    await service.undo_move("INBOX", [by_subject["M1"]], "Trash", [ids["M1"]])
    assert sorted(server_subjects(server, user, "INBOX")) == [
        "Subject: M0",
        "Subject: M1",
        "Subject: M2",
    ]
    assert server_subjects(server, user, "Trash") == []
    assert sorted(m.subject for m in service.messages("INBOX")) == ["M0", "M1", "M2"]
    service.stop_watching()


async def test_undo_offline_of_moves_the_server_did_queues_the_way_back(
    dovecot_factory: DovecotFactory, make_service: ServiceFactory
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    server.create_folder(user, "Projects")
    server.deliver(user, [make_message(i, subject=f"M{i}") for i in range(3)])
    service = make_service(imap_account(server, user), user)
    await service.refresh_folders()
    await service.sync("INBOX")
    before = {m.subject: m for m in service.messages("INBOX")}
    # Two moves done by the server (the undo stack holds both) ...
    await service.move("INBOX", [before["M0"].uid], "Projects")
    assert await service.delete("INBOX", [before["M1"].uid]) == "Trash"
    await service.sync("INBOX")  # the cache's high-water mark passes the expunges
    events = Recorder(service)
    service.start_watching()
    await events.wait(state_is("idling"))

    server.stop()  # ... then the server is out of reach, and both are undone, newest first
    await events.wait(state_is("offline"))
    m1, m0 = before["M1"], before["M0"]
    assert await service.undo_move("INBOX", [m1.uid], "Trash", [m1.message_id], [m1]) == 1
    assert await service.undo_move("INBOX", [m0.uid], "Projects", [m0.message_id], [m0]) == 1
    # What the user sees at once: both back in the list, the way back pending.
    assert sorted(m.subject for m in service.messages("INBOX")) == ["M0", "M1", "M2"]
    assert service.pending_count() == 2

    server.start()
    service.reconnect_now()
    await events.wait(lambda e: isinstance(e, PendingChanged) and e.count == 0, 15)
    assert sorted(server_subjects(server, user, "INBOX")) == [
        "Subject: M0", "Subject: M1", "Subject: M2"
    ]  # fmt: skip
    assert server_subjects(server, user, "Projects") == []
    assert server_subjects(server, user, "Trash") == []
    # The cache ends as the server is: the rows shown back offline had the old UIDs.
    on_server = set(server_flags(server, user, "INBOX"))

    def cache_matches() -> bool:
        return {m.uid for m in service.messages("INBOX")} == on_server

    for _ in range(100):
        if cache_matches():
            break
        await asyncio.sleep(0.1)
    assert sorted(m.subject for m in service.messages("INBOX")) == ["M0", "M1", "M2"]
    assert cache_matches()
    service.stop_watching()
