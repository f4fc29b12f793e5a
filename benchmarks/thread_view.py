"""The threaded view of a big folder in-process: how long until its first threaded screen,
and at what memory, as the TUI opens it (threaded on a background thread, handed over).

``python -m benchmarks.thread_view CACHE [--new 1000]`` on a cache ``python -m
benchmarks.scale synthetic --keep DIR`` made. Looks at the INBOX, each a new
ThreadedMessages as a switch to the threaded view makes, each session a fresh process:

- session 1: the first look (from scratch, unless the cache keeps the folder's threads
  from an earlier session), a second with nothing changed;
- session 2: the first look of a new session, the folder unchanged (the threads the
  cache kept, core/store/thread_saved.py);
- then ``--new`` messages arrive (copies of the newest ones, with later UIDs and dates,
  written by a connection of their own as a sync would);
- session 3: the first look of a new session after the new mail, then one more look
  after ``--new`` more arrived within the session.

``--removed K`` measures removals instead, on a cache whose threads a session kept:
K messages among the newest 20,000 are removed (as an expunge would, by a connection
of its own), then a new session's first look, then K more removed and one more look
within the session.

Seconds are wall and CPU (the whole process, the background thread included) until the
threaded first screen is there, and the UI thread's part (making the list, which shows
stand-in rows meanwhile); `saving` is what writing the threads to the cache took after a
look (on its own thread, after the first screen: waited for before the next look);
peak RSS is each session's process's. Printed as one JSON object. The database is
changed (the new messages and kept threads stay): use a copy.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tui_mail.core.account.background import background_thread
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
    figures = {
        "ui_thread": round(shown, 3),
        "wall": round(time.perf_counter() - wall, 3),
        "cpu": round(time.process_time() - cpu, 3),
    }
    wall, cpu = time.perf_counter(), time.process_time()
    background_thread("thread-saving").submit(lambda: None).result()  # what the look started
    figures["saving_wall"] = round(time.perf_counter() - wall, 3)
    figures["saving_cpu"] = round(time.process_time() - cpu, 3)
    return figures


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


def _remove(path: Path, count: int, seed: int) -> None:
    db = sqlite3.connect(path)
    with db:
        (folder_id,) = db.execute("SELECT id FROM folders WHERE name = ?", (FOLDER,)).fetchone()
        newest = db.execute(
            "SELECT uid FROM messages WHERE folder_id = ? ORDER BY uid DESC LIMIT 20000",
            (folder_id,),
        ).fetchall()
        gone = random.Random(seed).sample(newest, count)
        db.executemany(
            "DELETE FROM messages WHERE folder_id = ? AND uid = ?",
            ((folder_id, uid) for (uid,) in gone),
        )
    db.close()


def _session(path: Path, looks: list[str], new: int) -> dict[str, object]:
    """Looks in one process: `first`, `again`, `new` (after `new` messages arrived), or
    `removed` (after `new` messages were removed)."""
    store = Store(path)
    figures: dict[str, object] = {}
    for look in looks:
        if look == "new":
            _arrive(path, new)
        if look == "removed":
            _remove(path, new, 2)
        figures[look] = _look(store)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    store.close()
    return figures


def _in_fresh_process(path: Path, looks: list[str], new: int) -> dict[str, object]:
    command = [sys.executable, "-m", "benchmarks.thread_view", str(path), "--new", str(new)]
    answer = subprocess.run(
        [*command, "--looks", ",".join(looks)], check=True, capture_output=True, text=True
    )
    found: dict[str, object] = json.loads(answer.stdout)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.thread_view")
    parser.add_argument("cache", type=Path)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--removed", type=int, default=0)
    parser.add_argument("--looks", help="one session's looks (first,again,new,removed)")
    args = parser.parse_args(argv)
    if args.looks:
        print(json.dumps(_session(args.cache, args.looks.split(","), args.new)))
        return 0
    store = Store(args.cache)
    figures: dict[str, object] = {"size": store.max_uid(store.folder_id(FOLDER))}
    store.close()
    if args.removed:
        _remove(args.cache, args.removed, 1)
        figures[f"after_{args.removed}_removed"] = _in_fresh_process(
            args.cache, ["first", "removed"], args.removed
        )
        print(json.dumps(figures))
        return 0
    figures["session_1"] = _in_fresh_process(args.cache, ["first", "again"], args.new)
    figures["session_2"] = _in_fresh_process(args.cache, ["first"], args.new)
    _arrive(args.cache, args.new)
    figures[f"session_3_after_{args.new}_new"] = _in_fresh_process(
        args.cache, ["first", "new"], args.new
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
