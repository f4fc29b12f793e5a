"""Search as you type (/) against the real Dovecot: the rows narrow key by key from the
cache, Tab looks in every folder and every account (each row says where it is), actions
on a result row reach that row's own folder on the server, Enter adds the server's hits
marked, and with the server gone the cache still answers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.accounts import server_subjects
from tests.support.dovecot import DovecotFactory, DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, visible_rows, wait_for
from tui_mail.core.account.local_search import Hit, search_local
from tui_mail.core.demo import demo_config
from tui_mail.core.query import parse_query
from tui_mail.ui.app import MailApp
from tui_mail.ui.main import search
from tui_mail.ui.main.folder_tree import UNIFIED, FolderKey
from tui_mail.ui.main.screen import MainScreen
from tui_mail.ui.main.search import SERVER_MARK, SearchBar

MAIL = [
    ("Ann Lee <ann@example.org>", "Budget draft"),
    ("Bob Ray <bob@example.org>", "Lunch?"),
    ("Ann Lee <ann@example.org>", "Budget final"),
    ("Carol Day <carol@example.org>", "Budget questions"),
    ("Bob Ray <bob@example.org>", "Build broken"),
    ("Ann Lee <ann@example.org>", "Holiday photos"),
]
DAN = "Dan Fox <dan@example.org>"


def fill(server: DovecotServer, user: MailUser) -> None:
    server.deliver(
        user, [make_message(i, from_=sender, subject=s) for i, (sender, s) in enumerate(MAIL)]
    )


def status_text(screen: MainScreen) -> str:
    return screen.status.message


def shown_line(screen: MainScreen, subject: str) -> str:
    """The list's line (as drawn) of the row with `subject`."""
    index = visible_rows(screen).index(subject)
    screen.messages.move_to(index)
    return screen.messages.render_line(index - int(screen.messages.scroll_y)).text


async def test_typing_narrows_key_by_key_and_tab_looks_further(
    dovecot: DovecotServer, make_app: AppFactory
) -> None:
    work, home = dovecot.add_user(), dovecot.add_user()
    fill(dovecot, work)
    dovecot.create_folder(work, "Projects")
    dovecot.deliver(work, [make_message(7, from_=DAN, subject="Budget plan 2027")], "Projects")
    dovecot.deliver(home, [make_message(8, from_=DAN, subject="Budget at home")])
    app = make_app(work, home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        screen.open_folder("work", "Projects")  # cached once opened
        await settled(pilot, app)
        screen.open_folder("work", "INBOX")
        await settled(pilot, app)
        bar = screen.query_one(SearchBar)

        await pilot.press("slash", "b")  # "b": subjects, and Bob's address
        await wait_for(
            pilot,
            lambda: (
                visible_rows(screen)
                == ["Build broken", "Budget questions", "Budget final", "Lunch?", "Budget draft"]
            ),
        )
        await pilot.press("u")
        await wait_for(
            pilot,
            lambda: (
                visible_rows(screen)
                == ["Build broken", "Budget questions", "Budget final", "Budget draft"]
            ),
        )
        await pilot.press("d")
        await wait_for(
            pilot,
            lambda: visible_rows(screen) == ["Budget questions", "Budget final", "Budget draft"],
        )
        await pilot.press(*"get fi")
        await wait_for(pilot, lambda: visible_rows(screen) == ["Budget final"])
        assert "'budget fi': 1 in the cache in INBOX" in status_text(screen)
        await pilot.press("backspace", "backspace", "backspace")
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 3)
        assert bar.border_title == "Search in INBOX · Tab: in work (all folders)"

        await pilot.press("tab")  # every folder of the account
        await wait_for(pilot, lambda: "Budget plan 2027" in visible_rows(screen))
        assert len(visible_rows(screen)) == 4
        assert "Projects" in shown_line(screen, "Budget plan 2027")
        assert "INBOX" in shown_line(screen, "Budget final")
        assert bar.border_title == "Search in work (all folders) · Tab: everywhere"
        await pilot.press("tab")  # every account
        await wait_for(pilot, lambda: "Budget at home" in visible_rows(screen))
        assert len(visible_rows(screen)) == 5
        assert "home:INBOX" in shown_line(screen, "Budget at home")
        await pilot.press("tab")  # back to the folder
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 3)
        assert bar.has_focus  # Tab cycled the scope, it did not leave the line

        await pilot.press("ctrl+u")  # an empty line is the folder
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 6)
        await pilot.press(*"lunch")
        await wait_for(pilot, lambda: visible_rows(screen) == ["Lunch?"])
        await pilot.press("escape")  # back to the folder, as before
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 6)
        assert not bar.is_open and screen.searching is None

        # From all inboxes the line looks everywhere (`:search` too).
        screen.folder_tree.post_message(screen.folder_tree.FolderChosen(FolderKey("", UNIFIED)))
        await settled(pilot, app)
        await pilot.press("slash", *"budget")
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 5)
        assert bar.border_title == "Search everywhere"
        assert "work:Projects" in shown_line(screen, "Budget plan 2027")


