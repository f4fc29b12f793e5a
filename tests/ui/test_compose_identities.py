"""Identities and the address book in the compose screen: Pilot drives the real app, the
suite's Dovecot holds the folders and its aiosmtpd receives what is sent."""

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
from textual.widgets import Input, Select, TextArea

from tests.support.accounts import imap_account
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.smtp import SmtpServer
from tests.ui.conftest import settled, wait_for
from tui_mail.config import AccountConfig, AppConfig, IdentityConfig
from tui_mail.core.account.service import AccountService
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.command_line import CommandBar
from tui_mail.ui.screens.compose import ComposeScreen

AppMaker = Callable[..., MailApp]
HOME = "Ada at home <ada@home.example>"


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
        password_command=f"cat {secret}",
        display_name="Ada Lovelace", signature="Ada\nAnalytical Engines",
        identities=(IdentityConfig("ada@home.example", "Ada at home", "Love, A."),
                    IdentityConfig("robot@example.org", "Robot", "")),
    )  # fmt: skip


@pytest.fixture
def make_app(tmp_path: Path, mail_user: MailUser) -> AppMaker:
    def make(account: AccountConfig) -> MailApp:
        config = AppConfig(path=tmp_path / "config" / "config.toml", accounts=(account,))

        def service(acc: AccountConfig, data: Path) -> AccountService:
            return AccountService(acc, data, secret=lambda: mail_user.password)

        return MailApp(config, data_dir=tmp_path / "data", service_factory=service)

    return make


async def open_compose(pilot: Pilot[Any], app: MailApp, key: str) -> ComposeScreen:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ComposeScreen)
    return screen


async def choose_from(pilot: Pilot[Any], screen: ComposeScreen, choice: str) -> None:
    """As a user does: focus From, open its list, move to `choice`, Enter."""
    select = screen.query_one("#from", Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    choices = [str(option[0]) for option in select._options]  # (prompt, value) pairs
    current = choices.index(str(select.value))
    wanted = choices.index(choice)
    await pilot.press(*(["down"] * (wanted - current) or ["up"] * (current - wanted)))
    await pilot.press("enter")
    await wait_for(pilot, lambda: select.value == choice)


def notice(screen: ComposeScreen) -> str:
    return str(screen.query_one("#compose-notice").render())


def parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data.replace(b"\r\n", b"\n"), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


async def test_switching_from_swaps_the_signature_and_the_message_goes_out_as_chosen(
    account: AccountConfig, make_app: AppMaker, smtp: SmtpServer
) -> None:
    app = make_app(account)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        body = screen.query_one("#body", TextArea)
        select = screen.query_one("#from", Select)
        assert [str(option[0]) for option in select._options] == [
            f"Ada Lovelace <{account.email}>", HOME, "Robot <robot@example.org>",
        ]  # fmt: skip
        assert body.text == "\n\n-- \nAda\nAnalytical Engines\n"

        await choose_from(pilot, screen, HOME)
        assert body.text == "\n\n-- \nLove, A.\n"
        await choose_from(pilot, screen, "Robot <robot@example.org>")
        assert body.text == ""  # no signature, and no separator left behind

        await choose_from(pilot, screen, HOME)
        body.focus()
        body.move_cursor((0, 0))
        await pilot.press(*"Hello Bob.")
        for field, text in (("to", "bob@example.org"), ("subject", "From home")):
            screen.query_one(f"#{field}", Input).focus()
            await pilot.press(*text)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ComposeScreen))
        status = str(app.screen.query_one("#status-message").render())
        assert "Sent to bob@example.org" in status

    [received] = smtp.messages
    assert received.mail_from == "ada@home.example"
    message = parsed(received.data)
    assert message["From"] == HOME
    body_part = message.get_body(("plain",))
    assert isinstance(body_part, EmailMessage)
    assert body_part.get_content() == "Hello Bob.\n\n-- \nLove, A.\n"


async def test_an_edited_signature_stays_and_a_reply_starts_as_the_identity_written_to(
    dovecot: DovecotServer, mail_user: MailUser, account: AccountConfig, make_app: AppMaker,
    smtp: SmtpServer,
) -> None:  # fmt: skip
    dovecot.deliver(mail_user, [make_message(
        1, from_="Bob <bob@example.org>", to="family@lists.example",
        delivered_to="ada@home.example", body="Dinner?\n",
    )])  # fmt: skip
    above = dataclasses.replace(account, signature_position="above")
    app = make_app(above)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "r")
        body = screen.query_one("#body", TextArea)
        assert screen.draft.from_addr == HOME
        assert body.text.startswith("\n\n-- \nLove, A.\n\nOn ")  # above the quote
        assert body.cursor_location == (0, 0)  # top-posting: written above it
        await pilot.press(*"Yes!")
        body.replace("Love, Ada", (3, 0), (3, 8))  # the user edits the signature
        edited = body.text
        await choose_from(pilot, screen, f"Ada Lovelace <{account.email}>")
        assert body.text == edited
        assert "The signature was edited, so it stays as it is" in notice(screen)


async def test_the_address_book_completes_and_a_slow_one_is_named(
    tmp_path: Path, account: AccountConfig, make_app: AppMaker, smtp: SmtpServer
) -> None:
    book = tmp_path / "book"
    book.write_text(
        "#!/bin/sh\n"
        'case "$1" in sl*) sleep 30;; esac\n'
        "printf 'Searching...\\n'\n"
        "printf 'zoe@book.example\\t\\033[31mZoë\\033[0m \\033]0;title\\007Book\\tfriends\\n'\n"
    )
    book.chmod(0o755)
    app = make_app(dataclasses.replace(account, address_book_command=f"{book} %s"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        screen = await open_compose(pilot, app, "c")
        to = screen.query_one("#to", Input)
        to.focus()
        await pilot.press(*"zo")
        await wait_for(pilot, lambda: to._suggestion != "")
        await pilot.press("tab")
        assert to.value == "Zoë Book <zoe@book.example>"  # the escapes are gone

        screen.service.address_book.timeout = 0.3
        await pilot.press(*", sl")
        sentence = "The address book command took longer than 0.3 s and was stopped"
        await wait_for(pilot, lambda: sentence in notice(screen))


async def test_the_command_line_completes_from_the_address_book_and_identities(
    tmp_path: Path, account: AccountConfig, make_app: AppMaker, smtp: SmtpServer
) -> None:
    book = tmp_path / "book"
    book.write_text("#!/bin/sh\nprintf 'Searching...\\nzoe@book.example\\tZoe Book\\n'\n")
    book.chmod(0o755)
    app = make_app(dataclasses.replace(account, address_book_command=f"{book} %s"))
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        line = main.query_one(CommandBar).input
        await pilot.press("colon", *"compose --to zo", "tab")
        await wait_for(pilot, lambda: line.value == "compose --to zoe@book.example ")
        await pilot.press(*"--from ada", "tab")
        assert line.value == "compose --to zoe@book.example --from ada@home.example "
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        assert screen.draft.to == "zoe@book.example"
        assert screen.draft.from_addr == HOME
        assert "Love, A." in screen.draft.body  # the identity's own signature
