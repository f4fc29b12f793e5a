"""Undo is a stack across folders, and each undo says exactly what it did.

Flags on the demo maildir (the file names on disk are the truth); moves across folders on
the real Dovecot (what the server holds afterwards)."""

from __future__ import annotations

from pathlib import Path

from tests.support.accounts import server_subjects
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tui_mail.core.demo import demo_config, demo_root
from tui_mail.core.maildir.layout import split_name
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.folder_tree import FolderKey
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.screens.folder_picker import FolderPicker


def status_text(screen: MainScreen) -> str:
    return str(screen.status.query_one("#status-message").render())


def marked_text(screen: MainScreen) -> str:
    marked = screen.status.query("#status-marked")
    return str(marked.first().render()) if marked and marked.first().display else ""


def disk_letters(tmp_path: Path, message_id: str) -> str:
    """The maildir flag letters of the demo INBOX message with this Message-ID, on disk."""
    found = []
    for sub in ("cur", "new"):
        for path in (demo_root(tmp_path) / sub).iterdir():
            head = path.read_bytes().replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
            if f"\nmessage-id: {message_id.lower()}\n".encode() in b"\n" + head.lower() + b"\n":
                found.append(split_name(path.name)[1] if sub == "cur" else "")
    assert len(found) == 1, (message_id, found)
    return found[0]


async def test_undo_of_read_marks_says_and_does_exactly_what_happened(tmp_path: Path) -> None:
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        subject = {i: screen.messages.row_at(i).summary.message_id for i in range(12)}  # type: ignore[union-attr]
        assert "S" not in disk_letters(tmp_path, subject[6])
        assert "S" in disk_letters(tmp_path, subject[7])

        # Marked: 6 (unread) and 7 (read); the cursor then sits on 8 (unread), so s marks
        # both read, which changes only 6.
        screen.messages.move_to(6)
        await pilot.press("space", "space")
        await wait_for(pilot, lambda: marked_text(screen) == "2 marked")
        await pilot.press("s")
        await wait_for(pilot, lambda: status_text(screen) == "2 messages marked read. z undoes.")
        assert marked_text(screen) == "2 marked"  # still marked: another action may follow
        assert "S" in disk_letters(tmp_path, subject[6])
        await pilot.press("escape")  # marks cleared
        await wait_for(pilot, lambda: marked_text(screen) == "")

        # A read message marked unread: its undo marks it read again, and says so.
        screen.messages.move_to(10)
        await pilot.press("s")
        await wait_for(pilot, lambda: status_text(screen) == "1 message marked unread. z undoes.")
        assert "S" not in disk_letters(tmp_path, subject[10])

        await pilot.press("z")
        await wait_for(pilot, lambda: status_text(screen) == "Undone: 1 message marked read again.")
        assert "S" in disk_letters(tmp_path, subject[10])
        await pilot.press("z")  # the one before: only 6 goes back to unread, 7 stays read
        await wait_for(
            pilot, lambda: status_text(screen) == "Undone: 1 message marked unread again."
        )
        assert "S" not in disk_letters(tmp_path, subject[6])
        assert "S" in disk_letters(tmp_path, subject[7])
        await pilot.press("z")
        await wait_for(pilot, lambda: status_text(screen) == "Nothing to undo.")


async def test_undo_goes_back_at_least_twenty_actions(tmp_path: Path) -> None:
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        rows = [screen.messages.row_at(i) for i in range(25)]
        before = {r.summary.message_id: "F" in disk_letters(tmp_path, r.summary.message_id)
                  for r in rows if r is not None}  # fmt: skip
        assert len(before) == 25
        for index in range(25):
            screen.messages.move_to(index)
            await pilot.press("exclamation_mark")
        await settled(pilot, app)
        after = {s: "F" in disk_letters(tmp_path, s) for s in before}
        assert all(after[s] != before[s] for s in before)
        for _ in range(25):
            await pilot.press("z")
        await wait_for(pilot, lambda: status_text(screen).startswith("Undone:"))
        await settled(pilot, app)
        assert {s: "F" in disk_letters(tmp_path, s) for s in before} == before
        await pilot.press("z")
        await wait_for(pilot, lambda: status_text(screen) == "Nothing to undo.")


async def test_undo_across_folders_puts_everything_back_on_the_server(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"m{i}") for i in range(4)])
    dovecot.create_folder(mail_user, "Archive")
    dovecot.create_folder(mail_user, "Projects")
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        assert visible_rows(screen) == ["m3", "m2", "m1", "m0"]
        await pilot.press("a")  # m3 to Archive
        await settled(pilot, app)
        await pilot.press("space", "space")  # m2 and m1 marked ...
        await wait_for(pilot, lambda: marked_text(screen) == "2 marked")
        await pilot.press("a")  # ... and archived together
        await wait_for(
            pilot, lambda: status_text(screen) == "2 messages moved to Archive. z undoes."
        )
        await settled(pilot, app)
        assert marked_text(screen) == ""

        # In another folder, another action: m3 from Archive to Projects.
        screen.folder_tree.post_message(
            screen.folder_tree.FolderChosen(FolderKey("work", "Archive"))
        )
        await wait_for(pilot, lambda: sorted(visible_rows(screen)) == ["m1", "m2", "m3"])
        await settled(pilot, app)
        screen.messages.move_to(visible_rows(screen).index("m3"))
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, FolderPicker))
        await pilot.press(*"proj", "enter")
        await settled(pilot, app)
        screen.folder_tree.post_message(
            screen.folder_tree.FolderChosen(FolderKey("work", "Projects"))
        )
        await wait_for(pilot, lambda: visible_rows(screen) == ["m3"])
        await settled(pilot, app)

        await pilot.press("z")
        await wait_for(pilot, lambda: status_text(screen)
                       == "Undone: 1 message moved back to Archive from Projects.")  # fmt: skip
        await settled(pilot, app)
        assert server_subjects(dovecot, mail_user, "Projects") == []
        await pilot.press("z")
        await wait_for(pilot, lambda: status_text(screen)
                       == "Undone: 2 messages moved back to INBOX from Archive.")  # fmt: skip
        await settled(pilot, app)
        await pilot.press("z")
        await wait_for(pilot, lambda: status_text(screen)
                       == "Undone: 1 message moved back to INBOX from Archive.")  # fmt: skip
        await settled(pilot, app)

    assert sorted(server_subjects(dovecot, mail_user, "INBOX")) == [
        "Subject: m0", "Subject: m1", "Subject: m2", "Subject: m3"
    ]  # fmt: skip
    assert server_subjects(dovecot, mail_user, "Archive") == []
    assert server_subjects(dovecot, mail_user, "Projects") == []
