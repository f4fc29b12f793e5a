"""The address book: a real command (a small shell script written here) merged with the
people in the cache, ranked; slow, failing and hostile commands."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.dovecot import make_message
from tests.support.processes import alive
from tui_mail.config import AccountConfig
from tui_mail.core.account.address_book import AddressBook, run_address_query
from tui_mail.core.account.service import AccountService
from tui_mail.core.maildir.backend import MaildirBackend
from tui_mail.core.message.address_ranking import (
    Correspondent,
    correspondents,
    parse_query_output,
    query_command,
    rank,
)

# (from_name, from_addr, to, cc), newest first, as the cache gives them.
ROWS = [
    ("Ada Lovelace", "ada@example.org", "Me <me@example.org>", ""),
    ("", "bob@example.org", "me@example.org", "Ada Lovelace <ADA@example.org>"),
    ("Bob Builder", "bob@example.org", "me@example.org", ""),
    ("Adam Smith", "adam@economy.example", "me@example.org", ""),
]


def script(tmp_path: Path, body: str, name: str = "book") -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def book_for(command: str | None, rows: list[tuple[str, str, str, str]] | None = None,
             timeout: float = 2.0) -> AddressBook:  # fmt: skip
    account = AccountConfig(name="w", email="me@example.org", address_book_command=command)
    return AddressBook(account, lambda: list(ROWS if rows is None else rows), timeout=timeout)


# -- the pure parts -------------------------------------------------------------------------


def test_abook_and_khard_answers_are_read_and_their_header_lines_skipped() -> None:
    abook = "\nada@example.org\tAda Lovelace\t\nbob@example.org\tBob\tfriends\n"
    khard = "searching for 'a' ...\nzoe@example.org\tZoë Adams\thome\n\nnot-an-address\tX\n"
    assert parse_query_output(abook) == [("Ada Lovelace", "ada@example.org"),
                                         ("Bob", "bob@example.org")]  # fmt: skip
    assert parse_query_output(khard) == [("Zoë Adams", "zoe@example.org")]
    assert parse_query_output("lone@example.org\nLONE@example.org\tDup\n") == [
        ("", "lone@example.org")
    ]


def test_what_was_typed_is_quoted_for_the_shell() -> None:
    assert query_command("khard email --parsable %s", "o'b") == (
        "khard email --parsable 'o'\"'\"'b'"
    )
    assert query_command("abook --mutt-query", "ada smith") == "abook --mutt-query 'ada smith'"


def test_the_cache_counts_each_person_with_the_first_name_it_has() -> None:
    people = {p.address: p for p in correspondents(ROWS, {"me@example.org"})}
    assert set(people) == {"ada@example.org", "bob@example.org", "adam@economy.example"}
    assert people["ada@example.org"] == Correspondent("Ada Lovelace", "ada@example.org", 2, 0)
    assert people["bob@example.org"] == Correspondent("Bob Builder", "bob@example.org", 2, 1)


def test_ranking_puts_exact_then_prefix_then_word_matches_first_then_the_most_used() -> None:
    known = [
        Correspondent("Ada Lovelace", "ada@example.org", 5, 3),
        Correspondent("Adam Smith", "adam@economy.example", 9, 0),
        Correspondent("Grace Hopper", "grace@navy.example", 50, 0),
        Correspondent("", "cicada@example.org", 1, 7),
        Correspondent("", "ADA@example.COM", 1, 9),
    ]
    assert [a for _n, a in rank("ada", known)] == [
        "adam@economy.example", "ada@example.org", "ADA@example.COM",  # prefix, most used first
        "cicada@example.org",  # "ada" inside
    ]  # fmt: skip
    assert rank("ada@example.org", known)[0] == ("Ada Lovelace", "ada@example.org")
    assert [a for _n, a in rank("hop", known)] == ["grace@navy.example"]  # a word of the name
    assert [a for _n, a in rank("", known)][:2] == ["grace@navy.example", "adam@economy.example"]
    assert rank("ada", known, own={"ada@example.org"})[1] == ("", "ADA@example.COM")


def test_the_book_merges_by_address_and_names_whom_the_cache_cannot() -> None:
    known = [
        Correspondent("", "bob@example.org", 3, 0),
        Correspondent("Ada", "ada@example.org", 1, 1),
    ]
    book = [("Robert Builder", "BOB@example.org"), ("Ada From Book", "ada@example.org"),
            ("Bobby Tables", "tables@example.org"), ("Nick", "nick@example.org")]  # fmt: skip
    ranked = rank("bob", known, book)
    assert ranked[:2] == [("Robert Builder", "bob@example.org"),  # cache's use, book's name
                          ("Bobby Tables", "tables@example.org")]  # fmt: skip
    # The book answered "nick" for "bob" for its own reasons (a nickname): offered last.
    assert ranked[-1] == ("Nick", "nick@example.org")
    assert ("Ada", "ada@example.org") in rank("ad", known, book)  # the cache's name kept


# -- a real command -------------------------------------------------------------------------


def test_the_command_is_asked_for_what_was_typed_and_merged_with_the_cache(tmp_path: Path) -> None:
    log = tmp_path / "asked"
    command = script(tmp_path, f"""printf '%s\\n' "$1" >> {log}
