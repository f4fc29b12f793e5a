""":pipe and :save in the TUI (ui/main/export.py), against the suite's Dovecot: a real
`git format-patch` series delivered as mail, marked and piped into a real `git am`."""

from __future__ import annotations

import dataclasses
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.integration.test_cli_export import git, identify, server_copy
from tests.support.accounts import server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.processes import group_members
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tests.ui.test_reader_safety import corpus, open_subject, pick
from tui_mail.core.errors import UsageError
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.command_line import CommandBar
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.screens.path_prompt import PathPrompt
from tui_mail.ui.screens.pipe_output import PipeOutput


def status_text(screen: MainScreen) -> str:
    return str(screen.status.query_one("#status-message").render())


async def mark(pilot: Pilot[Any], screen: MainScreen, subjects: list[str]) -> None:
    """Mark these messages with the key a user presses (Space), in the order given."""
    screen.messages.focus()
    for subject in subjects:
        screen.messages.move_to(visible_rows(screen).index(subject))
        await pilot.press("space")
    await pilot.pause()


async def output_window(pilot: Pilot[Any], app: MailApp) -> PipeOutput:
    """The pipe's window, once the command has ended."""
    await wait_for(pilot, lambda: isinstance(app.screen, PipeOutput) and app.screen.finished)
    window = app.screen
    assert isinstance(window, PipeOutput)
    await pilot.pause()
    return window


def shown(window: PipeOutput, widget_id: str) -> str:
    return str(window.query_one(f"#{widget_id}", Static).render())


def patch_series(tmp_path: Path) -> tuple[Path, list[bytes], list[str]]:
    """A repository with three commits on a base, and the commits as `git send-email`
    would mail them (format-patch output without its mbox "From <sha>" line)."""
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    identify(origin)
    (origin / "notes.txt").write_text("base\n")
    git(origin, "add", "notes.txt")
    git(origin, "commit", "-q", "-m", "Base")
    subjects = ["Add one", "Add two", "Change notes"]
    for name, subject in zip(("one.txt", "two.txt", "notes.txt"), subjects, strict=True):
        (origin / name).write_text(f"{subject}\n")
        git(origin, "add", name)
        git(origin, "commit", "-q", "-m", subject)
    patches = git(origin, "format-patch", "-3", "-o", str(tmp_path / "patches")).split()
    return origin, [Path(p).read_bytes().split(b"\n", 1)[1] for p in patches], subjects


async def test_marked_patch_series_piped_into_git_am_makes_the_commits(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    origin, mails, subjects = patch_series(tmp_path)
    dovecot.deliver(mail_user, mails)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "reset", "-q", "--hard", "HEAD~3")
    identify(clone)
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        titles = [f"[PATCH {n}/3] {s}" for n, s in enumerate(subjects, 1)]
        # The list shows the newest first; marked out of order, the series still goes
        # oldest first, as it was written.
        await mark(pilot, screen, [titles[1], titles[2], titles[0]])
        assert str(screen.status.query_one("#status-marked", Static).render()) == "3 marked"
        screen.export.pipe(["git", "-C", str(clone), "am"])
        window = await output_window(pilot, app)
        assert window.what == "3 messages, as one mbox"
        output = shown(window, "pipe-output")
        assert [line for line in output.splitlines() if line.startswith("Applying")] == [
            f"Applying: {s}" for s in subjects
        ]
        assert window.status_text == "'git' exited with status 0."
        assert "'git' exited with status 0." in shown(window, "pipe-status")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
    log = git(clone, "log", "--format=%s", "--reverse").split("\n")
    assert log == ["Base", *subjects, ""]
    assert git(clone, "rev-parse", "HEAD^{tree}") == git(origin, "rev-parse", "HEAD^{tree}")
    # Applying a series is not reading it: the server still has the three unread.
    flags = server_flags(dovecot, mail_user, "INBOX")
    assert len(flags) == 3 and all(b"\\Seen" not in f for f in flags.values())


