"""The compose screen end to end: Pilot drives the real app, the suite's Dovecot holds the
folders, and an in-process aiosmtpd (STARTTLS, AUTH, trustme certificates) receives. Also
the Outbox, where a message that met a down server waits and goes out by itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import trustme
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, TextArea

from tests.support.accounts import imap_account, other_client, server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.smtp import SmtpServer
from tests.ui.conftest import settled, visible_rows, wait_for
from tui_mail.config import AccountConfig, AppConfig
from tui_mail.core.account.service import AccountService
from tui_mail.core.demo import demo_config
from tui_mail.core.sending.compose import Draft, FileAttachment, compose_new
from tui_mail.core.sending.outbox import Outbox
from tui_mail.ui.app import MailApp
from tui_mail.ui.draft_autosave import DraftAutosave, draft_from_json, draft_to_json
from tui_mail.ui.main.folder_tree import OUTBOX, FolderKey, FolderTree
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.screens.compose import ComposeScreen
from tui_mail.ui.screens.compose_dialogs import ConfirmDiscard, PreviewScreen
from tui_mail.ui.screens.external_editor import run_editor
from tui_mail.ui.screens.outbox import OutboxScreen
from tui_mail.ui.widgets.address_input import AddressSuggester, known_addresses

AppMaker = Callable[..., MailApp]


@pytest.fixture
def account(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer,
    smtp_ca: tuple[trustme.CA, Path],
) -> AccountConfig:  # fmt: skip
    cas = tmp_path / "cas.pem"
    cas.write_bytes(dovecot.ca_pem.read_bytes() + smtp_ca[1].read_bytes())
    secret = tmp_path / "secret"
    secret.write_text(mail_user.password + "\n")
    return dataclasses.replace(
        imap_account(dovecot, mail_user, name="work"), ca_file=cas, smtp=smtp.server_config(),
        display_name="Tëst Üser", password_command=f"cat {secret}",
    )  # fmt: skip


@pytest.fixture
def make_app(tmp_path: Path, mail_user: MailUser) -> AppMaker:
    def make(account: AccountConfig) -> MailApp:
        config = AppConfig(path=tmp_path / "config" / "config.toml", accounts=(account,))

        def service(acc: AccountConfig, data: Path) -> AccountService:
            return AccountService(acc, data, secret=lambda: mail_user.password)

        return MailApp(config, data_dir=tmp_path / "data", service_factory=service)

    return make


def compose_screen(app: MailApp) -> ComposeScreen:
    screen = app.screen
    assert isinstance(screen, ComposeScreen)
    return screen


async def open_compose(pilot: Pilot[Any], app: MailApp, key: str) -> ComposeScreen:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
    await pilot.pause()
    return compose_screen(app)


async def type_into(pilot: Pilot[Any], screen: ComposeScreen, field: str, text: str) -> None:
    screen.query_one(f"#{field}").focus()
    await pilot.press(*("enter" if char == "\n" else char for char in text))


def status_of(main: MainScreen) -> str:
    return str(main.status.query_one("#status-message").render())


def notice(screen: ComposeScreen) -> str:
    return str(screen.query_one("#compose-notice").render())


def parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data.replace(b"\r\n", b"\n"), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def folder_messages(server: DovecotServer, user: MailUser, folder: str) -> list[bytes]:
    client = other_client(server, user)
    try:
        client.select_folder(folder, readonly=True)
        fetched = client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])
        return [fetched[uid][b"BODY[]"] for uid in sorted(fetched)]
    finally:
        client.logout()


def body_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    text: str = part.get_content()
    return text


# -- sending ------------------------------------------------------------------------------


async def test_compose_send_delivers_exactly_that_message_and_files_a_seen_copy(
    dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer, account: AccountConfig,
    make_app: AppMaker, tmp_path: Path,
) -> None:  # fmt: skip
    attachment = tmp_path / "notes.txt"
    attachment.write_text("attached bytes\n")
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        await type_into(pilot, screen, "to", "ada@example.org")
        await type_into(pilot, screen, "subject", "Grüße from the TUI")
        await type_into(pilot, screen, "body", "Hello Ada,\nsee attached.\n")
        await pilot.press("ctrl+t")
        screen.query_one("#attach-path", Input).value = str(tmp_path) + "/no"  # → completes
        await pilot.pause(0.1)
        await pilot.press("right", "enter")
        assert "notes.txt" in str(screen.query_one("#attachments").render_line(0).text)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        status = status_of(main)
    assert status == "Sent to ada@example.org; filed in Sent."

    [received] = smtp.messages
    assert received.rcpt_tos == ["ada@example.org"]
    sent = parsed(received.data)
    assert sent["To"] == "ada@example.org"
    assert sent["Subject"] == "Grüße from the TUI"
    assert str(sent["From"]) == f"Tëst Üser <{account.email}>"
    assert body_text(sent).startswith("Hello Ada,\nsee attached.\n")
    [part] = list(sent.iter_attachments())
    assert part.get_filename() == "notes.txt"
    assert part.get_content() == "attached bytes\n"
    [filed] = folder_messages(dovecot, mail_user, "Sent")
    assert parsed(filed)["Message-ID"] == sent["Message-ID"]
    assert list(server_flags(dovecot, mail_user, "Sent").values()) == [{b"\\Seen"}]
    assert Outbox.for_account(tmp_path / "data", account).entries() == []


async def test_reply_is_prefilled_quoted_sent_and_marks_the_original_answered(
    dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer, account: AccountConfig,
    make_app: AppMaker,
) -> None:  # fmt: skip
    dovecot.deliver(mail_user, [make_message(
        1, subject="Plans for Q3", from_="Alice <alice@example.com>", to=account.email,
        message_id="<q3@example.com>", body="Shall we meet on Monday?\n",
    )])  # fmt: skip
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "r")
        assert screen.query_one("#to", Input).value == "Alice <alice@example.com>"
        assert screen.query_one("#subject", Input).value == "Re: Plans for Q3"
        body = screen.query_one("#body", TextArea)
        assert "> Shall we meet on Monday?" in body.text
        assert screen.focused is body
        await pilot.press(*"Monday works.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
    [received] = smtp.messages
    reply = parsed(received.data)
    assert reply["In-Reply-To"] == "<q3@example.com>"
    assert "> Shall we meet on Monday?\n\nMonday works." in body_text(reply)
    assert b"\\Answered" in server_flags(dovecot, mail_user, "INBOX")[1]


async def test_sending_without_a_subject_asks_first(
    mail_user: MailUser, smtp: SmtpServer, account: AccountConfig, make_app: AppMaker
) -> None:
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        await type_into(pilot, screen, "to", "ada@example.org")
        await type_into(pilot, screen, "body", "No subject here.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDiscard))
        assert "no subject" in str(app.screen.query_one("#discard-question").render())
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.focused is screen.query_one("#subject", Input)
        assert smtp.messages == []
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDiscard))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
    assert len(smtp.messages) == 1


async def test_a_refused_login_shows_the_error_and_keeps_everything(
    mail_user: MailUser, smtp: SmtpServer, account: AccountConfig, make_app: AppMaker,
    tmp_path: Path,
) -> None:  # fmt: skip
    smtp.users[mail_user.name] = "another password"
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        await type_into(pilot, screen, "to", "ada@example.org")
        await type_into(pilot, screen, "subject", "Refused")
        await type_into(pilot, screen, "body", "Keep me.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Not sent" in notice(screen))
        shown = notice(screen)
        assert app.screen is screen
        assert screen.query_one("#to", Input).value == "ada@example.org"
        assert screen.query_one("#body", TextArea).text.startswith("Keep me.")
        # A second try after the password is fixed sends one message, not two.
        smtp.users[mail_user.name] = mail_user.password
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
    assert "authentication" in shown.lower() or "password" in shown.lower()
    assert mail_user.password not in shown
    assert len(smtp.messages) == 1
    assert Outbox.for_account(tmp_path / "data", account).entries() == []


# -- postpone, cancel, autosave -----------------------------------------------------------


async def test_postpone_saves_to_drafts_and_e_there_continues_and_sends_it(
    dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer, account: AccountConfig,
    make_app: AppMaker,
) -> None:  # fmt: skip
    dovecot.deliver(mail_user, [make_message(1, subject="in the inbox")])
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        await pilot.press("e")  # not a draft: refused in words
        await pilot.pause()
        assert "open the Drafts folder" in status_of(main)
        screen = await open_compose(pilot, app, "c")
        await type_into(pilot, screen, "to", "bob@example.org")
        await type_into(pilot, screen, "subject", "Half done")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert "Saved to Drafts" in status_of(main)
        [draft] = folder_messages(dovecot, mail_user, "Drafts")
        assert parsed(draft)["Subject"] == "Half done"
        assert list(server_flags(dovecot, mail_user, "Drafts").values()) == [
            {b"\\Draft", b"\\Seen"}
        ]

        main.post_message(FolderTree.FolderChosen(FolderKey(account.name, "Drafts")))
        await wait_for(pilot, lambda: visible_rows(main) == ["Half done"])
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "e")
        assert screen.query_one("#to", Input).value == "bob@example.org"
        await type_into(pilot, screen, "body", "Now finished.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
    [received] = smtp.messages
    assert body_text(parsed(received.data)).startswith("Now finished.")
    assert folder_messages(dovecot, mail_user, "Drafts") == []


async def test_cancel_asks_before_losing_text_and_autosave_brings_it_back(
    mail_user: MailUser, smtp: SmtpServer, account: AccountConfig, make_app: AppMaker,
    tmp_path: Path,
) -> None:  # fmt: skip
    autosaves = DraftAutosave.directory_for(tmp_path / "data", account)
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        await pilot.press("escape")  # nothing written: closes at once
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        screen = await open_compose(pilot, app, "c")
        await type_into(pilot, screen, "to", "carol@example.org")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDiscard))
        await pilot.press("n")
        assert app.screen is screen
        await type_into(pilot, screen, "subject", "x")
    # Quitting with the message open saves it even between two autosave ticks.
    assert len(list(autosaves.glob("*.json"))) == 1
    # The app stopped with the message open: the next c brings it back.
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        assert screen.query_one("#to", Input).value == "carol@example.org"
        assert screen.query_one("#subject", Input).value == "x"
        assert "Reopened" in notice(screen)
        await pilot.press("escape")  # the only copy: asks even unchanged
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDiscard))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
    assert list(autosaves.glob("*.json")) == []
    assert smtp.messages == []


async def test_the_autosave_tick_writes_within_a_few_seconds(
    account: AccountConfig, make_app: AppMaker, tmp_path: Path, smtp: SmtpServer
) -> None:
    autosaves = DraftAutosave.directory_for(tmp_path / "data", account)
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        await type_into(pilot, screen, "subject", "typed")
        await wait_for(pilot, lambda: any(autosaves.glob("*.json")), timeout=10)
    [saved] = autosaves.glob("*.json")
    assert oct(saved.stat().st_mode & 0o777) == "0o600"


# -- preview, editor, completion, no transport -------------------------------------------


async def test_preview_attach_remove_and_a_bad_address_in_words(
    account: AccountConfig, make_app: AppMaker, smtp: SmtpServer, tmp_path: Path
) -> None:
    attachment = tmp_path / "gone.txt"
    attachment.write_text("x")
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        await type_into(pilot, screen, "to", "ada@example.org")
        await type_into(pilot, screen, "bcc", "hidden@example.org")
        await type_into(pilot, screen, "body", "Text.")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen))
        shown = str(app.screen.query_one("#preview-text").render())
        assert "To: ada@example.org" in shown
        assert "Bcc: hidden@example.org" in shown
        await pilot.press("escape")
        await pilot.press("ctrl+t")
        screen.query_one("#attach-path", Input).value = str(attachment)
        await pilot.press("enter")
        listing = screen.query_one("#attachments", OptionList)
        assert listing.option_count == 1
        listing.focus()
        await pilot.press("delete")
        assert listing.option_count == 0
        assert screen.draft.attachments == []
        await type_into(pilot, screen, "cc", "not an address")
        await type_into(pilot, screen, "subject", "Bad Cc")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Cc:" in notice(screen)
        assert app.screen is screen
    assert smtp.messages == []


def test_run_editor_returns_what_the_editor_wrote(tmp_path: Path) -> None:
    """App.suspend() cannot hand a headless (Pilot) terminal over, so the editor runner
    is tested on its own; the action's fallback message is tested below."""
    script = tmp_path / "editor.sh"
    seen = tmp_path / "seen"
    script.write_text(f'#!/bin/sh\ncat "$1" > {seen}\nprintf "Written in vi\\n" > "$1"\n')
    script.chmod(0o755)
    assert run_editor("old text", {"EDITOR": str(script)}) == "Written in vi\n"
    assert seen.read_text() == "old text"  # the editor got the body to edit
    assert run_editor("x", {"VISUAL": f"{script}", "EDITOR": "false"}) == "Written in vi\n"
    with pytest.raises(Exception, match="exited with status 1"):
        run_editor("kept", {"EDITOR": "false"})
    with pytest.raises(Exception, match="set VISUAL or EDITOR"):
        run_editor("kept", {"EDITOR": str(tmp_path / "no-such-editor")})


