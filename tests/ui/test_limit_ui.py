"""Limit (`l`, `:limit`) and mark-all (`V`): the list narrowed from the cache, what the bar
says, bulk actions on every message shown (the real Dovecot holds the result), offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static

from tests.support.accounts import imap_account, server_flags, server_subjects
from tests.support.dovecot import DovecotFactory, DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tui_mail.core.account.message_index import ThreadedMessages
from tui_mail.core.account.service import AccountService
from tui_mail.core.demo import demo_config
from tui_mail.core.errors import UsageError
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.command_line import CommandBar
from tui_mail.ui.main.folder_tree import UNIFIED, FolderKey
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.screens.help import HelpScreen

MAIL = [
    ("Ann Lee <ann@example.org>", "Budget draft"),
    ("Bob Ray <bob@example.org>", "Lunch?"),
    ("Ann Lee <ann@example.org>", "Budget final"),
    ("Carol Day <carol@example.org>", "Budget questions"),
    ("Bob Ray <bob@example.org>", "Build broken"),
    ("Ann Lee <ann@example.org>", "Holiday photos"),
]


def fill(server: DovecotServer, user: MailUser) -> None:
    server.deliver(
        user, [make_message(i, from_=sender, subject=s) for i, (sender, s) in enumerate(MAIL)]
    )


def status_text(screen: MainScreen) -> str:
    return screen.status.message


def marked_text(screen: MainScreen) -> str:
    marked = screen.status.query_one("#status-marked")
    return str(marked.render()) if marked.display else ""


async def limit(pilot: Pilot[Any], screen: MainScreen, query: str) -> None:
    """Press l (the `:` line opens with "limit " and the limit on show), type, Enter."""
    await pilot.press("l")
    line = screen.query_one(CommandBar).input
    assert line.value.startswith("limit ")
    await pilot.press("ctrl+u", *f"limit {query}", "enter")  # replaces the limit on show
    await wait_for(pilot, lambda: not screen.query_one(CommandBar).is_open)


async def test_limit_mark_all_and_archive_then_escape_shows_the_folder(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    fill(dovecot, mail_user)
    app = make_app(mail_user)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled(pilot, app)
        assert len(visible_rows(screen)) == 6

        await limit(pilot, screen, "from:ann subject:budget")
        await wait_for(pilot, lambda: visible_rows(screen) == ["Budget final", "Budget draft"])
        await wait_for(pilot, lambda: "2/6" in screen.status.limit_text)
        assert screen.status.limit_text == "limited: from:ann subject:budg… 2/6"
        assert status_text(screen) == "Limited to from:ann subject:budget: 2 of 6. Esc clears."

        await pilot.press("V")  # every message of the limited view, not of the folder
        await wait_for(pilot, lambda: marked_text(screen) == "2 marked")
        await pilot.press("a")
        await wait_for(pilot, lambda: visible_rows(screen) == [])
        await settled(pilot, app)
        assert "2 messages moved to Archive" in status_text(screen)
        assert screen.status.limit_text == "limited: from:ann subject:budg… 0/4"  # it stays

        await pilot.press("escape")  # no marks left: the limit goes
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 4)
        assert screen.status.limit_text == ""
        assert visible_rows(screen) == [
            "Holiday photos", "Build broken", "Budget questions", "Lunch?",
        ]  # fmt: skip

    assert sorted(server_subjects(dovecot, mail_user, "Archive")) == [
        "Subject: Budget draft", "Subject: Budget final",
    ]  # fmt: skip
    assert len(server_subjects(dovecot, mail_user, "INBOX")) == 4


async def test_escape_unmarks_first_then_clears_and_new_mail_keeps_the_limit(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    fill(dovecot, mail_user)
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        screen.limit.apply(["from:bob"])  # what `:limit from:bob` calls
        await wait_for(pilot, lambda: visible_rows(screen) == ["Build broken", "Lunch?"])
        await wait_for(pilot, lambda: "2/6" in screen.status.limit_text)

        # New mail from Bob arrives and is synced: the limit is matched again, and holds.
        dovecot.deliver(mail_user, [make_message(9, from_="Bob Ray <bob@example.org>",
                                                 subject="Build fixed")])  # fmt: skip
        dovecot.deliver(mail_user, [make_message(10, subject="Not from Bob")])
        await pilot.press("ctrl+r")
        await wait_for(
            pilot, lambda: visible_rows(screen) == ["Build fixed", "Build broken", "Lunch?"]
        )
        await wait_for(pilot, lambda: "3/8" in screen.status.limit_text)

        await pilot.press("V")
        await wait_for(pilot, lambda: marked_text(screen) == "3 marked")
        await pilot.press("escape")  # first the marks ...
        await wait_for(pilot, lambda: marked_text(screen) == "")
        assert len(visible_rows(screen)) == 3
        await pilot.press("slash", "escape")  # closing the search line is all it does
        await pilot.pause()
        assert len(visible_rows(screen)) == 3 and "3/8" in screen.status.limit_text
        await pilot.press("escape")  # ... then the limit
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 8)

        # A query that cannot be read is said in words; the list stays as it is.
        with pytest.raises(UsageError, match="YYYY-MM-DD"):
            screen.limit.apply(["since:yesterday"])
        await limit(pilot, screen, "since:yesterday")
        await wait_for(pilot, lambda: "since: takes a date as YYYY-MM-DD" in status_text(screen))
        assert len(visible_rows(screen)) == 8 and screen.status.limit_text == ""
        await limit(pilot, screen, 'subject:"budget q"')
        await wait_for(pilot, lambda: visible_rows(screen) == ["Budget questions"])
        await limit(pilot, screen, "")  # an empty limit clears it
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 8)
        assert screen.status.limit_text == ""


async def test_limit_works_offline_from_the_cache_and_reads_cached_bodies(
    dovecot_factory: DovecotFactory, make_app: AppFactory, tmp_path: Path
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    server.deliver(user, [make_message(0, subject="Trip", body="Tickets are booked."),
                          make_message(1, subject="Tickets", body="Nothing here."),
                          make_message(2, subject="Other", body="The tickets came.")])  # fmt: skip
    data_dir = tmp_path / "data"
    # An earlier session synced the inbox and read "Other" (so its body is cached).
    earlier = AccountService(
        imap_account(server, user, name="work"), data_dir, secret=lambda: user.password
    )
    await earlier.refresh_folders()
    await earlier.sync("INBOX")
    uid = {m.subject: m.uid for m in earlier.messages("INBOX")}
    await earlier.fetch_raw("INBOX", uid["Other"])
    await earlier.close()

    server.stop()
    app = make_app(user, names=("work",), data_dir=data_dir, server=server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        assert screen.status.state("work") == "offline"
        # A plain word: every subject, and the text of the one body cached ("Trip"'s
        # body is not cached, so it is not found by its text).
        await limit(pilot, screen, "tickets")
        await wait_for(pilot, lambda: visible_rows(screen) == ["Other", "Tickets"])
        await limit(pilot, screen, "body:tickets")
        await wait_for(pilot, lambda: visible_rows(screen) == ["Other"])
        await pilot.press("escape")
        await wait_for(pilot, lambda: visible_rows(screen) == ["Other", "Tickets", "Trip"])


async def test_a_threaded_folder_is_limited_flat_and_help_says_what_needs_bodies(
    tmp_path: Path,
) -> None:
    app = MailApp(demo_config(tmp_path / "data"), data_dir=tmp_path / "data")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(screen.messages.source, ThreadedMessages))
        everything = len(visible_rows(screen))
        await limit(pilot, screen, "subject:build is:unread")
        await wait_for(pilot, lambda: f"/{everything}" in screen.status.limit_text)
        source = screen.messages.source
        rows = [source.row(i) for i in range(len(source))]
        assert rows and all(r and "Build" in r.summary.subject and not r.summary.seen
                            and r.guide == "" for r in rows)  # fmt: skip
        assert screen.status.limit_text.endswith(f" {len(rows)}/{everything}")

        await pilot.press("V")
        await wait_for(pilot, lambda: marked_text(screen) == f"{len(rows)} marked")
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: len(visible_rows(screen)) == everything)
        assert isinstance(screen.messages.source, ThreadedMessages)  # threads again
        assert marked_text(screen) == "" and screen.status.limit_text == ""

        await pilot.press("V")  # no limit: the whole folder
        await wait_for(pilot, lambda: marked_text(screen) == f"{everything} marked")

        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = " ".join(
            rendered.plain if isinstance(rendered := widget.render(), Text) else str(rendered)
            for widget in app.screen.query(Static)
        )
        assert "body: and plain words look into the text only of messages read before" in shown
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        keys = {row.action: row.keys for row in help_screen.rows}
        assert keys["Limit"] == "l" and keys["Mark all"] == "V"


async def test_the_unified_inbox_limited_and_marked_across_accounts(
    dovecot: DovecotServer, make_app: AppFactory
) -> None:
    work, home = dovecot.add_user(), dovecot.add_user()
    for user, day, subjects in (
        (work, 1, ("work budget", "work lunch")),
        (home, 2, ("home budget", "home garden")),
    ):
        dovecot.deliver(user, [
            make_message(i, subject=s, date=f"Mon, 0{day} Jan 2024 1{i}:00:00 +0000")
            for i, s in enumerate(subjects)
        ])  # fmt: skip
    app = make_app(work, home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        screen.folder_tree.post_message(screen.folder_tree.FolderChosen(FolderKey("", UNIFIED)))
        await settled(pilot, app)
        assert len(visible_rows(screen)) == 4
        await limit(pilot, screen, "subject:budget")
        await wait_for(pilot, lambda: visible_rows(screen) == ["home budget", "work budget"])
        await wait_for(pilot, lambda: screen.status.limit_text.endswith(" 2/4"))
        await pilot.press("V", "s")  # both marked read, one in each account
        await wait_for(pilot, lambda: "2 messages marked read" in status_text(screen))
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 4)
    for user in (work, home):
        flags = server_flags(dovecot, user, "INBOX")
        assert sorted(b"\\Seen" in f for f in flags.values()) == [False, True]


async def test_a_limit_finds_a_word_however_casefold_writes_it(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    """ß is ss to the search's matcher: the limit shows every spelling, not only the ASCII."""
    subjects = ["Grüße aus Köln", "GRÜSSE aus Bonn", "Straße gesperrt", "Lunch?"]
    dovecot.deliver(mail_user, [make_message(i, subject=s) for i, s in enumerate(subjects)])
    app = make_app(mail_user)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled(pilot, app)
        await limit(pilot, screen, "grüsse")
        await wait_for(pilot, lambda: "2/4" in screen.status.limit_text)
        assert visible_rows(screen) == ["GRÜSSE aus Bonn", "Grüße aus Köln"]
        await limit(pilot, screen, "subject:STRASSE")
        await wait_for(pilot, lambda: "1/4" in screen.status.limit_text)
        assert visible_rows(screen) == ["Straße gesperrt"]
