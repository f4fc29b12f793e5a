"""The threaded view of a big folder in-process: how long until its first threaded screen,
and at what memory, as the TUI opens it (threaded on a background thread, handed over).

``python -m benchmarks.thread_view CACHE [--new 1000]`` on a cache ``python -m
benchmarks.scale synthetic --keep DIR`` made. Three looks at the INBOX, each a new
ThreadedMessages as a switch to the threaded view makes: the first of the session, a
second with nothing changed, and one after ``--new`` messages arrived (copies of the
newest ones, with later UIDs and dates, written by a connection of their own as a sync
would). Seconds are wall and CPU (the whole process, the background thread included)
until the threaded first screen is there, and the UI thread's part (making the list,
which shows stand-in rows meanwhile); peak RSS is the process's. Printed as one JSON
object. The database is changed (the new messages stay): use a copy.
"""

from __future__ import annotations

import argparse
import json
import queue
import resource
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from tui_mail.core.account.message_index import ThreadedMessages
from tui_mail.core.store.cache import Store

FOLDER = "INBOX"
SCREEN = 38


def _look(store: Store) -> dict[str, float]:
    arrived: queue.Queue[Callable[[], None]] = queue.Queue()
    wall, cpu = time.perf_counter(), time.process_time()
    source = ThreadedMessages("bench", store, FOLDER, deliver=arrived.put)
    shown = time.perf_counter() - wall  # the UI thread's part: the stand-in rows are there
    arrived.get(timeout=600)()
    rows = [source.row(index) for index in range(SCREEN)]
    if not source.ready or not all(rows):
        raise RuntimeError("the threaded view's first screen is not there")
    return {
        "ui_thread": round(shown, 3),
        "wall": round(time.perf_counter() - wall, 3),
        "cpu": round(time.process_time() - cpu, 3),
    }


def _arrive(path: Path, new: int) -> None:
    db = sqlite3.connect(path)
    with db:
        (top,) = db.execute("SELECT max(uid) FROM messages").fetchone()
        db.execute(
            "INSERT INTO messages SELECT folder_id, uid + ?, date + 10000000, from_name,"
            " from_addr, to_addrs, cc_addrs, subject, message_id || '.new', in_reply_to,"
            " refs, size, flags, keywords, has_attachment, modseq FROM messages"
            " WHERE uid > ?",
            (new, top - new),
        )
    db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.thread_view")
    parser.add_argument("cache", type=Path)
    parser.add_argument("--new", type=int, default=1000)
    args = parser.parse_args(argv)
    store = Store(args.cache)
    figures: dict[str, object] = {"size": store.max_uid(store.folder_id(FOLDER))}
    figures["first"] = _look(store)
    figures["again"] = _look(store)
    _arrive(args.cache, args.new)
    figures[f"after_{args.new}_new"] = _look(store)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    store.close()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
