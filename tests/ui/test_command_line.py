"""The `:` line against the real Dovecot: what a command does is what the server holds
afterwards; Tab, history (across runs) and [bind] keys as the user would type them."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.support.accounts import server_flags, server_subjects
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, main_screen, settled, visible_rows, wait_for
from tui_mail.core.demo import demo_config
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.command_line import CommandBar
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.screens.compose import ComposeScreen


def on_server(server: DovecotServer, user: MailUser, folder: str) -> list[str]:
    return [s.removeprefix("Subject: ") for s in server_subjects(server, user, folder)]


def status_text(screen: MainScreen) -> str:
    return str(screen.status.query_one("#status-message").render())


def line(screen: MainScreen) -> str:
    return screen.query_one(CommandBar).input.value


def hints(screen: MainScreen) -> str:
    return str(screen.query_one("#command-hints").render())


async def test_commands_act_on_the_server_with_completion(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"m{i}") for i in range(4)])
    for folder in ("Archive", "Junk", "Lists/python-dev", "Lists/rust"):
        dovecot.create_folder(mail_user, folder)
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        assert visible_rows(screen) == ["m3", "m2", "m1", "m0"]

        # `:mv J<Tab>` -> Junk, Enter moves m3 there.
        await pilot.press("colon", *"mv J", "tab")
        assert line(screen) == "mv Junk "
        await pilot.press("enter")
        await wait_for(pilot, lambda: status_text(screen) == "1 message moved to Junk. z undoes.")
        await settled(pilot, app)
        assert on_server(dovecot, mail_user, "Junk") == ["m3"]
        assert screen.messages.has_focus  # back in the list

        # Tab on several: the common part, then the candidates listed and cycled.
        await pilot.press("colon", *"move Li", "tab")
        assert line(screen) == "move Lists/"
        assert "Lists/python-dev" in hints(screen) and "Lists/rust" in hints(screen)
        await pilot.press("tab")
        assert line(screen) == "move Lists/python-dev "
        await pilot.press("tab")
        assert line(screen) == "move Lists/rust "
        await pilot.press("enter")
        await settled(pilot, app)
        assert on_server(dovecot, mail_user, "Lists/rust") == ["m2"]

        # A key's command by its id, and one only the line has.
        await pilot.press("colon", *"flag", "enter")
        await settled(pilot, app)
        flags = server_flags(dovecot, mail_user, "INBOX")
        assert [uid for uid, f in flags.items() if b"\\Flagged" in f] == [2]  # m1
        await pilot.press("colon", *"archive", "enter")
        await settled(pilot, app)
        assert on_server(dovecot, mail_user, "Archive") == ["m1"]

        # Mistakes are a sentence, and nothing happens.
        await pilot.press("colon", *"archve", "enter")
        await wait_for(pilot, lambda: "did you mean :archive" in status_text(screen))
        await pilot.press("colon", *"move Nowhere", "enter")
        await wait_for(pilot, lambda: "no folder named 'Nowhere'" in status_text(screen))
        assert on_server(dovecot, mail_user, "INBOX") == ["m0"]

        # `:cd` shows another folder; Escape closes the line without running it.
        await pilot.press("colon", *"cd arch", "tab", "enter")
        await wait_for(pilot, lambda: visible_rows(screen) == ["m1"])
        assert screen.current.folder == "Archive"
        await pilot.press("colon", *"delete", "escape")
        assert not screen.query_one(CommandBar).is_open
        await settled(pilot, app)
        assert on_server(dovecot, mail_user, "Archive") == ["m1"]


async def test_history_is_kept_between_runs_and_keys_run_bound_lines(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"m{i}") for i in range(3)])
    dovecot.create_folder(mail_user, "Archive/2026")
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("colon", *"unread", "enter")
        await pilot.press("colon", *"theme tui-mail-light", "enter")
        await wait_for(pilot, lambda: app.theme == "tui-mail-light")

    bind = {"F": ":move Archive/2026", "ctrl+g": ":cd ", "X": ":nonsense"}
    app = make_app(mail_user, bind=bind)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        assert "[bind] X: No command :nonsense" in status_text(screen)
        await pilot.press("colon", "up")
        assert line(screen) == "theme tui-mail-light"
        await pilot.press("up")
        assert line(screen) == "unread"
        await pilot.press("escape")
        await pilot.press("colon", *"u", "up")  # only lines starting with what is typed
        assert line(screen) == "unread"
        await pilot.press("escape")

        await pilot.press("F")  # a key bound to a whole line runs it
        await settled(pilot, app)
        assert on_server(dovecot, mail_user, "Archive/2026") == ["m2"]
        await pilot.press("ctrl+g")  # a line ending in a space waits for the rest
        assert screen.query_one(CommandBar).is_open and line(screen) == "cd "
        await pilot.press(*"Archive/2026", "enter")
        await wait_for(pilot, lambda: visible_rows(screen) == ["m2"])
        await pilot.press("vertical_line")  # | opens the line for :pipe
        assert line(screen) == "pipe "


async def test_compose_takes_its_fields_from_the_line(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [make_message(1, subject="hello")])
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        await pilot.press("colon", *"compose --to ada@example.org --subject 'Big news'", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
        compose = app.screen
        assert isinstance(compose, ComposeScreen)
        assert compose.query_one("#to", Input).value == "ada@example.org"
        assert compose.query_one("#subject", Input).value == "Big news"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("colon", *"compose --frm x", "enter")
        await wait_for(pilot, lambda: ":compose does not take '--frm x'" in status_text(screen))


async def test_sort_and_limit_from_the_line_keep_each_other(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    people = ["Carol <c@x.org>", "alice <a@x.org>", "Bob <b@x.org>", "Ann <ann@x.org>"]
    dovecot.deliver(mail_user, [
        make_message(i, subject=f"{'budget' if i != 2 else 'lunch'} {i}", from_=person,
                     references="", in_reply_to="", date=f"0{i + 1} Jan 2024 10:00:00 +0000")
        for i, person in enumerate(people)
    ])  # fmt: skip
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        assert visible_rows(screen) == ["budget 3", "lunch 2", "budget 1", "budget 0"]
        await pilot.press("l")  # the line opens with "limit " for the query
        assert line(screen) == "limit "
        await pilot.press(*"subject:budget", "enter")
        await wait_for(pilot, lambda: visible_rows(screen) == ["budget 3", "budget 1", "budget 0"])
        await pilot.press("colon", *"sort fr", "tab", "enter")  # by sender, still limited
        await wait_for(pilot, lambda: visible_rows(screen) == ["budget 1", "budget 3", "budget 0"])
        assert screen.status.limit_text.startswith("limited: subject:budget")
        await pilot.press("l")  # the limit on show, to edit
        assert line(screen) == "limit subject:budget"
        await pilot.press("escape", "colon", *"limit", "enter")  # :limit alone: all again
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 4)
        assert visible_rows(screen) == ["budget 1", "budget 3", "lunch 2", "budget 0"]
        await pilot.press("colon", *"sort colour", "enter")
        await wait_for(pilot, lambda: "Unknown sort key 'colour'" in status_text(screen))


async def test_every_command_can_run_and_no_key_runs_itself(tmp_path: Path) -> None:
    """A key whose action is `command('ID')` needs a handler for ID (else the command would
    run the key again, forever); every command in the table has a handler or a key."""
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        runner = main_screen(app).commands
        keyed = {i for i, (_w, action) in runner.bindings.items() if "command(" in action}
        assert keyed and keyed <= set(runner.handlers)
        unrunnable = [
            spec.id
            for spec in runner.commands.specs()
            if spec.id not in runner.handlers and spec.id not in runner.bindings
        ]
        assert unrunnable == []