async def test_archive_on_a_result_row_moves_that_rows_message(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    fill(dovecot, mail_user)
    dovecot.create_folder(mail_user, "Projects")
    dovecot.deliver(mail_user, [make_message(7, from_=DAN, subject="Budget plan 2027"),
                                make_message(9, from_=DAN, subject="Team offsite")],
                    "Projects")  # fmt: skip
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        screen.open_folder("work", "Projects")
        await settled(pilot, app)
        screen.open_folder("work", "INBOX")
        await settled(pilot, app)
        await pilot.press("slash", "tab", *"budget")
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 4)
        await pilot.press("enter")  # keeps the results, the list has the keys
        await wait_for(pilot, lambda: "found in the cache" in status_text(screen))
        index = visible_rows(screen).index("Budget plan 2027")
        await pilot.press("g", *["j"] * index, "a")
        await wait_for(pilot, lambda: "moved to Archive" in status_text(screen))
        assert "Budget plan 2027" not in visible_rows(screen)  # the row left the results
        assert len(visible_rows(screen)) == 3
    assert server_subjects(dovecot, mail_user, "Archive") == ["Subject: Budget plan 2027"]
    assert server_subjects(dovecot, mail_user, "Projects") == ["Subject: Team offsite"]
    assert len(server_subjects(dovecot, mail_user, "INBOX")) == 6


async def test_enter_adds_the_servers_hits_marked(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.deliver(mail_user, [
        make_message(1, from_=DAN, subject="Pizza night"),
        make_message(2, from_=DAN, subject="Lunch", body="pizza or pasta?"),
        make_message(3, from_=DAN, subject="Invoice", body="paid"),
    ])  # fmt: skip
    app = make_app(mail_user)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("slash", *"pizza")
        await wait_for(pilot, lambda: visible_rows(screen) == ["Pizza night"])
        await wait_for(pilot, lambda: "'pizza': 1 in the cache" in status_text(screen))
        # The bodies the cache lacks are said (with their count once the cache can tell).
        assert "not cached" in status_text(screen)
        assert "Enter asks the server" in status_text(screen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "found" in status_text(screen))
        assert visible_rows(screen) == ["Lunch", "Pizza night"]  # the first step's row stays
        assert f"1 more from the server, marked {SERVER_MARK!r}" in status_text(screen)
        assert SERVER_MARK in shown_line(screen, "Lunch")
        assert SERVER_MARK not in shown_line(screen, "Pizza night")


async def test_with_the_server_gone_the_cache_answers_and_enter_says_why_not_more(
    dovecot_factory: DovecotFactory,
    make_app: AppFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = dovecot_factory()
    user = server.add_user()
    fill(server, user)
    app = make_app(user, names=("work",), data_dir=tmp_path / "data", server=server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        # Every sentence the bar shows (the account's "Next try in N s" follows at once).
        said: list[str] = []
        say = screen.status.say
        monkeypatch.setattr(screen.status, "say", lambda m, **kw: (said.append(m), say(m, **kw)))
        server.stop()
        await pilot.press("slash", *"budget")
        await wait_for(pilot, lambda: len(visible_rows(screen)) == 3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("did not answer" in m for m in said))
        (sentence,) = [m for m in said if "did not answer" in m]
        assert sentence.startswith("Search 'budget': 3 found in the cache; the server's search")
        assert "refused the connection" in sentence
        await pilot.pause(0.5)
        assert len(visible_rows(screen)) == 3  # the cache's answer stays


async def test_an_older_keys_answer_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "bud" is matched slowly; the line is back to "bu" before its answer comes.
    def slow_for_bud(*args: Any, **kwargs: Any) -> list[Hit]:
        if args[1] == parse_query("bud"):
            time.sleep(1.0)
        return search_local(*args, **kwargs)

    monkeypatch.setattr(search, "search_local", slow_for_bud)
    app = MailApp(demo_config(tmp_path), data_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settled(pilot, app)
        await pilot.press("slash", *"bu")
        await wait_for(pilot, lambda: "'bu': " in status_text(screen))
        shown = visible_rows(screen)
        assert any("Build" in row for row in shown)
        await pilot.press("d", "backspace")
        await pilot.pause(1.5)
        await settled(pilot, app)
        assert visible_rows(screen) == shown
        assert "'bud'" not in status_text(screen)
        await pilot.press("d")  # asked again, it is shown
        await wait_for(pilot, lambda: "'bud': " in status_text(screen))
        assert all("Build" not in row for row in visible_rows(screen))
