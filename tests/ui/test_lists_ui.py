"""Mailing lists on screen: P replies to the list, `:unsubscribe` (the compose kind
"unsubscribe", `action_compose("unsubscribe")`) asks before anything leaves the machine.
List messages are APPENDed to the suite's Dovecot; one-click goes to a loopback HTTPS
server with a test CA."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.support.accounts import imap_account, other_client
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.setup_servers import LocalCA, WebServer
from tests.ui.conftest import settled, wait_for
from tui_mail.config import AccountConfig, AppConfig
from tui_mail.core.account.service import AccountService
from tui_mail.ui.app import MailApp
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.screens.compose import ComposeScreen
from tui_mail.ui.screens.open_item import ConfirmOpen

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def web(ca: LocalCA) -> Iterator[WebServer]:
    server = WebServer(ca.server_context("localhost"))
    server.routes["/unsub/42"] = lambda request: (200, {}, b"You are unsubscribed.")
    yield server
    server.close()


@pytest.fixture
def start(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, ca: LocalCA
) -> Callable[[bytes], MailApp]:
    """An app on an INBOX holding `raw`; the account trusts the Dovecot and the web CA."""

    def make(raw: bytes) -> MailApp:
        client = other_client(dovecot, mail_user)
        try:
            client.append("INBOX", raw)
        finally:
            client.logout()
        account: AccountConfig = dataclasses.replace(
            imap_account(dovecot, mail_user, name="work"),
            ca_file=ca.bundle_with(dovecot.ca_pem),
        )
        config = AppConfig(path=tmp_path / "config" / "config.toml", accounts=(account,))

        def service(acc: AccountConfig, data: Path) -> AccountService:
            return AccountService(acc, data, secret=lambda: mail_user.password)

        return MailApp(config, data_dir=tmp_path / "data", service_factory=service)

    return make


def list_message(**headers: str) -> bytes:
    settings = {
        "from_": "Alice <alice@example.com>", "to": "python-dev@python.org",
        "subject": "[Python-Dev] PEP 999", "message_id": "<pep999@example.com>",
        "body": "Thoughts on this?\n", "list_id": "Python Dev <python-dev.python.org>",
    }  # fmt: skip
    settings.update(headers)
    return make_message(0, **settings)


def status_of(main: MainScreen) -> str:
    return str(main.status.query_one("#status-message").render())


async def unsubscribe_dialog(pilot: Pilot[Any], app: MailApp) -> str:
    main = await settled(pilot, app)
    main.action_compose("unsubscribe")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmOpen))
    return str(app.screen.query_one("#confirm-details").render())


# -- reply to the list ----------------------------------------------------------------


async def test_p_replies_to_the_list_post_address(start: Callable[[bytes], MailApp]) -> None:
    app = start(list_message(list_post="<mailto:python-dev@python.org> (Python Dev)"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#to", Input).value == "python-dev@python.org"
        assert screen.query_one("#cc", Input).value == ""
        assert screen.query_one("#subject", Input).value == "Re: [Python-Dev] PEP 999"
        body = screen.query_one("#body", TextArea)
        assert "> Thoughts on this?" in body.text
        assert screen.focused is body


@pytest.mark.parametrize(
    ("post", "said"),
    [
        ("NO (announcements only)", "This list does not take posts (List-Post: NO)."),
        ("", "This message has no List-Post header; r replies to the sender, R to everyone."),
    ],
)
async def test_p_without_a_list_address_says_why(
    start: Callable[[bytes], MailApp], post: str, said: str
) -> None:
    app = start(list_message(list_post=post))
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        await pilot.press("P")
        await wait_for(pilot, lambda: status_of(main) == said)
        assert isinstance(app.screen, MainScreen)


async def test_the_reader_names_the_list_and_its_keys(start: Callable[[bytes], MailApp]) -> None:
    app = start(
        list_message(
            list_post="<mailto:python-dev@python.org>",
            list_unsubscribe="<mailto:python-dev-leave@python.org>",
        )
    )
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Thoughts on this?" in main.reader.shown_text())
        assert (
            "[Mailing list Python Dev: P replies to the list, :unsubscribe leaves it]"
            in main.reader.shown_text()
        )
        assert main.reader.shown_text().index("Mailing list") < main.reader.shown_text().index(
            "Thoughts on this?"
        )


async def test_no_list_line_for_other_mail(start: Callable[[bytes], MailApp]) -> None:
    app = start(make_message(0, body="Just a note.\n"))
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Just a note." in main.reader.shown_text())
        assert "Mailing list" not in main.reader.shown_text()


# -- unsubscribe ----------------------------------------------------------------------


async def test_one_click_posts_once_only_after_the_user_confirms(
    start: Callable[[bytes], MailApp], web: WebServer
) -> None:
    url = f"https://localhost:{web.port}/unsub/42"
    app = start(list_message(list_unsubscribe=f"<{url}>", list_unsubscribe_post=ONE_CLICK))
    async with app.run_test(size=(120, 40)) as pilot:
        details = await unsubscribe_dialog(pilot, app)
        assert f"Host: localhost:{web.port}" in details
        assert "List: Python Dev" in details
        assert url in details
        await pilot.pause(0.2)
        assert web.requests == []  # nothing before the answer
        await pilot.press("y")
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: status_of(main).startswith("Unsubscribed"))
        assert status_of(main) == f"Unsubscribed: localhost:{web.port} answered 200."
    [request] = web.requests
    assert (request.method, request.path, request.body) == ("POST", "/unsub/42", ONE_CLICK)
    assert request.content_type == "application/x-www-form-urlencoded"


async def test_one_click_cancelled_sends_nothing(
    start: Callable[[bytes], MailApp], web: WebServer
) -> None:
    url = f"https://localhost:{web.port}/unsub/42"
    app = start(list_message(list_unsubscribe=f"<{url}>", list_unsubscribe_post=ONE_CLICK))
    async with app.run_test(size=(120, 40)) as pilot:
        await unsubscribe_dialog(pilot, app)
        await pilot.press("n")
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(pilot, lambda: status_of(main) == "Not unsubscribed: nothing was sent.")
        await pilot.pause(0.3)
    assert web.requests == []


async def test_plain_http_is_refused_without_asking(
    start: Callable[[bytes], MailApp], web: WebServer
) -> None:
    app = start(
        list_message(
            list_unsubscribe=f"<http://localhost:{web.port}/unsub/42>",
            list_unsubscribe_post=ONE_CLICK,
        )
    )
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        main.action_compose("unsubscribe")
        await wait_for(pilot, lambda: "plain http" in status_of(main))
        assert "will not send that request unencrypted" in status_of(main)
        assert isinstance(app.screen, MainScreen)
    assert web.requests == []


async def test_mailto_unsubscribe_opens_a_prefilled_message(
    start: Callable[[bytes], MailApp],
) -> None:
    app = start(
        list_message(
            list_unsubscribe="<mailto:python-dev-leave@python.org?subject=unsubscribe%20me"
            "&body=Please%20remove%20me.>, <https://mail.python.org/u>"
        )
    )
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        main.action_compose("unsubscribe")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#to", Input).value == "python-dev-leave@python.org"
        assert screen.query_one("#subject", Input).value == "unsubscribe me"
        assert screen.query_one("#body", TextArea).text.startswith("Please remove me.")


async def test_a_web_page_is_offered_to_the_browser_and_can_be_declined(
    start: Callable[[bytes], MailApp], web: WebServer
) -> None:
    url = f"https://localhost:{web.port}/unsub/42"
    app = start(list_message(list_unsubscribe=f"<{url}>"))  # no One-Click: never POSTed
    async with app.run_test(size=(120, 40)) as pilot:
        details = await unsubscribe_dialog(pilot, app)
        assert details.startswith("This list unsubscribes on a web page. Open it in the browser?")
        assert f"Host: localhost:{web.port}" in details and url in details
        await pilot.press("n")
        main = app.screen
        assert isinstance(main, MainScreen)
        await wait_for(
            pilot, lambda: status_of(main) == "Not unsubscribed: the page was not opened."
        )
    assert web.requests == []
