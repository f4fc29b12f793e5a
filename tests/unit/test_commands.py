"""The `:` line's language: parsing, what Tab offers, and the history kept between runs."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui_mail.core.errors import UsageError
from tui_mail.ui.commands.complete import complete, path_words
from tui_mail.ui.commands.history import KEEP, History
from tui_mail.ui.commands.parse import parse
from tui_mail.ui.commands.registry import build
from tui_mail.ui.main.bindings import MAIN_BINDINGS

COMMANDS = build(MAIN_BINDINGS)


class Sources:
    """A plain-data stand-in for the screen's sources (this is pure logic)."""

    def folders(self) -> list[str]:
        return ["INBOX", "Archive", "Junk", "Lists/python-dev", "Lists/rust", "My Mail"]

    def other_folders(self) -> list[str]:
        return ["home:INBOX", "home:Family"]

    def addresses(self, typed: str) -> list[str]:
        return [a for a in ("ada@example.org", "adam@example.net") if a.startswith(typed)]

    wanted = False

    async def look_up(self) -> str | None:
        return None

    def forget(self) -> None:
        pass

    def identities(self) -> list[str]:
        return ["me@example.org", "lists@example.org"]

    def themes(self) -> list[str]:
        return ["tui-mail-dark", "tui-mail-light"]

    def sort_keys(self) -> list[str]:
        return ["date", "from", "subject"]

    def saved_searches(self) -> list[str]:
        return ["Unread from team", "Urgent", "Team news"]


def offered(line: str) -> list[str]:
    found = complete(line, COMMANDS, Sources())
    return [line[: found.start] + c for c in found.candidates]


def test_every_key_binding_is_a_command_with_its_id() -> None:
    ids = {b.id for b in MAIN_BINDINGS if getattr(b, "id", None)}
    assert ids <= set(COMMANDS.table)
    assert parse(":archive", COMMANDS).spec.id == "archive"
    assert parse("reply-all", COMMANDS).spec.id == "reply_all"  # dashes for underscores
    assert parse("sync", COMMANDS).spec.id == "refresh"  # an alias
    assert parse("mv Junk", COMMANDS).spec.id == "move"


def test_arguments_keep_quotes_and_the_rest_as_typed() -> None:
    moved = parse('move "My Mail"', COMMANDS)
    assert moved.args == ["My Mail"]
    searched = parse('search subject:"big news" from:ada', COMMANDS)
    assert searched.rest == 'subject:"big news" from:ada'


@pytest.mark.parametrize(
    ("line", "sentence"),
    [
        ("archve", "No command :archve; did you mean :archive,"),
        ("frobnicate", "No command :frobnicate. Tab after ':' lists the commands"),
        ("archive now", ":archive takes no arguments (Move to Archive)."),
        ("cd", ":cd needs FOLDER: :cd FOLDER."),
        ('move "Lists', ":move: cannot read '\"Lists' (No closing quotation)."),
        ("", "Type a command after ':'"),
        ("\x1b[31mred", "No command :red."),  # the escape sequence never shown
    ],
)
def test_bad_lines_get_a_sentence_naming_what_works(line: str, sentence: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(line, COMMANDS)
    assert str(caught.value).startswith(sentence)
    assert "\x1b" not in str(caught.value)


def test_tab_completes_command_names_then_their_arguments(tmp_path: Path) -> None:
    assert offered("arch") == ["archive "]
    assert "reply_all " in offered("rep")
    assert offered("mv J") == ["mv Junk "]
    assert offered("move pyth") == ["move Lists/python-dev "]  # inside a name
    assert offered("move List") == ["move Lists/python-dev ", "move Lists/rust "]
    assert offered("move My") == ["move 'My Mail' "]  # one argument, quoted
    assert offered("cd home:F") == ["cd home:Family "]  # another account's folder
    both = ["compose --to ada@example.org ", "compose --to adam@example.net "]
    assert offered("compose --to ad") == both
    assert offered("compose --s") == ["compose --subject "]
    assert offered("compose --from li") == ["compose --from lists@example.org "]
    assert offered("theme tui-mail-l") == ["theme tui-mail-light "]
    assert offered("sort fr") == ["sort from "]
    assert offered("search is:un") == ["search is:unread "]
    assert offered("limit fr") == ["limit from:"]
    assert offered("limit from:adam") == ["limit from:adam@example.net "]
    assert offered("archive x") == []


def test_forget_search_completes_saved_searches_names() -> None:
    """A name is the rest of the line, spaces and all: quoted when Tab gives it whole, its
    missing words when the first were typed."""
    assert offered("forget-search U") == [
        "forget-search 'Unread from team' ",
        "forget-search Urgent ",
    ]
    assert offered("forget-search news") == ["forget-search 'Team news' "]  # inside a name
    assert offered("forget-search Unread fr") == ["forget-search Unread from team "]
    assert offered("forget-search Team n") == ["forget-search Team news "]
    assert offered("forget-search Team x") == []
    assert parse("forget-search 'Team news'", COMMANDS).args == ["Team news"]


def test_paths_complete_from_the_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "patches").mkdir()
    (tmp_path / "patch.eml").write_text("x")
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "with space.txt").write_text("x")
    base = str(tmp_path)
    assert path_words(base + "/pat") == [base + "/patch.eml ", base + "/patches/"]
    assert path_words(base + "/.h") == [base + "/.hidden "]
    assert path_words(base + "/wi") == [f"'{base}/with space.txt' "]
    assert path_words(base + "/nothing/x") == []
    monkeypatch.setenv("HOME", base)
    assert path_words("~/patche") == ["~/patches/"]
    assert offered(f"save {base}/patch.") == [f"save {base}/patch.eml "]
    assert offered("pipe gi")[:1] != []  # a command on PATH (git is)
    assert "pipe git " in offered("pipe gi")


def test_history_is_kept_private_bounded_and_walked_by_prefix(tmp_path: Path) -> None:
    path = tmp_path / "data" / "command-history"
    history = History(path)
    for line in ("move Archive", "flag", "move Junk", "flag"):
        history.add(line)
    assert history.lines == ["move Archive", "move Junk", "flag"]  # once, newest last
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = History(path)  # the next run
    again.restart("mo")
    assert again.previous() == "move Junk"
    assert again.previous() == "move Archive"
    assert again.previous() is None
    assert again.next() == "move Junk"
    assert again.next() == "mo"  # past the newest: what was typed
    for number in range(KEEP + 20):
        again.add(f"cd folder{number}")
    assert len(History(path).lines) == KEEP
    assert History(path).lines[-1] == f"cd folder{KEEP + 19}"


def test_history_that_cannot_be_read_or_written_is_not_an_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    history = History(blocked / "command-history")
    history.add("flag")  # the directory cannot be made: kept for this run only
    assert history.lines == ["flag"]
