"""Folders made, removed or renamed elsewhere, without a server: reading whole responses
(literals) during IDLE, NOTIFY's `* LIST` events as hints, and what changed between the
cached folder list and the server's."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from imapclient.imapclient import _parse_untagged_response

from tests.unit.test_notify_watch import FakeSession, watcher
from tui_mail.core.folders.changes import FolderHints, compare
from tui_mail.core.imap.notify_watch import list_event
from tui_mail.core.imap.untagged import (
    MAX_BATCH,
    MAX_LITERAL,
    MAX_RESPONSE,
    ConnectionClosed,
    Unparsable,
    parse_untagged,
    pending_responses,
)
from tui_mail.core.models import Folder

# -- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"* 3 EXISTS",
        b"* 2 EXPUNGE",
        b"* 4 FETCH (UID 9 FLAGS (\\Seen \\Flagged) MODSEQ (12))",
        b"* STATUS Lists (MESSAGES 2 UIDNEXT 3 UNSEEN 2 HIGHESTMODSEQ 3)",
        b'* STATUS "Sent Items" (UNSEEN 1)',
        b"* STATUS 2024 (MESSAGES 1)",
        b'* LIST (\\Subscribed) "/" New',
        b'* LIST () "/" Renamed ("OLDNAME" (New))',
        b'* LIST (\\NonExistent) NIL "Say \\"hi\\""',
        b"* OK Still here",
    ],
)
def test_plain_responses_parse_as_imapclient_parses_them(line: bytes) -> None:
    assert parse_untagged(line) == _parse_untagged_response(line)


def test_bye_is_told_whatever_follows_it() -> None:
    assert parse_untagged(b"* BYE Server shutting down.")[0] == b"BYE"


def test_a_name_sent_as_a_literal_is_one_value() -> None:
    cafe = "Café".encode()
    assert parse_untagged(b'* LIST () "/" {5}\r\n' + cafe) == (b"LIST", (), b"/", cafe)
    # Whatever the literal holds is data: brackets, quotes, escapes, spaces.
    hostile = b'a") (\x1b[31m'
    raw = b"* STATUS {%d}\r\n%s (MESSAGES 1)" % (len(hostile), hostile)
    assert parse_untagged(raw) == (b"STATUS", hostile, (b"MESSAGES", 1))


@pytest.mark.parametrize(
    "raw", [b"3 EXISTS", b"* LIST (", b"* LIST ) x", b'* LIST () "/" "open', b"* LIST {9}\r\nab"]
)
def test_what_is_not_imap_is_refused_not_guessed(raw: bytes) -> None:
    with pytest.raises(Unparsable):
        parse_untagged(raw)


# -- reading whole responses from a socket ---------------------------------------------------


class Connection:
    """What pending_responses uses of imaplib's IMAP4: sock, file, readline, read."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.file = sock.makefile("rb")

    def readline(self) -> bytes:
        return self.file.readline()

    def read(self, size: int) -> bytes:
        return self.file.read(size)


@pytest.fixture
def pair() -> Iterator[tuple[Connection, socket.socket]]:
    ours, server = socket.socketpair()
    ours.settimeout(5)
    yield Connection(ours), server
    ours.close()
    server.close()


def test_a_literal_split_across_packets_is_read_as_one_response(
    pair: tuple[Connection, socket.socket],
) -> None:
    imap, server = pair

    def send_slowly() -> None:
        server.sendall(b'* LIST () "/" {5}\r\nCa')
        time.sleep(0.2)
        server.sendall("fé\r\n* 3 EXISTS\r\n".encode())

    threading.Thread(target=send_slowly).start()
    found = pending_responses(imap, 2.0)
    while len(found) < 2:  # the second packet may come after the first was read
        found += pending_responses(imap, 2.0)
    assert found == [b'* LIST () "/" {5}\r\n' + "Café".encode(), b"* 3 EXISTS"]


def test_nothing_said_is_nothing_after_the_wait_and_eof_is_told(
    pair: tuple[Connection, socket.socket],
) -> None:
    imap, server = pair
    started = time.monotonic()
    assert pending_responses(imap, 0.2) == []
    assert time.monotonic() - started >= 0.15
    server.sendall(b"* 1 EXISTS\r\n* 2 EXISTS\r\n")
    time.sleep(0.05)
    assert pending_responses(imap, 1.0) == [b"* 1 EXISTS", b"* 2 EXISTS"]
    server.close()
    with pytest.raises(ConnectionClosed):
        pending_responses(imap, 1.0)


