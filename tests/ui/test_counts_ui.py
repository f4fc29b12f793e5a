"""The folder tree's counts against the server's: after every action, every folder the
action touched shows what `STATUS (MESSAGES UNSEEN)` from another connection says."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
from textual.pilot import Pilot
from textual.widgets.tree import TreeNode

from tests.integration.test_idle import append_from_other_client
from tests.support.accounts import imap_account, other_client
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.smtp import SmtpServer
from tests.ui.conftest import AppFactory, settled, wait_for
from tui_mail.config import AccountConfig, AppConfig
from tui_mail.core.account.service import AccountService
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.folder_tree import UNIFIED, FolderKey, FolderTree
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.screens.compose import ComposeScreen
from tui_mail.ui.screens.folder_picker import FolderPicker

FOLDERS = ("INBOX", "Archive", "Trash", "Junk", "Sent", "Drafts")


def _nodes(node: TreeNode[Any]) -> Iterator[TreeNode[Any]]:
    yield node
    for child in node.children:
        yield from _nodes(child)


def tree_unread(screen: MainScreen, key: FolderKey) -> int | None:
    """The unread count the folder tree shows for `key` (0 when it shows none)."""
    for node in _nodes(screen.folder_tree.root):
        if node.data == key:
            match = re.search(r"\((\d+)\)$", str(node.label))
            return int(match.group(1)) if match else 0
    return None


def shown_counts(
    app: MailApp, account: str, folders: tuple[str, ...]
) -> dict[str, tuple[Any, Any]]:
    """(total, unread) per folder as the app shows them: unread from the tree's labels,
    total from the cached folder list (what `tui-mail folders --cached` prints)."""
    screen = app.screen
    assert isinstance(screen, MainScreen)
    totals = {f.name: f.total for f in app.services[account].cached_folders()}
    return {f: (totals.get(f), tree_unread(screen, FolderKey(account, f))) for f in folders}


def server_counts(client: Any, folders: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
    counts = {}
    for folder in folders:
        status = client.folder_status(folder, [b"MESSAGES", b"UNSEEN"])
        counts[folder] = (status[b"MESSAGES"], status[b"UNSEEN"])
    return counts


async def counts_agree(
    pilot: Pilot[Any], app: MailApp, client: Any, what: str, folders: tuple[str, ...] = FOLDERS
) -> dict[str, tuple[Any, Any]]:
    """Wait (briefly: no ctrl+r, no sync asked for) until the screen's counts are the
    server's; fail saying which differ after `what`."""
    await settled(pilot, app)
    deadline = time.monotonic() + 3
    while True:
        server = server_counts(client, folders)
        shown = shown_counts(app, "work", folders)
        if shown == server:
            return server
        if time.monotonic() > deadline:
            raise AssertionError(f"after {what}: shown {shown} != server STATUS {server}")
        await pilot.pause(0.05)


async def test_counts_follow_every_action_without_a_refresh(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(
        mail_user,
        [make_message(i, subject=f"m{i}") for i in range(6)],
        flags=lambda i: "S" if i < 2 else "",  # m0, m1 read; m2..m5 unread
    )
    client = other_client(dovecot, mail_user)
    app = make_app(mail_user, names=("work",))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot, app)
            start = await counts_agree(pilot, app, client, "start-up")
            assert start["INBOX"] == (6, 4)

            await pilot.press("s")  # m5 read
            after = await counts_agree(pilot, app, client, "s (read)")
            assert after["INBOX"] == (6, 3)
            await pilot.press("s")  # and unread again
            await counts_agree(pilot, app, client, "s (unread)")
            await pilot.press("exclamation_mark")
            await counts_agree(pilot, app, client, "! (flag)")

            await pilot.press("d")  # m5 (unread) to Trash
            after = await counts_agree(pilot, app, client, "d (delete)")
            assert after["INBOX"] == (5, 3) and after["Trash"] == (1, 1)
            await pilot.press("a")  # m4 to Archive, a folder never opened
            after = await counts_agree(pilot, app, client, "a (archive)")
            assert after["Archive"] == (1, 1)
            await pilot.press("m")  # m3 to Junk through the picker
            await wait_for(pilot, lambda: isinstance(app.screen, FolderPicker))
            await pilot.press(*"junk", "enter")
            after = await counts_agree(pilot, app, client, "m (move)")
            assert after["Junk"] == (1, 1)

            await pilot.press("space", "space", "d")  # m2 and m1 together
            after = await counts_agree(pilot, app, client, "a bulk delete")
            assert after["Trash"] == (3, 2) and after["INBOX"] == (1, 0)
            await pilot.press("z")
            after = await counts_agree(pilot, app, client, "z (undo)")
            assert after["INBOX"] == (3, 1) and after["Trash"] == (1, 1)

            await pilot.press("G", "enter")  # read the oldest (m0, already read)
            await counts_agree(pilot, app, client, "reading a read message")
            await pilot.press("escape", "g", "enter")  # back to the list; an unread one
            after = await counts_agree(pilot, app, client, "reading an unread message")
            assert after["INBOX"] == (3, 0)

            append_from_other_client(dovecot, mail_user, "Fresh")
            await wait_for(pilot, lambda: app.services["work"].store.queue.count() == 0)
            await wait_for(pilot, lambda: shown_counts(app, "work", ("INBOX",))["INBOX"][0] == 4)
            await counts_agree(pilot, app, client, "new mail")
    finally:
        client.logout()