async def test_command_output_cannot_put_escapes_or_markup_on_screen(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [make_message(1, subject="Hostile output")])
    app = make_app(mail_user)
    script = (r"printf 'a\033]52;c;cm0gLXJmIH4=\007b\033[2J\033[31mred\033[0m "
              r"[bold]x[/bold] \233 31m c\r\n'; echo err >&2; exit 4")  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        # Through the `|` key, which opens the `:` line with "pipe " for the rest.
        await pilot.press("vertical_line")
        bar = screen.query_one(CommandBar)
        assert bar.is_open and bar.input.value == "pipe "
        bar.input.show(f'pipe sh -c "{script}"')
        await pilot.press("enter")
        window = await output_window(pilot, app)
        output = shown(window, "pipe-output")
        assert output.startswith("ab")
        assert "red [bold]x[/bold]" in output  # markup shows as typed, not as bold
        assert "err" in output  # stderr is shown too
        assert not any(c in output for c in "\x1b\x07\x9b\r")
        assert "52;" not in output and "2J" not in output
        assert window.status_text == "'sh' exited with status 4."
        assert window.query_one("#pipe-status").has_class("-failed")
        await pilot.press("q")
        await wait_for(pilot, lambda: app.screen is screen)


async def test_a_running_command_is_stopped_with_all_it_started(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [make_message(1, subject="Slow")])
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        screen.export.pipe(["sh", "-c", "echo started; sleep 300 & sleep 300"])
        await wait_for(pilot, lambda: isinstance(app.screen, PipeOutput))
        window = app.screen
        assert isinstance(window, PipeOutput)
        await wait_for(pilot, lambda: window.running is not None)
        assert window.running is not None
        group = window.running.process.pid
        await wait_for(pilot, lambda: len(group_members(group)) >= 2)  # sh and its sleeps
        assert "Running sh -c" in shown(window, "pipe-status")
        await pilot.press("escape")  # stops it; the window stays with what it printed
        window = await output_window(pilot, app)
        assert window.status_text.startswith("Stopped: 'sh' and what it started")
        assert shown(window, "pipe-output").startswith("started")
        deadline = time.monotonic() + 10
        while group_members(group):
            assert time.monotonic() < deadline, f"still running: {group_members(group)}"
            await pilot.pause(0.05)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)