echo "searching for '$1' ..."
printf 'bobby@example.org\\tBobby Tables\\twork\\n'
printf 'bob@example.org\\tRobert B.\\n'
""")  # fmt: skip
    book = book_for(command + " %s")
    found = book.lookup("Bob B")
    assert found.problem is None
    assert found.matches[:2] == [("Bob Builder", "bob@example.org"),
                                 ("Bobby Tables", "bobby@example.org")]  # fmt: skip
    book.lookup("Bob B")  # asked once per text
    assert log.read_text() == "Bob B\n"
    # What the book answers for reasons of its own still comes, the most used first.
    assert book.lookup("zed").matches == [("Bob Builder", "bob@example.org"),
                                          ("Bobby Tables", "bobby@example.org")]  # fmt: skip


def test_a_slow_command_is_stopped_with_all_it_started_and_said_once(tmp_path: Path) -> None:
    child, log = tmp_path / "child", tmp_path / "runs"
    command = script(tmp_path, f"echo run >> {log}\nsleep 30 & echo $! > {child}\nwait\n")
    book = book_for(command, timeout=0.5)
    started = time.monotonic()
    found = book.lookup("ada")
    assert time.monotonic() - started < 5
    assert found.problem == (
        "The address book command took longer than 0.5 s and was stopped; completing from "
        "the cached mail only."
    )
    assert [a for _n, a in found.matches] == ["ada@example.org", "adam@economy.example"]
    deadline = time.monotonic() + 5
    while alive(int(child.read_text())) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(int(child.read_text()))
    # Left alone for a while: the next keys are answered from the cache, without a wait.
    again = book.lookup("adam")
    assert again.problem is None and again.matches[0][1] == "adam@economy.example"
    assert log.read_text() == "run\n"


def test_hostile_output_reaches_nobody_as_escapes(tmp_path: Path) -> None:
    command = script(tmp_path, r"""printf '\033]52;c;ZXZpbA==\007evil@example.org\t'
printf '\033[2J\033[31mRed\033[0m [b]Name[/b]\n'
printf 'a\tb\033\n\001\002\n'
printf 'x@example.org\t%0300d\n' 0
""")  # fmt: skip
    found = book_for(command, rows=[]).lookup("e")
    assert ("Red [b]Name[/b]", "evil@example.org") in found.matches
    name = dict((a, n) for n, a in found.matches)["x@example.org"]
    assert len(name) == 200  # a name is kept short
    for name, address in found.matches:
        assert name.isprintable() and address.isprintable()


def test_an_endless_answer_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    command = script(tmp_path, "while :; do printf 'ada@example.org\\tAda\\n'; done\n")
    started = time.monotonic()
    found = run_address_query(command, "ada", timeout=10, limit=4096)
    assert time.monotonic() - started < 5  # stopped by the limit, not by the time limit
    assert found == [("Ada", "ada@example.org")]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("exit 1\n", None),  # abook and khard: nothing found
        ("echo 'Not found' >&2; exit 1\n", None),
        ("echo 'database locked' >&2; exit 3\n",
         "The address book command failed (exit status 3): database locked"),
        ("no-such-program-here\n", "The address book command failed (exit status 127): "),
    ],
)  # fmt: skip
def test_failures_are_one_sentence_and_nothing_found_is_none(
    tmp_path: Path, body: str, problem: str | None
) -> None:
    found = book_for(script(tmp_path, body), rows=[]).lookup("ada")
    assert found.matches == []
    if problem is None:
        assert found.problem is None
    else:
        assert found.problem is not None and found.problem.startswith(problem)
        assert "Traceback" not in found.problem


async def test_the_service_answers_from_its_cache_and_the_book(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    message = make_message(1, from_="Ada Lovelace <ada@example.org>", to="me@example.org")
    (root / "cur" / "1700000001.M1P1.host:2,S").write_bytes(message)
    command = script(tmp_path, "printf 'adele@example.org\\tAdele\\n'\n")
    account = AccountConfig(name="local", email="me@example.org", type="maildir", path=root,
                            address_book_command=command)  # fmt: skip
    data_dir = tmp_path / "data"
    service = AccountService(
        account, data_dir, backend_factory=lambda a, _s: MaildirBackend(a, data_dir=data_dir)
    )
    try:
        await service.sync("INBOX")
        found = await service.addresses("Ad")
        assert found.matches == [
            ("Ada Lovelace", "ada@example.org"),
            ("Adele", "adele@example.org"),
        ]
    finally:
        await service.close()
