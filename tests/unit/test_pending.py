"""The offline queue: kept in its own file across restarts, replayed in order, idempotent."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from tui_mail.core.account.replay import replay
from tui_mail.core.errors import ServerError
from tui_mail.core.models import Flag
from tui_mail.core.query import Header, Query, UidIn
from tui_mail.core.store.cache import Store
from tui_mail.core.store.pending import PendingAction
from tui_mail.core.store.pending_queue import PendingQueue


class FolderServer:
    """A pure in-memory stand-in for the server's folders (UID -> flags), for the logic."""

    def __init__(self, folders: dict[str, dict[int, Flag]]) -> None:
        self.folders = folders
        self.calls: list[str] = []
        self.message_ids: dict[tuple[str, int], str] = {}

    def search(self, folder: str, query: Query) -> list[int]:
        (term,) = query.terms
        if isinstance(term, UidIn):
            return sorted(u for u in self.folders[folder] if u in term.uids)
        assert isinstance(term, Header) and term.name == "Message-ID"
        return [u for (f, u), mid in self.message_ids.items() if f == folder and mid == term.text]

    def store_flags(self, folder: str, uids: list[int], flags: Flag, *, add: bool) -> None:
        self.calls.append(f"flag {folder} {uids} {flags.name} {add}")
        for uid in uids:
            old = self.folders[folder][uid]
            self.folders[folder][uid] = old | flags if add else old & ~flags

    def move(self, folder: str, uids: list[int], destination: str) -> None:
        if destination not in self.folders:
            raise ServerError(f"The server refused MOVE: no folder {destination}.")
        self.calls.append(f"move {folder} {uids} {destination}")
        for uid in uids:
            self.folders[destination][uid + 100] = self.folders[folder].pop(uid)

    def expunge(self, folder: str, uids: list[int]) -> None:
        self.calls.append(f"expunge {folder} {uids}")
        for uid in uids:
            del self.folders[folder][uid]

    def append(self, folder: str, message: bytes, flags: Flag, when: datetime | None) -> None:
        raise AssertionError("replay never appends")


def test_the_queue_survives_a_restart_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache.sqlite3")
    first = store.queue.add(PendingAction("flag", "INBOX", (1, 2), flag=Flag.SEEN, on=True))
    store.queue.add(PendingAction("move", "INBOX", (3,), destination="Archive",
                                    message_ids=("<3@x>",)))  # fmt: skip
    store.close()
    store = Store(tmp_path / "cache.sqlite3")
    actions = store.queue.actions()
    assert [a.kind for a in actions] == ["flag", "move"]
    assert actions[0].id == first and actions[0].uids == (1, 2) and actions[0].flag is Flag.SEEN
    assert actions[1].destination == "Archive" and actions[1].message_ids == ("<3@x>",)
    store.queue.remove(first)
    assert store.queue.count() == 1
    store.close()


def test_replay_in_order_reporting_what_vanished() -> None:
    server = FolderServer({"INBOX": {1: Flag.NONE, 2: Flag.NONE, 4: Flag.NONE}, "Archive": {}})
    actions = [
        PendingAction("flag", "INBOX", (1, 3), flag=Flag.FLAGGED, on=True, id=1),
        PendingAction("move", "INBOX", (2,), destination="Archive", id=2),
        PendingAction("flag", "INBOX", (2,), flag=Flag.SEEN, on=True, id=3),
        PendingAction("expunge", "INBOX", (4,), id=4),
        PendingAction("move", "INBOX", (1,), destination="Gone", id=5),
    ]
    done: list[int] = []
    problems = replay(server, actions, lambda a: done.append(a.id))  # type: ignore[arg-type]
    assert done == [1, 2, 3, 4, 5]
    assert server.calls == [
        "flag INBOX [1] FLAGGED True",
        "move INBOX [2] Archive",
        "expunge INBOX [4]",
    ]
    assert server.folders["INBOX"] == {1: Flag.FLAGGED}
    assert len(problems) == 3  # UID 3 never there, UID 2 moved before its flag, no Gone
    assert "1 message(s) in INBOX no longer exist" in problems[0]
    assert "Gone" in problems[2]