async def test_terminal_mode_says_so_where_the_terminal_cannot_be_handed_over(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    """Under Pilot, App.suspend raises SuspendNotSupported (no real terminal): `-t` must
    say so and run nothing. The real hand-over is checked by hand in tmux (README)."""
    dovecot.deliver(mail_user, [make_message(1, subject="For less")])
    app = make_app(mail_user)
    marker = tmp_path / "ran"
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        screen.export.pipe(["-t", "touch", str(marker)])
        await wait_for(pilot, lambda: "cannot be handed over" in status_text(screen))
        assert "drop -t to see the output in a window" in status_text(screen)
        assert app.screen is screen
    assert not marker.exists()


async def test_bad_arguments_name_what_would_work(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [make_message(1, subject="Only one")])
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        with pytest.raises(UsageError, match=r"Pipe into which command\? Use pipe \[-m\]"):
            screen.export.pipe(["-m"])
        with pytest.raises(UsageError, match="No message is marked"):
            screen.export.pipe(["-m", "cat"])
        with pytest.raises(UsageError, match="Unknown option -x; use save"):
            screen.export.save(["-x", "a.eml"])
        with pytest.raises(UsageError, match="save takes one path"):
            screen.export.save(["a.eml", "b.eml"])
        assert app.screen is screen


async def test_save_writes_the_servers_bytes_privately_and_never_overwrites(
    dovecot: DovecotServer,
    mail_user: MailUser,
    make_app: AppFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "home"
    (home / "mail").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    dovecot.deliver(mail_user, [make_message(1, subject="Keep: a/b", body="From the body\n"),
                                make_message(2, subject="Other")])  # fmt: skip
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        uid = {s: i for i, s in zip((1, 2), ("Keep: a/b", "Other"), strict=True)}
        screen.messages.move_to(visible_rows(screen).index("Keep: a/b"))

        async def save(*args: str) -> str:
            screen.status.say("")
            screen.export.save(list(args))
            await wait_for(pilot, lambda: status_text(screen) != "")
            return status_text(screen)

        one = home / "mail" / "one.eml"
        assert await save("~/mail/one.eml") == f"Saved 1 message to {one}"
        assert one.read_bytes() == server_copy(dovecot, mail_user, uid["Keep: a/b"])
        assert stat.S_IMODE(one.stat().st_mode) == 0o600

        screen.messages.move_to(visible_rows(screen).index("Other"))
        said = await save("~/mail/one.eml")
        assert said == f"{one} exists already; not overwriting it (--force would)."
        assert one.read_bytes() == server_copy(dovecot, mail_user, uid["Keep: a/b"])
        assert await save("-f", str(one)) == f"Saved 1 message to {one}"
        assert one.read_bytes() == server_copy(dovecot, mail_user, uid["Other"])

        screen.messages.move_to(visible_rows(screen).index("Keep: a/b"))
        assert await save("~/mail") == f"Saved 1 message to {home / 'mail' / 'Keep_ a_b.eml'}"

        await mark(pilot, screen, ["Other", "Keep: a/b"])
        box = home / "mail" / "both.mbox"
        assert await save(str(box)) == f"Saved 2 messages as one mbox to {box}"
        data = box.read_bytes()
        assert data.count(b"\nFrom ") + data.startswith(b"From ") == 2
        assert b"\n>From the body" in data  # mboxrd: a body line is quoted
        assert data.index(b"Subject: Keep: a/b") < data.index(b"Subject: Other")  # oldest first
        assert stat.S_IMODE(box.stat().st_mode) == 0o600
    flags = server_flags(dovecot, mail_user, "INBOX")
    assert all(b"\\Seen" not in f for f in flags.values())


async def test_attachments_go_where_the_user_types_and_nothing_is_overwritten(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, corpus("rfc2231_traversal"))
    app = make_app(mail_user)
    downloads = tmp_path / "dl"
    app.config = dataclasses.replace(app.config, download_dir=downloads)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "taken.rc").write_text("mine\n")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await open_subject(pilot, screen, "report")

        async def save_first_as(typed: str) -> str:
            screen.status.say("")
            await pilot.press("S")
            await pick(pilot, app, 0)
            await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
            field = app.screen.query_one(Input)
            assert field.value == f"{downloads}/"
            field.value = typed
            await pilot.press("enter")
            await wait_for(pilot, lambda: status_text(screen) != "")
            return status_text(screen)

        said = await save_first_as(str(elsewhere / "taken.rc"))
        assert said.startswith(f"{elsewhere / 'taken.rc'} exists already; not overwriting")
        assert (elsewhere / "taken.rc").read_text() == "mine\n"
        assert await save_first_as(str(elsewhere / "new.rc")) == f"Saved {elsewhere / 'new.rc'}"
        assert (elsewhere / "new.rc").read_bytes() == b"echo pwned\n"
        assert stat.S_IMODE((elsewhere / "new.rc").stat().st_mode) == 0o600
        # A directory keeps the attachment's own (safe) name.
        assert await save_first_as(f"{elsewhere}/") == f"Saved {elsewhere / 'bashrc'}"

        # Tab completes a path in the prompt.
        await pilot.press("S")
        await pick(pilot, app, 0)
        await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
        app.screen.query_one(Input).value = f"{tmp_path}/elsew"
        await pilot.press("tab")
        assert app.screen.query_one(Input).value == f"{elsewhere}/"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)

        # :save -a: every attachment, into a directory, none over another.
        screen.export.save(["-a", str(elsewhere)])
        await wait_for(pilot, lambda: "Saved 4 to" in status_text(screen))
    names = sorted(p.name for p in elsewhere.iterdir())
    assert names == ["_CON.txt", "bashrc", "bashrc (1)", "evil", "evil.dll", "new.rc", "taken.rc"]


async def test_quitting_with_the_window_open_ends_the_command(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [make_message(1, subject="Left running")])
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        screen.export.pipe(["sh", "-c", "sleep 300 & sleep 300"])
        await wait_for(pilot, lambda: isinstance(app.screen, PipeOutput) and app.screen.running)
        assert isinstance(app.screen, PipeOutput) and app.screen.running is not None
        group = app.screen.running.process.pid
        await pilot.press("ctrl+c")  # tui-mail's quit key, everywhere
    deadline = time.monotonic() + 10
    while group_members(group):
        assert time.monotonic() < deadline, f"still running: {group_members(group)}"
        time.sleep(0.05)