async def test_editor_key_under_pilot_says_it_cannot_run(
    account: AccountConfig, make_app: AppMaker, smtp: SmtpServer
) -> None:
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        await pilot.press("ctrl+o")
        assert "editor cannot run here" in notice(screen)


async def test_address_completion_from_the_cache(
    dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer, account: AccountConfig,
    make_app: AppMaker,
) -> None:  # fmt: skip
    dovecot.deliver(mail_user, [make_message(
        1, from_="Ada Lovelace <ada@example.org>", to=f"{account.email}, bob@example.org",
    )])  # fmt: skip
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        await wait_for(pilot, lambda: bool(screen.address_suggester.addresses))
        await type_into(pilot, screen, "to", "bob@example.org, Ad")
        await pilot.pause(0.1)
        await pilot.press("right")
        assert screen.query_one("#to", Input).value == (
            "bob@example.org, Ada Lovelace <ada@example.org>"
        )


async def test_tab_takes_the_suggestion_as_the_book_spells_it_then_moves_on(
    dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer, account: AccountConfig,
    make_app: AppMaker,
) -> None:  # fmt: skip
    dovecot.deliver(mail_user, [make_message(
        1, from_="Zoë Adams <zoe@example.org>", to=account.email,
    )])  # fmt: skip
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        await wait_for(pilot, lambda: bool(screen.address_suggester.addresses))
        to = screen.query_one("#to", Input)
        await type_into(pilot, screen, "to", "ada@example.org, ZOE")
        await wait_for(pilot, lambda: to._suggestion != "")
        await pilot.press("tab")
        assert to.value == "ada@example.org, zoe@example.org"
        assert app.focused is to  # another address may follow
        await pilot.press("tab")  # nothing left to take: on to Cc
        assert app.focused is screen.query_one("#cc", Input)


