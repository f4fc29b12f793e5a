"""The Maildir backend on temporary directories, through the AccountService the UI uses."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.support.dovecot import make_message
from tui_mail.config import AccountConfig
from tui_mail.core.account.service import AccountService
from tui_mail.core.errors import UsageError
from tui_mail.core.maildir.backend import MaildirBackend
from tui_mail.core.models import Flag, FolderRole
from tui_mail.core.query import Header, Query

MakeService = Callable[..., AccountService]


def put(folder: Path, name: str, message: bytes, subdir: str = "cur") -> Path:
    """Drop a file into a maildir folder the way a delivery agent does (tmp/, then rename)."""
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    temporary = folder / "tmp" / name
    temporary.write_bytes(message)
    target = folder / subdir / name
    os.rename(temporary, target)
    return target


def files(folder: Path) -> list[str]:
    return sorted(p.name for sub in ("cur", "new") for p in (folder / sub).iterdir())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    maildir = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    return maildir


@pytest.fixture
async def make_service(tmp_path: Path) -> AsyncIterator[MakeService]:
    made: list[AccountService] = []

    def make(root: Path, data: str = "data") -> AccountService:
        account = AccountConfig(name="local", email="me@example.org", type="maildir", path=root)
        data_dir = tmp_path / data
        service = AccountService(
            account, data_dir, backend_factory=lambda a, _s: MaildirBackend(a, data_dir=data_dir)
        )
        made.append(service)
        return service

    yield make
    for service in made:
        await service.close()


async def test_sync_reads_summaries_and_flags_from_file_names(
    root: Path, make_service: MakeService
) -> None:
    put(root, "1700000001.M1P1.host:2,S", make_message(1, subject="Read one"))
    put(root, "1700000002.M2P1.host:2,FR", make_message(2, subject="Grüße", from_="Jörg <j@x.de>"))
    put(root, "1700000003.M3P1.host", make_message(3, subject="Brand new"), subdir="new")
    service = make_service(root)

    result = await service.sync("INBOX")

    assert (result.method, result.new, result.total, result.unseen) == ("full", 3, 3, 2)
    by_subject = {m.subject: m for m in service.messages("INBOX")}
    assert set(by_subject) == {"Read one", "Grüße", "Brand new"}
    assert by_subject["Read one"].seen and not by_subject["Read one"].flagged
    assert by_subject["Grüße"].flagged and by_subject["Grüße"].answered
    assert not by_subject["Grüße"].seen and by_subject["Grüße"].from_name == "Jörg"
    assert not by_subject["Brand new"].seen
    # UIDs follow delivery order, like a server's.
    assert sorted(by_subject, key=lambda s: by_subject[s].uid) == ["Read one", "Grüße", "Brand new"]


async def test_later_syncs_read_only_new_files_and_follow_renames_and_deletions(
    root: Path, make_service: MakeService
) -> None:
    first = put(root, "1700000001.M1P1.host:2,", make_message(1, subject="One"))
    second = put(root, "1700000002.M2P1.host:2,", make_message(2, subject="Two"))
    service = make_service(root)
    await service.sync("INBOX")
    # Rewrite a known file behind our back: a sync that re-read known files would notice.
    first.write_bytes(make_message(1, subject="CHANGED CONTENT"))

    assert (await service.sync("INBOX")).method == "unchanged"

    put(root, "1700000003.M3P1.host", make_message(3, subject="Three"), subdir="new")
    os.rename(second, root / "cur" / "1700000002.M2P1.host:2,FS")  # another client flags it
    result = await service.sync("INBOX")
    assert (result.method, result.new, result.flags_changed) == ("diff", 1, 1)
    assert len(result.new_uids) == 1
    subjects = {m.subject: m for m in service.messages("INBOX")}
    assert set(subjects) == {"One", "Two", "Three"}  # "One" was not read again
    assert subjects["Two"].flagged and subjects["Two"].seen

    first.unlink()
    result = await service.sync("INBOX")
    assert (result.vanished, result.total) == (1, 2)


async def test_uids_survive_a_restart_and_a_lost_index_resets_the_cache(
    root: Path, make_service: MakeService, tmp_path: Path
) -> None:
    for i in range(3):
        put(root, f"17000000{i:02d}.M{i}P1.host:2,S", make_message(i, subject=f"m{i}"))
    service = make_service(root)
    await service.sync("INBOX")
    before = {m.subject: m.uid for m in service.messages("INBOX")}
    await service.close()

    again = make_service(root)
    assert (await again.sync("INBOX")).method == "unchanged"
    assert {m.subject: m.uid for m in again.messages("INBOX")} == before
    await again.close()

    for index_file in (tmp_path / "data" / "local").iterdir():
        index_file.unlink()
    rebuilt = make_service(root)
    result = await rebuilt.sync("INBOX")
    assert result.cache_reset and result.total == 3


async def test_flags_move_delete_and_append_change_the_files(
    root: Path, make_service: MakeService
) -> None:
    put(root, "1700000001.M1P1.host", make_message(1, subject="Unread"), subdir="new")
    put(root, "1700000002.M2P1.host:2,S", make_message(2, subject="Old"))
    trash = root / ".Trash"
    put(trash, "1600000000.M9P1.host:2,S", make_message(9, subject="Rubbish"))
    for sub in ("cur", "new", "tmp"):
        (root / ".Archive" / sub).mkdir(parents=True)
    service = make_service(root)
    await service.sync("INBOX")
    uid = {m.subject: m.uid for m in service.messages("INBOX")}

    await service.set_flag("INBOX", [uid["Unread"]], Flag.SEEN, on=True)
    await service.set_flag("INBOX", [uid["Unread"]], Flag.FLAGGED, on=True)
    await service.set_flag("INBOX", [uid["Unread"]], Flag.FORWARDED, on=True)
    assert files(root) == ["1700000001.M1P1.host:2,FPS", "1700000002.M2P1.host:2,S"]
    assert (await service.sync("INBOX")).method == "unchanged"  # our own change: no news

    assert await service.delete("INBOX", [uid["Old"]]) == "Trash"
    assert files(trash) == ["1600000000.M9P1.host:2,S", "1700000002.M2P1.host:2,S"]
    await service.archive("INBOX", [uid["Unread"]])
    assert files(root / ".Archive") == ["1700000001.M1P1.host:2,FPS"]
    assert files(root) == []

    await service.sync("Trash")
    in_trash = {m.subject: m.uid for m in service.messages("Trash")}
    assert await service.delete("Trash", [in_trash["Rubbish"]]) is None  # gone for good
    assert files(trash) == ["1700000002.M2P1.host:2,S"]

    new_uid = await service.append("INBOX", make_message(5, subject="Appended"), (Flag.SEEN,))
    await service.sync("INBOX")
    appended = service.summary("INBOX", new_uid or 0)
    assert appended is not None and appended.subject == "Appended" and appended.seen
    assert await service.fetch_raw("INBOX", new_uid or 0) == make_message(5, subject="Appended")


async def test_reading_a_message_renamed_by_another_client_still_works(
    root: Path, make_service: MakeService
) -> None:
    put(root, "1700000001.M1P1.host", make_message(1, body="Body text."), subdir="new")
    service = make_service(root)
    await service.sync("INBOX")
    (uid,) = [m.uid for m in service.messages("INBOX")]
    os.rename(root / "new" / "1700000001.M1P1.host", root / "cur" / "1700000001.M1P1.host:2,S")

    assert b"Body text." in await service.fetch_raw("INBOX", uid, mark_seen=True)
    assert files(root) == ["1700000001.M1P1.host:2,S"]


async def test_bodies_are_read_from_the_files_and_never_copied_into_the_cache(
    root: Path, make_service: MakeService
) -> None:
    path = put(root, "1700000001.M1P1.host:2,S", make_message(1, body="First version."))
    service = make_service(root)
    await service.sync("INBOX")
    (uid,) = [m.uid for m in service.messages("INBOX")]
    assert b"First version." in await service.fetch_raw("INBOX", uid)
    assert service.store.body(service.store.folder_id("INBOX"), uid) is None
    path.write_bytes(make_message(1, body="Rewritten by another tool."))
    assert b"Rewritten by another tool." in await service.fetch_raw("INBOX", uid)


async def test_search_evaluates_the_query_language_locally(
    root: Path, make_service: MakeService
) -> None:
    put(root, "1700000001.M1P1.host:2,S", make_message(
        1, subject="Invoice März", from_="Zoë <zoe@example.org>", body="Total: 42 €",
        date="Mon, 02 Mar 2026 10:00:00 +0000"))  # fmt: skip
    put(root, "1700000002.M2P1.host:2,F", make_message(
        2, subject="Lunch", from_="Bob <bob@example.org>", body="Ramen at noon?",
        date="Fri, 20 Mar 2026 10:00:00 +0000"))  # fmt: skip
    service = make_service(root)
    await service.sync("INBOX")

    async def subjects(query: str) -> list[str]:
        return sorted(m.subject for m in await service.search("INBOX", query))

    assert await subjects("from:zoë") == ["Invoice März"]
    assert await subjects("subject:märz") == ["Invoice März"]
    assert await subjects("body:ramen") == ["Lunch"]
    assert await subjects("42 €") == ["Invoice März"]
    assert await subjects("is:flagged") == ["Lunch"]
    assert await subjects("is:unread") == ["Lunch"]
    assert await subjects("since:2026-03-10") == ["Lunch"]
    assert await subjects("before:2026-03-10 is:read") == ["Invoice März"]
    assert await subjects('"at noon" from:bob') == ["Lunch"]
    assert await subjects("nothing-matches-this") == []


async def test_maildir_plus_plus_folders_with_roles_counts_and_changes(
    root: Path, make_service: MakeService
) -> None:
    put(root / ".Sent", "1.M1P1.h:2,S", make_message(1))
    put(root / ".Entw&APw-rfe", "2.M2P1.h:2,", make_message(2))  # Dovecot's "Entwürfe"
    put(root / ".Lists.python", "3.M3P1.h", make_message(3), subdir="new")
    service = make_service(root)

    folders = {f.name: f for f in await service.refresh_folders()}
    assert set(folders) == {"INBOX", "Sent", "Entwürfe", "Lists", "Lists/python"}
    assert folders["INBOX"].role is FolderRole.INBOX and folders["Sent"].role is FolderRole.SENT
    assert (folders["Lists/python"].total, folders["Lists/python"].unseen) == (1, 1)
    assert not folders["Lists"].selectable and folders["Lists/python"].delimiter == "/"

    await service.create_folder("Lists/rust")
    assert (root / ".Lists.rust" / "cur").is_dir()
    await service.create_folder("Über")
    assert (root / ".&ANw-ber" / "cur").is_dir()
    await service.rename_folder("Lists", "Mailing")
    assert {p.name for p in root.iterdir() if p.name.startswith(".M")} == {
        ".Mailing.python", ".Mailing.rust"}  # fmt: skip
    await service.sync("Mailing/python")
    assert len(service.messages("Mailing/python")) == 1
    await service.delete_folder("Mailing/rust")
    assert not (root / ".Mailing.rust").exists()
    with pytest.raises(UsageError, match="cannot be a folder name"):
        await service.create_folder("../outside")
    with pytest.raises(UsageError, match="INBOX cannot be deleted"):
        await service.delete_folder("INBOX")


async def test_nested_layout_with_an_inbox_directory(
    tmp_path: Path, make_service: MakeService
) -> None:
    root = tmp_path / "mbsync"
    put(root / "Inbox", "1.M1P1.h:2,S", make_message(1, subject="In the inbox"))
    put(root / "Archive" / "2025", "2.M2P1.h:2,S", make_message(2, subject="Old"))
    put(root / "[Gmail]" / "Sent Mail", "3.M3P1.h:2,S", make_message(3))
    service = make_service(root)

    folders = {f.name: f for f in await service.refresh_folders()}
    assert set(folders) == {"INBOX", "Archive", "Archive/2025", "[Gmail]", "[Gmail]/Sent Mail"}
    assert folders["[Gmail]/Sent Mail"].role is FolderRole.SENT
    assert not folders["Archive"].selectable
    await service.sync("INBOX")
    assert [m.subject for m in service.messages("INBOX")] == ["In the inbox"]

    await service.sync("Archive/2025")
    (uid,) = [m.uid for m in service.messages("Archive/2025")]
    await service.create_folder("Archive/2026")
    await service.move("Archive/2025", [uid], "Archive/2026")
    assert files(root / "Archive" / "2026") == ["2.M2P1.h:2,S"]


async def test_a_missing_maildir_is_a_clear_error(
    tmp_path: Path, make_service: MakeService
) -> None:
    service = make_service(tmp_path / "nowhere")
    with pytest.raises(Exception, match="does not exist") as raised:
        await service.sync("INBOX")
    assert raised.value.__class__.__name__ == "ConnectionFailed"


def test_header_search_finds_a_message_by_message_id(root: Path, tmp_path: Path) -> None:
    put(root, "1.M1P1.h:2,S", make_message(1, subject="Wanted"))
    put(root, "2.M2P1.h:2,S", make_message(2, subject="Other"))
    account = AccountConfig(name="local", email="me@example.org", type="maildir", path=root)
    backend = MaildirBackend(account, data_dir=tmp_path / "data")
    backend.connect()
    try:
        wanted_id = make_message(1).split(b"Message-ID: ", 1)[1].split(b"\n", 1)[0].decode()
        found = backend.search("INBOX", Query.of(Header("Message-ID", wanted_id)))
        assert len(found) == 1
        assert b"Subject: Wanted" in (backend.fetch_raw("INBOX", found[0]) or b"")
    finally:
        backend.close()
