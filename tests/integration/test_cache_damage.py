"""A damaged cache is set aside and rebuilt from the server; the offline queue survives.

Each case damages the file the way a disk, a crash or a person can, then runs the real
CLI again: it must say what happened, keep the damaged file, end with the server's
messages in a new cache, and replay what was queued offline before the damage.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.test_cli import config_text
from tests.support.accounts import server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser) -> Run:
    secret_file = tmp_path / "secret"
    secret_file.write_text(mail_user.password + "\n")
    config = tmp_path / "config.toml"
    good = config_text(dovecot, mail_user, secret_file)
    with socket.socket() as probe:  # a port nobody listens on: the server is "down"
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    down = config_text(dovecot, mail_user, secret_file, port=dead_port)

    def run(*args: str, offline: bool = False) -> subprocess.CompletedProcess[str]:
        config.write_text(down if offline else good)
        env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(tmp_path / "d"))
        env.pop("TUI_MAIL_DEBUG", None)
        return subprocess.run(
            [sys.executable, "-m", "tui_mail", *args],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip

    return run


def cache_file(tmp_path: Path) -> Path:
    (found,) = (tmp_path / "d" / "cache").glob("*.sqlite3")
    return found


def truncate(path: Path) -> None:
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)


def overwrite_with_garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def replace_with_text(path: Path) -> None:
    path.write_text("this is not a database\n")


def damage_a_middle_page(path: Path, table: str = "messages") -> None:
    """Scribble over one leaf page of a table, in the middle of the file."""
    db = sqlite3.connect(path)
    (page_size,) = db.execute("PRAGMA page_size").fetchone()
    leaves = [
        row[0]
        for row in db.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
            (table,),
        )
    ]
    db.close()
    assert len(leaves) >= 3, "the cache is too small for a page in the middle"
    page = leaves[len(leaves) // 2]
    with path.open("r+b") as file:
        file.seek((page - 1) * page_size)
        file.write(b"\xa5" * page_size)


DAMAGE = {
    "truncated": truncate,
    "garbage": overwrite_with_garbage,
    "not-a-database": replace_with_text,
    "middle-page": damage_a_middle_page,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_cache_is_set_aside_rebuilt_and_the_offline_queue_kept(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path, damage: str
) -> None:
    dovecot.deliver(
        mail_user, [make_message(i, subject=f"M{i}", body="x" * 300) for i in range(300)]
    )
    assert cli("sync").returncode == 0
    uids = [row["uid"] for row in json.loads(cli("list", "--json").stdout)]
    # Offline: a flag is queued (the server is out of reach).
    queued = cli("flag", str(uids[5]), offline=True)
    assert queued.returncode == 0, queued.stderr
    assert b"\\Flagged" not in server_flags(dovecot, mail_user, "INBOX")[uids[5]]

    path = cache_file(tmp_path)
    DAMAGE[damage](path)
    before = path.read_bytes()

    synced = cli("sync")
    assert "internal error" not in synced.stderr
    assert synced.returncode == 0, synced.stderr
    assert "set aside" in synced.stderr and "rebuilt from the server" in synced.stderr
    (kept,) = (p for p in path.parent.glob(f"{path.name}.damaged-*") if p.name[-4:-3] != "-")
    assert kept.read_bytes() == before  # the user's file, untouched
    listed = json.loads(cli("list", "--json", "--limit", "1000").stdout)
    assert sorted(row["uid"] for row in listed) == sorted(server_flags(dovecot, mail_user, "INBOX"))
    # The queued action reached the server after the rebuild.
    assert b"\\Flagged" in server_flags(dovecot, mail_user, "INBOX")[uids[5]]
    assert next(r for r in listed if r["uid"] == uids[5])["flagged"] is True


def test_pending_rows_of_an_old_cache_move_to_the_queue_file(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    """A cache of the old layout (schema 2) kept the queue inside: it is moved out."""
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i}") for i in range(3)])
    assert cli("sync").returncode == 0
    uid = json.loads(cli("list", "--json").stdout)[0]["uid"]
    path = cache_file(tmp_path)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE pending_actions (id INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT)")
    action = {"kind": "flag", "folder": "INBOX", "uids": [uid], "flag": "\\Flagged", "on": True,
              "destination": "", "message_ids": []}  # fmt: skip
    db.execute("INSERT INTO pending_actions (action) VALUES (?)", (json.dumps(action),))
    db.execute("ALTER TABLE folders DROP COLUMN partial_uidvalidity")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()

    assert cli("sync").returncode == 0
    assert b"\\Flagged" in server_flags(dovecot, mail_user, "INBOX")[uid]
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    assert "pending_actions" not in tables