async def test_suggester_and_address_book_logic() -> None:
    rows = [
        ("Ada Lovelace", "ada@example.org", "Me <me@example.test>", ""),
        ("", "bob@example.org", "ada@example.org, Carol <carol@example.org>", ""),
    ]
    book = known_addresses(rows, {"me@example.test"})
    assert book == [
        "Ada Lovelace <ada@example.org>",
        "bob@example.org",
        "Carol <carol@example.org>",
    ]
    suggester = AddressSuggester(book)
    assert await suggester.get_suggestion("ada") == "Ada Lovelace <ada@example.org>"
    assert await suggester.get_suggestion("x, car") == "x, Carol <carol@example.org>"
    assert await suggester.get_suggestion("x, CAROL@") == "x, carol@example.org"
    assert await suggester.get_suggestion("x,bob") == "x,bob@example.org"
    assert await suggester.get_suggestion("Ada Lovelace <ada@example.org>, a") is None
    assert await suggester.get_suggestion("zed") is None


def test_autosave_round_trips_every_field(tmp_path: Path, account: AccountConfig) -> None:
    draft = compose_new(account, to="a@example.org", subject="Ünï", text="body")
    draft.attachments.append(FileAttachment("x.bin", "application/octet-stream", b"\x00\xff"))
    assert draft_from_json(draft_to_json(draft)) == draft
    assert isinstance(draft_from_json(draft_to_json(Draft(from_addr="a@b.c"))), Draft)


