"""Kill -9 at random moments: the cache converges to exactly the server's UIDs and flags.

A real `python -m tui_mail sync` process is killed (SIGKILL) at a seeded random moment,
again and again, while another client expunges, moves, appends and flags messages
between the runs. After every run the cache passes SQLite's integrity check; after a last
uninterrupted sync its UID set and flags equal the server's (UID SEARCH ALL + FETCH FLAGS).

`make test` runs a few iterations; `make test-faults-long` runs many
(TUI_MAIL_FAULT_ITERATIONS, TUI_MAIL_FAULT_SEED).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.test_cli import config_text
from tests.integration.test_sync_resume import server_state
from tests.support.accounts import other_client
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.core.store.cache import Store

ITERATIONS = int(os.environ.get("TUI_MAIL_FAULT_ITERATIONS", "6"))
SEED = int(os.environ.get("TUI_MAIL_FAULT_SEED", "1214"))
MESSAGES = 12000


def cache_state(path: Path, folder: str = "INBOX") -> dict[int, tuple[int, str]]:
    store = Store(path)
    try:
        folder_id = store.folder_id(folder)
        return {m.uid: (int(m.flags), " ".join(m.keywords)) for m in store.summaries(folder_id)}
    finally:
        store.close()


def forget(cache: Path) -> None:
    """Delete the cache with its WAL files (a WAL left alone would be replayed)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{cache}{suffix}").unlink(missing_ok=True)


def integrity(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def meddle(server: DovecotServer, user: MailUser, rng: random.Random, round_: int) -> str:
    """What another client does between two runs: expunge, move, append, flag."""
    client = other_client(server, user)
    try:
        client.select_folder("INBOX")
        uids = client.search(["ALL"])
        done = []
        if uids:
            # Half among the newest (what a first pass caches first, and what people
            # delete most), half anywhere.
            newest = uids[-400:]
            gone = set(rng.sample(newest, min(len(newest), rng.randint(1, 20))))
            gone |= set(rng.sample(uids, min(len(uids), rng.randint(1, 20))))
            client.delete_messages(sorted(gone))
            client.expunge()
            done.append(f"expunged {len(gone)}")
            uids = sorted(set(uids) - set(gone))
        if uids:
            moving = rng.sample(uids, min(len(uids), rng.randint(1, 20)))
            client.move(moving, "Archive")
            done.append(f"moved {len(moving)}")
            uids = sorted(set(uids) - set(moving))
        if uids:
            flagging = rng.sample(uids, min(len(uids), rng.randint(1, 50)))
            client.add_flags(flagging, [b"\\Flagged", b"$Label1"])
            seen = rng.sample(uids, min(len(uids), rng.randint(1, 50)))
            client.add_flags(seen, [b"\\Seen"])
            unseen = rng.sample(uids, min(len(uids), rng.randint(1, 20)))
            client.remove_flags(unseen, [b"\\Seen"])
            done.append("flagged")
        for i in range(rng.randint(0, 15)):
            client.append("INBOX", make_message(100_000 + round_ * 100 + i, subject=f"R{round_}"))
        return ", ".join(done)
    finally:
        client.logout()


@pytest.mark.faults
def test_sync_killed_at_random_moments_converges_to_the_server(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    dovecot.create_folder(mail_user, "Archive")
    dovecot.deliver(mail_user, [make_message(i) for i in range(MESSAGES)])
    secret = tmp_path / "secret"
    secret.write_text(mail_user.password + "\n")
    config = tmp_path / "config.toml"
    config.write_text(config_text(dovecot, mail_user, secret))
    data = tmp_path / "d"
    env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(data))
    command = [sys.executable, "-m", "tui_mail", "sync"]

    # How long a whole first sync takes, measured on the second one (the first builds
    # Dovecot's own cache): kills are spread over that time.
    for _ in range(2):
        started = time.monotonic()
        baseline = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        assert baseline.returncode == 0, baseline.stderr
        whole = time.monotonic() - started
        (cache,) = (data / "cache").glob("*.sqlite3")
        forget(cache)  # the loop starts from an empty cache

    log = []
    for round_ in range(ITERATIONS):
        if round_ % 4 == 3:  # now and then a first sync again
            forget(cache)
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        delay = rng.uniform(0.05, whole * 1.1) if round_ % 2 else rng.uniform(0.3, 0.9) * whole
        try:
            process.wait(delay)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        stderr = process.stderr.read() if process.stderr else ""
        if process.returncode not in (0, -signal.SIGKILL):
            pytest.fail(f"round {round_}: sync failed ({process.returncode}): {stderr}")
        if cache.exists():
            assert integrity(cache) == "ok", f"round {round_}"
        log.append(f"{round_}: killed after {delay:.2f}s rc={process.returncode}; "
                   + meddle(dovecot, mail_user, rng, round_))  # fmt: skip

    if os.environ.get("TUI_MAIL_FAULT_LOG"):
        Path(os.environ["TUI_MAIL_FAULT_LOG"]).write_text("\n".join(log) + "\n")
    final = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    assert integrity(cache) == "ok"
    cached, on_server = cache_state(cache), server_state(dovecot, mail_user)
    assert set(cached) == set(on_server), "\n".join(log)
    assert cached == on_server, "\n".join(log)
