"""The offline queue: kept in the store across restarts, replayed in order, idempotent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tui_mail.core import seqset
from tui_mail.core.errors import ServerError
from tui_mail.core.store.cache import Store
from tui_mail.core.store.pending import PendingAction, replay


class FolderServer:
    """A pure in-memory stand-in for the server's folders (UID -> flags), for the logic."""

    def __init__(self, folders: dict[str, dict[int, set[str]]]) -> None:
        self.folders = folders
        self.calls: list[str] = []
        self.message_ids: dict[tuple[str, int], str] = {}

    def search(self, folder: str, criteria: list[Any]) -> list[int]:
        if criteria[0] == "UID":
            wanted = set(seqset.expand(criteria[1]))
            return sorted(u for u in self.folders[folder] if u in wanted)
        return [u for (f, u), mid in self.message_ids.items() if f == folder and mid == criteria[2]]

    def store_flags(self, folder: str, uids: list[int], names: list[str], *, add: bool) -> None:
        self.calls.append(f"flag {folder} {uids} {names} {add}")
        for uid in uids:
            (
                self.folders[folder][uid].update
                if add
                else self.folders[folder][uid].difference_update
            )(names)

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

    def append(self, folder: str, message: bytes, flags: list[str], when: datetime | None) -> None:
        raise AssertionError("replay never appends")


def test_the_queue_survives_a_restart_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache.sqlite3")
    first = store.add_pending(PendingAction("flag", "INBOX", (1, 2), flag="\\Seen", on=True))
    store.add_pending(PendingAction("move", "INBOX", (3,), destination="Archive",
                                    message_ids=("<3@x>",)))  # fmt: skip
    store.close()
    store = Store(tmp_path / "cache.sqlite3")
    actions = store.pending_actions()
    assert [a.kind for a in actions] == ["flag", "move"]
    assert actions[0].id == first and actions[0].uids == (1, 2) and actions[0].flag == "\\Seen"
    assert actions[1].destination == "Archive" and actions[1].message_ids == ("<3@x>",)
    store.remove_pending(first)
    assert store.pending_count() == 1
    store.close()


def test_replay_in_order_reporting_what_vanished() -> None:
    server = FolderServer({"INBOX": {1: set(), 2: set(), 4: set()}, "Archive": {}})
    actions = [
        PendingAction("flag", "INBOX", (1, 3), flag="\\Flagged", on=True, id=1),
        PendingAction("move", "INBOX", (2,), destination="Archive", id=2),
        PendingAction("flag", "INBOX", (2,), flag="\\Seen", on=True, id=3),
        PendingAction("expunge", "INBOX", (4,), id=4),
        PendingAction("move", "INBOX", (1,), destination="Gone", id=5),
    ]
    done: list[int] = []
    problems = replay(server, actions, lambda a: done.append(a.id))  # type: ignore[arg-type]
    assert done == [1, 2, 3, 4, 5]
    assert server.calls == [
        "flag INBOX [1] ['\\\\Flagged'] True",
        "move INBOX [2] Archive",
        "expunge INBOX [4]",
    ]
    assert server.folders["INBOX"] == {1: {"\\Flagged"}}
    assert len(problems) == 3  # UID 3 never there, UID 2 moved before its flag, no Gone
    assert "1 message(s) in INBOX no longer exist" in problems[0]
    assert "Gone" in problems[2]


def test_a_move_replayed_twice_is_not_reported_or_repeated() -> None:
    server = FolderServer({"INBOX": {}, "Archive": {105: set()}})
    server.message_ids[("Archive", 105)] = "<5@x>"
    action = PendingAction("move", "INBOX", (5,), destination="Archive", message_ids=("<5@x>",))
    assert replay(server, [action], lambda _a: None) == []  # type: ignore[arg-type]
    assert server.calls == []