async def test_an_account_without_a_way_to_send_says_so(tmp_path: Path) -> None:
    demo = demo_config(tmp_path)
    cannot = dataclasses.replace(demo.accounts[0], local_only=False)  # no SMTP, no sendmail
    app = MailApp(dataclasses.replace(demo, accounts=(cannot,)), data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        assert "Account 'demo' cannot send mail" in notice(screen)
        assert "[accounts.smtp]" in notice(screen)
        await type_into(pilot, screen, "to", "ada@example.org")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert "cannot send mail" in notice(screen)


async def test_sending_in_the_demo_files_it_in_sent_and_says_nothing_left(
    tmp_path: Path,
) -> None:
    config = demo_config(tmp_path)
    app = MailApp(config, data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        await type_into(pilot, screen, "to", "ada@example.org")
        await type_into(pilot, screen, "subject", "Demo hello")
        await type_into(pilot, screen, "body", "Only a test.\n")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        status = status_of(main)
    assert status == (
        "Demo account: the message to ada@example.org was filed in Sent; nothing left the machine."
    )
    root = config.accounts[0].path
    assert root is not None
    [filed] = [p for p in (root / ".Sent").glob("*/*") if b"Demo hello" in p.read_bytes()]
    assert b"Only a test." in filed.read_bytes()
    assert "S" in filed.name.rpartition(":2,")[2]  # filed as seen, like any Sent copy
    assert Outbox.for_account(tmp_path, config.accounts[0]).entries() == []


# -- the outbox ----------------------------------------------------------------------------


def tree_labels(main: MainScreen) -> list[str]:
    tree = main.query_one(FolderTree)
    labels = []
    stack = list(tree.root.children)
    while stack:
        node = stack.pop(0)
        labels.append(str(node.label))
        stack[:0] = list(node.children)
    return labels


async def write_and_send(pilot: Pilot[Any], app: MailApp, subject: str) -> None:
    screen = await open_compose(pilot, app, "c")
    await type_into(pilot, screen, "to", "ada@example.org")
    await type_into(pilot, screen, "subject", subject)
    await pilot.press("ctrl+s")


async def test_a_message_that_met_a_down_server_waits_in_the_outbox_and_goes_when_asked(
    smtp: SmtpServer, account: AccountConfig, make_app: AppMaker
) -> None:
    smtp.stop()
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        await write_and_send(pilot, app, "Through the outbox")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert status_of(main).startswith("Not sent yet:")
        assert "waits in the Outbox and goes out by itself" in status_of(main)
        await wait_for(pilot, lambda: "Outbox (1)" in tree_labels(main))

        main.query_one(FolderTree).select_key(FolderKey("work", OUTBOX))
        main.query_one(FolderTree).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OutboxScreen))
        table = app.screen.query_one(DataTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[1:3] == ["ada@example.org", "Through the outbox"]
        assert row[3].startswith("server unreachable; tried 1x, next try in")

        smtp.start_again()
        await pilot.press("s")
        await wait_for(pilot, lambda: table.row_count == 0)
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Outbox (1)" not in tree_labels(main))
        assert "Outbox: Sent to ada@example.org; filed in Sent." in status_of(main)
    assert [m.rcpt_tos for m in smtp.messages] == [["ada@example.org"]]


async def test_the_outbox_sends_by_itself_once_the_retry_is_due(
    smtp: SmtpServer, account: AccountConfig, make_app: AppMaker, tmp_path: Path,
) -> None:  # fmt: skip
    smtp.stop()
    app = make_app(account)
    outbox = Outbox.for_account(tmp_path / "data", account)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        await write_and_send(pilot, app, "By itself")
        await wait_for(pilot, lambda: len(outbox.entries()) == 1)
        smtp.start_again()
        [entry] = outbox.entries()
        outbox.update(entry, last_attempt=entry.last_attempt - 31)  # as if 31 s went by
        main.outbox.check()  # what the 15 s timer does
        await wait_for(pilot, lambda: outbox.entries() == [])
        await wait_for(pilot, lambda: "Outbox: Sent to ada@example.org" in status_of(main))
    assert len(smtp.messages) == 1


async def test_the_outbox_goes_at_once_when_the_connection_comes_back(
    dovecot: DovecotServer, mail_user: MailUser, smtp: SmtpServer, account: AccountConfig,
    make_app: AppMaker, tmp_path: Path,
) -> None:  # fmt: skip
    smtp.stop()
    app = make_app(account)
    outbox = Outbox.for_account(tmp_path / "data", account)
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        await write_and_send(pilot, app, "After the reconnect")
        await wait_for(pilot, lambda: len(outbox.entries()) == 1)
        smtp.start_again()
        dovecot.kick(mail_user)  # the IDLE connection drops; the watcher gets back in
        await wait_for(pilot, lambda: outbox.entries() == [])  # long before its 30 s retry
        await wait_for(pilot, lambda: "Outbox: Sent to ada@example.org" in status_of(main))
    assert [parsed(m.data)["Subject"] for m in smtp.messages] == ["After the reconnect"]