def test_a_huge_literal_is_refused(pair: tuple[Connection, socket.socket]) -> None:
    imap, server = pair
    server.sendall(b'* LIST () "/" {%d}\r\n' % (MAX_LITERAL + 1))
    with pytest.raises(Unparsable):
        pending_responses(imap, 1.0)


def test_endless_literals_in_one_response_are_refused(
    pair: tuple[Connection, socket.socket],
) -> None:
    imap, server = pair
    piece = b"x" * MAX_LITERAL

    def flood() -> None:
        with contextlib.suppress(OSError):  # refused: the reader stops taking them
            server.sendall(b'* LIST () "/" {%d}\r\n' % MAX_LITERAL)
            for _ in range(MAX_RESPONSE // MAX_LITERAL + 2):
                server.sendall(piece + b" {%d}\r\n" % MAX_LITERAL)

    threading.Thread(target=flood, daemon=True).start()
    with pytest.raises(Unparsable):
        pending_responses(imap, 2.0)


def test_a_flood_of_responses_is_taken_a_batch_at_a_time(
    pair: tuple[Connection, socket.socket],
) -> None:
    imap, server = pair
    server.sendall(b"* 1 EXISTS\r\n" * (MAX_BATCH + 5))
    time.sleep(0.05)
    assert len(pending_responses(imap, 1.0)) == MAX_BATCH
    assert len(pending_responses(imap, 1.0)) == 5


# -- NOTIFY's LIST events as hints -----------------------------------------------------------


def made(name: str, *, subscribed: bool = False) -> FolderHints:
    """What a LIST event without \\NonExistent or OLDNAME says."""
    return FolderHints(created=frozenset({name}), subscribed=((name, subscribed),))


@pytest.mark.parametrize(
    ("line", "hints"),
    [
        (b'* LIST () "/" New', made("New")),
        (b'* LIST (\\NonExistent) "/" Gone', FolderHints(gone=frozenset({"Gone"}))),
        (
            b'* LIST () "/" P2/Child ("OLDNAME" (Parent/Child))',
            FolderHints(renamed=(("Parent/Child", "P2/Child"),)),
        ),
        (b'* LIST (\\Subscribed) "/" Lists', made("Lists", subscribed=True)),
        (b'* LIST () "/" Gr&APwA3w-e', made("Grüße")),
        (b'* LIST () "/" {5}\r\n' + "Café".encode(), made("Café")),
        (b'* LIST () "/" 2024', made("2024")),
        (b"* STATUS Lists (MESSAGES 1)", None),
        (b'* LIST () "/" NIL', None),
    ],
)
def test_list_events_become_hints(line: bytes, hints: FolderHints | None) -> None:
    assert list_event(parse_untagged(line)) == hints


def test_the_watcher_hands_on_one_batch_of_hints_once_primed() -> None:
    told: list[FolderHints] = []
    seen = watcher([])
    seen._on_folders = told.append
    # A connection's first events (Dovecot lists the folders it just made) are the
    # folder list the UI asks for anyway.
    seen._take([parse_untagged(b'* LIST () "/" Drafts')])
    assert told == []
    seen._primed = True
    lines = [b'* LIST () "/" New', b'* LIST () "/" Newer ("OLDNAME" (New))', b"* 3 EXISTS"]
    seen._take([parse_untagged(line) for line in lines])
    # LIST lines among a command's answers (our own LIST-STATUS) are no news.
    seen._take_lines([b'* LIST (\\Subscribed) "/" Lists', b"* STATUS Lists (MESSAGES 1)"])
    assert len(told) == 1
    assert told[0].created == {"New"} and told[0].renamed == (("New", "Newer"),)


def test_without_notify_a_different_list_of_names_is_a_hint() -> None:
    told: list[FolderHints] = []
    seen = watcher([])
    seen._on_folders = told.append
    seen.list_every = 2
    listed = [b'* LIST (\\HasNoChildren) "/" INBOX', b'* LIST (\\HasNoChildren) "/" Lists']
    session = FakeSession("IMAP4rev1 IDLE LIST-STATUS", {b"LIST": listed})
    seen._prepare(session)  # type: ignore[arg-type]  (a look: the names to compare with)
    seen._status_round(session)  # type: ignore[arg-type]  (round 2: a look, the same)
    assert told == []
    session.answers[b"LIST"] = [*listed, b'* LIST (\\HasNoChildren) "/" "New one"']
    seen._status_round(session)  # type: ignore[arg-type]  (round 3: no look)
    assert told == []
    seen._status_round(session)  # type: ignore[arg-type]
    assert told == [FolderHints(relist=True)]
    assert sum(command == b'LIST "" "*"' for command in session.sent) == 3


def test_with_notify_the_names_are_listed_again_at_most_every_names_interval() -> None:
    """Dovecot does not tell a rename made by doveadm until its next event: when IDLE ends
    the names are looked at, not more often than names_interval."""
    told: list[FolderHints] = []
    seen = watcher([])
    seen._on_folders = told.append
    seen.notifying = seen._primed = True
    session = FakeSession("IMAP4rev1 IDLE NOTIFY", {b"LIST": [b'* LIST () "/" Lists']})
    seen._between_idles(session)  # type: ignore[arg-type]  (the first look: remembered)
    session.answers[b"LIST"] = [b'* LIST () "/" Renamed']
    seen._between_idles(session)  # type: ignore[arg-type]  (too soon)
    assert session.sent == [b'LIST "" "*"'] and told == []
    seen._next_names = 0.0
    seen._between_idles(session)  # type: ignore[arg-type]
    assert told == [FolderHints(relist=True)]
    # A NOTIFY event among the answers (a folder removed meanwhile) is not a name.
    session.answers[b"LIST"] = [b'* LIST () "/" Renamed', b'* LIST (\\NonExistent) "/" Gone']
    seen._next_names = 0.0
    seen._between_idles(session)  # type: ignore[arg-type]
    assert seen._names == {"Renamed"} and len(told) == 1


# -- hints against the cache, and what changed ------------------------------------------------


def folders(*names: str) -> list[Folder]:
    return [Folder(name, "/", None) for name in names]


def test_hints_that_only_repeat_the_cache_are_not_worth_a_look() -> None:
    cached = folders("INBOX", "Lists", "Drafts")
    assert not FolderHints(created=frozenset({"Drafts"})).worth_a_look(cached)
    assert not FolderHints(gone=frozenset({"Never known"})).worth_a_look(cached)
    assert not FolderHints(subscribed=(("Lists", False), ("Lists", True))).worth_a_look(cached)
    assert FolderHints(created=frozenset({"New"})).worth_a_look(cached)
    assert FolderHints(gone=frozenset({"Lists"})).worth_a_look(cached)
    assert FolderHints(renamed=(("Lists", "L2"),)).worth_a_look(cached)
    assert FolderHints(subscribed=(("Lists", False),)).worth_a_look(cached)
    assert FolderHints(relist=True).worth_a_look(cached)
    assert not FolderHints()


def test_a_folder_made_then_removed_within_a_burst_is_only_removed() -> None:
    hints = FolderHints(created=frozenset({"X"})).merged(FolderHints(gone=frozenset({"X"})))
    assert hints.created == frozenset() and hints.gone == {"X"}


def test_compare_tells_renames_from_removals_and_follows_chains_and_children() -> None:
    cached = folders("INBOX", "Adm", "Parent", "Parent/Child", "Old")
    listed = folders("INBOX", "Adm3", "P2", "P2/Child", "Fresh")
    changes = compare(cached, listed, [("Adm", "Adm2"), ("Adm2", "Adm3"), ("Parent", "P2")])
    assert changes.renamed == (("Adm", "Adm3"), ("Parent", "P2"), ("Parent/Child", "P2/Child"))
    assert changes.added == ("Fresh",)
    assert changes.removed == ("Old",)
    assert changes.new_name("Parent/Child") == "P2/Child"
    assert changes.new_name("Old") is None
    # A hinted rename the list does not bear out (Dovecot's late report) is no rename.
    stale = compare(folders("A"), folders("C"), [("A", "B")])
    assert stale.renamed == () and stale.added == ("C",) and stale.removed == ("A",)
    assert not compare(cached, cached)
