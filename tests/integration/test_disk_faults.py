"""A full disk and a read-only cache, on real file systems: a tiny tmpfs as the data dir.

Each case runs the real CLI and checks what the user reads (a sentence, an exit code, no
"internal error"), that nothing typed is lost, and that the cache is left consistent
(SQLite's integrity_check) and converges once there is room again.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.test_cli import config_text
from tests.support.accounts import server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.config import load_config
from tui_mail.core.account.service import cache_path
from tui_mail.core.store.cache import Store

Run = Callable[..., subprocess.CompletedProcess[str]]


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs: room for a small cache, not for 3,000 message headers. (A first
    sync of 5 messages peaks at about 350 KiB with its WAL, before the checkpoint at the
    close folds it into the file: 384 KiB left the outbox no room.)"""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(mountpoint))
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {error}")
    yield mountpoint
    subprocess.run(["umount", "-l", str(mountpoint)], check=False)


@pytest.fixture
def cli(tmp_path: Path, disk: Path, dovecot: DovecotServer, mail_user: MailUser) -> Run:
    secret_file = tmp_path / "secret"
    secret_file.write_text(mail_user.password + "\n")
    config = tmp_path / "config.toml"
    config.write_text(config_text(dovecot, mail_user, secret_file))

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(disk / "d"))
        env.pop("TUI_MAIL_DEBUG", None)
        return subprocess.run(
            [sys.executable, "-m", "tui_mail", *args], input=stdin,
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip

    return run


def fill(disk: Path) -> None:
    """Take every free byte of the tmpfs."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                os.write(fd, b"\0" * 4096)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                break
    finally:
        os.close(fd)


def integrity(path: Path) -> str:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def cache_file(disk: Path) -> Path:
    (found,) = (disk / "d" / "cache").glob("*.sqlite3")
    return found


def assert_a_sentence(result: subprocess.CompletedProcess[str]) -> None:
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr


def test_sync_stops_cleanly_on_a_full_disk_and_converges_after(
    cli: Run, disk: Path, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i}") for i in range(3000)])
    synced = cli("sync")
    assert_a_sentence(synced)
    assert synced.returncode == 1, synced.stderr
    assert "is full" in synced.stderr and "free some space" in synced.stderr
    assert integrity(cache_file(disk)) == "ok"
    assert not list((disk / "d" / "cache").glob("*.new"))  # no half-written file left

    _mount("-o", "remount,size=64m", str(disk))
    again = cli("sync")
    assert again.returncode == 0, again.stderr
    listed = json.loads(cli("list", "--json", "--limit", "5000").stdout)
    assert sorted(r["uid"] for r in listed) == sorted(server_flags(dovecot, mail_user, "INBOX"))


def test_send_on_a_completely_full_disk_gives_the_message_back(cli: Run, disk: Path) -> None:
    fill(disk)
    typed = "The text I typed and must not lose.\nSecond line.\n"
    sent = cli("send", "--to", "friend@example.test", "--subject", "Keep me", stdin=typed)
    assert_a_sentence(sent)
    assert sent.returncode == 1
    assert "is full" in sent.stderr
    assert "not sent" in sent.stderr and "here it is" in sent.stderr
    assert "Subject: Keep me" in sent.stdout
    assert "The text I typed and must not lose." in sent.stdout
    assert "friend@example.test" in sent.stdout


def read_only(directory: Path) -> None:
    _mount("--bind", str(directory), str(directory))
    _mount("-o", "remount,bind,ro", str(directory))


def test_read_only_cache_is_said_in_words_and_kept(
    cli: Run, disk: Path, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i}") for i in range(5)])
    assert cli("sync").returncode == 0
    path = cache_file(disk)
    before = path.read_bytes()
    read_only(path.parent)
    try:
        for command in (("sync",), ("list",), ()):  # () is the TUI: it stops before starting
            result = cli(*command)
            assert_a_sentence(result)
            assert result.returncode == 2, result.stderr
            assert "cannot be written" in result.stderr and "nothing was deleted" in result.stderr
        # send: the cache cannot be opened, but the outbox can: the message waits there.
        sent = cli("send", "--to", "friend@example.test", "--subject", "Later", stdin="Hi\n")
        assert_a_sentence(sent)
        assert "waits in the outbox" in sent.stderr
        (entry,) = (disk / "d" / "outbox").glob("*/*.eml")
        assert b"Subject: Later" in entry.read_bytes()
    finally:
        subprocess.run(["umount", str(path.parent)], check=False)
    assert path.read_bytes() == before
    assert not list(path.parent.glob("*.damaged-*"))


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_by_permissions_for_a_normal_user(
    dovecot: DovecotServer, mail_user: MailUser, what: str
) -> None:
    """chmod a-w on the cache file or its folder, for a user who is not root (root writes
    anyway): said in words, exit 2, the file kept."""
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to run the CLI as an unprivileged user")
    nobody = 65534
    home = Path(tempfile.mkdtemp(prefix="tui-mail-ro-"))
    try:
        home.chmod(0o755)
        secret = home / "secret"
        secret.write_text(mail_user.password + "\n")
        config = home / "config.toml"
        config.write_text(config_text(dovecot, mail_user, secret, ca_file=""))
        data = home / "d"
        env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(data))
        env.pop("TUI_MAIL_DEBUG", None)
        # A cache made by root's run, then handed to the user.
        store = Store(cache_path(data, load_config(config).account(None)))
        store.ensure_folder("INBOX")
        store.close()
        for path in [home, *home.rglob("*")]:
            os.chown(path, nobody, nobody)
        (cache,) = (data / "cache").glob("*.sqlite3")
        (cache if what == "file" else cache.parent).chmod(0o444 if what == "file" else 0o555)
        before = cache.read_bytes()
        result = subprocess.run(
            ["setpriv", f"--reuid={nobody}", f"--regid={nobody}", "--clear-groups",
             sys.executable, "-m", "tui_mail", "list"],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
        assert_a_sentence(result)
        assert result.returncode == 2, result.stderr
        assert "cannot be written" in result.stderr and "nothing was deleted" in result.stderr
        assert cache.read_bytes() == before
    finally:
        for path in [home, *home.rglob("*")]:
            path.chmod(0o700)
        shutil.rmtree(home, ignore_errors=True)