def test_a_move_replayed_twice_is_not_reported_or_repeated() -> None:
    server = FolderServer({"INBOX": {}, "Archive": {105: Flag.NONE}})
    server.message_ids[("Archive", 105)] = "<5@x>"
    action = PendingAction("move", "INBOX", (5,), destination="Archive", message_ids=("<5@x>",))
    assert replay(server, [action], lambda _a: None) == []  # type: ignore[arg-type]
    assert server.calls == []


def _old_row(kind: str, uids: list[int], flag: str = "", on: bool = True, **more: object) -> str:
    """A queued action as versions before the neutral flags wrote it: the flag by its IMAP
    name. Such files are on users' disks, waiting for the server."""
    row = {"kind": kind, "folder": "INBOX", "uids": uids, "flag": flag, "on": on,
           "destination": "", "message_ids": []}  # fmt: skip
    return json.dumps({**row, **more})


def test_a_queue_written_with_imap_flag_names_replays_after_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "queue" / "account.sqlite3"
    path.parent.mkdir()
    old = sqlite3.connect(path, isolation_level=None)
    old.execute(
        "CREATE TABLE pending_actions (id INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT NOT NULL)"
    )
    rows = [
        _old_row("flag", [1, 2], "\\Seen"),
        _old_row("flag", [1], "\\Flagged"),
        _old_row("flag", [2], "$Forwarded"),
        _old_row("flag", [3], "\\Answered", on=False),
        _old_row("flag", [3], "\\Draft"),
        _old_row("flag", [2], "\\Deleted"),
        _old_row("move", [4], destination="Archive", message_ids=["<4@x>"]),
        _old_row("expunge", [5]),
    ]
    for row in rows:
        old.execute("INSERT INTO pending_actions (action) VALUES (?)", (row,))
    old.close()

    queue = PendingQueue(path)
    actions = queue.actions()
    assert [(a.kind, a.flag, a.on) for a in actions[:6]] == [
        ("flag", Flag.SEEN, True),
        ("flag", Flag.FLAGGED, True),
        ("flag", Flag.FORWARDED, True),
        ("flag", Flag.ANSWERED, False),
        ("flag", Flag.DRAFT, True),
        ("flag", Flag.DELETED, True),
    ]
    server = FolderServer(
        {
            "INBOX": {1: Flag.NONE, 2: Flag.NONE, 3: Flag.ANSWERED, 4: Flag.NONE, 5: Flag.NONE},
            "Archive": {},
        }
    )
    problems = replay(server, actions, lambda a: queue.remove(a.id))  # type: ignore[arg-type]
    assert problems == []
    assert server.folders["INBOX"] == {
        1: Flag.SEEN | Flag.FLAGGED,
        2: Flag.SEEN | Flag.FORWARDED | Flag.DELETED,
        3: Flag.DRAFT,
    }
    assert server.folders["Archive"] == {104: Flag.NONE}
    assert queue.count() == 0
    queue.close()


def test_new_rows_name_the_flag_and_read_back_beside_old_ones(tmp_path: Path) -> None:
    queue = PendingQueue(tmp_path / "q.sqlite3")
    queue.adopt([_old_row("flag", [1], "\\Seen")])
    queue.add(PendingAction("flag", "INBOX", (2,), flag=Flag.FORWARDED, on=False))
    queue.add(PendingAction("expunge", "INBOX", (3,)))
    assert [(a.uids, a.flag, a.on) for a in queue.actions()] == [
        ((1,), Flag.SEEN, True),
        ((2,), Flag.FORWARDED, False),
        ((3,), Flag.NONE, True),
    ]
    queue.close()
    db = sqlite3.connect(tmp_path / "q.sqlite3")
    stored = [json.loads(p)["flag"] for (p,) in db.execute("SELECT action FROM pending_actions")]
    db.close()
    assert stored == ["\\Seen", "FORWARDED", ""]


def test_what_could_not_be_replayed_names_the_flag_as_before() -> None:
    server = FolderServer({"INBOX": {}})
    action = PendingAction("flag", "INBOX", (9,), flag=Flag.SEEN, on=True)
    (problem,) = replay(server, [action], lambda _a: None)  # type: ignore[arg-type]
    assert problem == (
        "1 message(s) in INBOX no longer exist on the server, so setting \\Seen made while "
        "offline was not applied to them."
    )
