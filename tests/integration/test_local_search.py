"""The full-text index against the real server: what another client expunges, moves or
resets is gone from (or moved in) the local search after the next sync, and the CLI's
`search --local` answers with the server out of reach."""

from __future__ import annotations

import json
import time

from tests.integration.test_cli import Run, cli, config_text  # noqa: F401  (the fixture)
from tests.support.accounts import other_client
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.core.account.service import AccountService
from tui_mail.core.query import parse_query


def _settled(service: AccountService) -> None:
    """Until the index has taken in every change (so it, not the matcher, answers)."""
    deadline = time.monotonic() + 30
    while service.cache.indexing():
        assert time.monotonic() < deadline, "the index never caught up"
        time.sleep(0.02)


def _found(service: AccountService, text: str) -> list[tuple[str, str]]:
    _settled(service)
    hits = service.cache.find(parse_query(text))
    subjects = {}
    for folder in {hit[0] for hit in hits}:
        for summary in service.messages(folder):
            subjects[(folder, summary.uid)] = summary.subject
    return [(folder, subjects[(folder, uid)]) for folder, uid, _date in hits]


async def test_expunges_moves_and_resets_elsewhere_reach_the_local_search(
    dovecot: DovecotServer, mail_user: MailUser, service: AccountService
) -> None:
    dovecot.deliver(mail_user, [
        make_message(0, subject="Budget for Köln", from_="Jörg <j@example.de>"),
        make_message(1, subject="Lunch", body="Budget talk at noon"),
        make_message(2, subject="Budget draft"),
        make_message(3, subject="Holidays"),
    ])  # fmt: skip
    dovecot.deliver(mail_user, [make_message(9, subject="Old budget")], folder="Archive")
    await service.sync("INBOX")
    await service.sync("Archive")
    assert sorted(_found(service, "budg")) == [
        ("Archive", "Old budget"), ("INBOX", "Budget draft"), ("INBOX", "Budget for Köln"),
    ]  # fmt: skip
    uids = {m.subject: m.uid for m in service.messages("INBOX")}
    await service.fetch_raw("INBOX", uids["Lunch"])  # read: its body is cached and indexed
    assert ("INBOX", "Lunch") in _found(service, "budget")
    assert _found(service, "from:jörg köln") == [("INBOX", "Budget for Köln")]

    client = other_client(dovecot, mail_user)
    try:
        client.select_folder("INBOX")
        client.move([uids["Budget draft"]], "Archive")
        client.delete_messages([uids["Lunch"]])
        client.uid_expunge([uids["Lunch"]])
    finally:
        client.logout()
    await service.sync("INBOX")
    await service.sync("Archive")
    assert sorted(_found(service, "budget")) == [
        ("Archive", "Budget draft"), ("Archive", "Old budget"), ("INBOX", "Budget for Köln"),
    ]  # fmt: skip

    # The folder made anew (a new UIDVALIDITY, its UIDs from 1 again): its old hits go.
    client = other_client(dovecot, mail_user)
    try:
        client.delete_folder("Archive")
        client.create_folder("Archive")
    finally:
        client.logout()
    dovecot.deliver(mail_user, [make_message(20, subject="New budget")], folder="Archive")
    result = await service.sync("Archive")
    assert result.cache_reset
    assert sorted(_found(service, "budget")) == [
        ("Archive", "New budget"), ("INBOX", "Budget for Köln"),
    ]  # fmt: skip
    archive = service.store.folder_id("Archive")
    indexed = service.store._read.execute(
        "SELECT count(*) FROM search_docs WHERE folder_id = ?", (archive,)
    ).fetchone()
    assert indexed == (1,)


def test_cli_search_local_with_the_server_out_of_reach(
    cli: Run,  # noqa: F811  (test_cli's fixture)
    dovecot: DovecotServer,
    mail_user: MailUser,
) -> None:
    dovecot.deliver(mail_user, [
        make_message(0, subject="Trip plan", from_="Ann <ann@example.org>", body="Tickets!"),
        make_message(1, subject="Lunch", from_="Bob <bob@example.org>", body="Tickets too"),
    ])  # fmt: skip
    dovecot.deliver(mail_user, [make_message(2, subject="Trip photos")], folder="Archive")
    assert cli("sync", "--all").returncode == 0
    uids = {row["subject"]: row["uid"] for row in json.loads(cli("list", "--json").stdout)}
    assert cli("read", "--peek", str(uids["Lunch"])).returncode == 0  # its body is cached now
    offline = config_text(dovecot, mail_user, cli.secret_file, port=1)  # type: ignore[attr-defined]

    def search(*args: str) -> list[dict[str, object]]:
        result = cli("search", "--local", "--json", *args, config_override=offline)
        assert result.returncode == 0, result.stderr
        return list(json.loads(result.stdout))

    assert [h["subject"] for h in search("trip")] == ["Trip plan"]  # INBOX, as -f says
    everywhere = search("--all-folders", "trip")
    assert [(h["folder"], h["subject"]) for h in everywhere] == [
        ("Archive", "Trip photos"), ("INBOX", "Trip plan"),
    ]  # fmt: skip
    assert everywhere[1]["account"] == "work"
    assert everywhere[1]["from"] == "Ann"
    assert set(everywhere[1]) == {"account", "folder", "uid", "date", "from", "from_addr",
                                  "subject", "flags"}  # fmt: skip
    assert [h["subject"] for h in search("--all-accounts", "tickets")] == ["Lunch"]
    assert search("--all-accounts", "is:unread", "tickets")[0]["flags"] == []
    told = cli("search", "--local", "tickets", config_override=offline)
    assert "have no cached body" in told.stderr
    assert "Lunch" in told.stdout
    assert cli("search", "--cached", "--json", "trip", config_override=offline).returncode == 0
    bad = cli("search", "--all-folders", "trip", config_override=offline)
    assert bad.returncode == 2 and "--local" in bad.stderr