@pytest.fixture
def sending_app(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer,
    smtp_ca: tuple[trustme.CA, Path],
) -> MailApp:  # fmt: skip
    """One account ("work") that sends through the suite's aiosmtpd."""
    cas = tmp_path / "cas.pem"
    cas.write_bytes(dovecot.ca_pem.read_bytes() + smtp_ca[1].read_bytes())
    secret = tmp_path / "secret"
    secret.write_text(mail_user.password + "\n")
    account = dataclasses.replace(
        imap_account(dovecot, mail_user, name="work"), ca_file=cas, smtp=smtp.server_config(),
        display_name="Tëst Üser", password_command=f"cat {secret}",
    )  # fmt: skip
    config = AppConfig(path=tmp_path / "config" / "config.toml", accounts=(account,))

    def service(acc: AccountConfig, data: Path) -> AccountService:
        return AccountService(acc, data, secret=lambda: mail_user.password)

    return MailApp(config, data_dir=tmp_path / "data", service_factory=service)


def row_texts(screen: MainScreen) -> list[str | None]:
    """Each row of the list as drawn (None for a row the list has but cannot draw)."""
    source = screen.messages.source
    rows = [source.row(i) for i in range(len(source))]
    return [None if r is None else screen.messages._row_text(r, 120).plain for r in rows]


async def test_sending_a_continued_draft_keeps_counts_lists_and_news_right(
    dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer, sending_app: MailApp
) -> None:
    app = sending_app
    dovecot.deliver(mail_user, [make_message(1, subject="in the inbox")])
    client = other_client(dovecot, mail_user)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            main = await settled(pilot, app)
            service = app.services["work"]
            announced: list[str] = []
            service.notifier.new_mail = lambda _f, messages: announced.extend(  # type: ignore[method-assign]
                m.subject for m in messages
            )
            await main.account_sync.sync("work", "Sent")  # Sent kept in the cache
            await pilot.press("c")
            await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
            await pilot.pause()
            app.screen.query_one("#to").focus()
            await pilot.press(*"Bob <bob@example.org>")
            app.screen.query_one("#subject").focus()
            await pilot.press(*"Half done", "ctrl+p")
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
            after = await counts_agree(pilot, app, client, "a draft saved")
            assert after["Drafts"] == (1, 0)

            main.post_message(FolderTree.FolderChosen(FolderKey("work", "Drafts")))
            await wait_for(pilot, lambda: len(main.messages.source) == 1)
            await settled(pilot, app)
            [draft_row] = row_texts(main)
            assert draft_row is not None and "To: Bob" in draft_row and "Tëst" not in draft_row
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
            await pilot.pause()
            app.screen.query_one("#body").focus()
            await pilot.press(*"Done.", "ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
            after = await counts_agree(pilot, app, client, "sending")
            assert after["Sent"] == (1, 0) and after["Drafts"] == (0, 0)
            # The sent draft's row is gone from the list, not left blank.
            await wait_for(pilot, lambda: row_texts(main) == [], 3)

            main.post_message(FolderTree.FolderChosen(FolderKey("work", "Sent")))
            await wait_for(pilot, lambda: len(main.messages.source) == 1)
            await settled(pilot, app)
            [sent_row] = row_texts(main)
            assert sent_row is not None and "To: Bob" in sent_row and "Tëst" not in sent_row
            assert "Half done" in sent_row
            assert "new mail" not in str(main.status.query_one("#status-message").render())
            assert announced == []
            assert len(smtp.messages) == 1
    finally:
        client.logout()


def arrive(server: DovecotServer, user: MailUser, subject: str) -> None:
    """New mail, newer than everything there (so it lands above in the list)."""
    client = other_client(server, user)
    try:
        when = format_datetime(datetime.now(UTC))
        client.append("INBOX", make_message(1, subject=subject, date=when))
    finally:
        client.logout()


async def test_new_mail_above_keeps_the_view_still_and_shows_at_the_top(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"m{i}") for i in range(80)])
    app = make_app(mail_user, names=("work",))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await wait_for(pilot, lambda: app.services["work"].connection_state == "idling")
        messages = screen.messages
        for _ in range(50):
            messages.action_cursor_down()
        for _ in range(10):  # the cursor mid-screen, not on the last line
            messages.action_cursor_up()
        await pilot.pause()
        assert messages.scroll_y > 0  # scrolled down, reading m39

        def view() -> tuple[Any, int, Any]:
            top = messages.row_at(int(messages.scroll_y))
            line = messages.cursor - int(messages.scroll_y)
            return messages.current, line, top.ref if top else None

        before = view()
        arrive(dovecot, mail_user, "Fresh one")
        arrive(dovecot, mail_user, "Fresh two")
        await wait_for(pilot, lambda: len(messages.source) == 82, 5)
        await pilot.pause()
        assert view() == before  # same message, same screen line, same first visible row

        await pilot.press("g")
        arrive(dovecot, mail_user, "Fresh three")
        await wait_for(pilot, lambda: len(messages.source) == 83, 5)
        await pilot.pause()
        assert messages.scroll_y == 0
        first = messages.row_at(0)
        assert first is not None and first.summary.subject == "Fresh three"


async def test_the_all_inboxes_count_follows_a_read_in_either_account(
    dovecot: DovecotServer, make_app: AppFactory
) -> None:
    work, home = dovecot.add_user(), dovecot.add_user()
    dovecot.deliver(work, [make_message(1, subject="work mail")])
    dovecot.deliver(home, [make_message(2, subject="home mail")])
    app = make_app(work, home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        unified = FolderKey("", UNIFIED)
        await wait_for(pilot, lambda: tree_unread(screen, unified) == 2)
        screen.post_message(FolderTree.FolderChosen(unified))
        await wait_for(pilot, lambda: len(screen.messages.source) == 2)
        await settled(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: tree_unread(screen, unified) == 1, 3)
