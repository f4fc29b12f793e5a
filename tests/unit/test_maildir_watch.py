"""New mail picked up live: another process delivers, the watcher says which folder changed."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.dovecot import make_message
from tui_mail.config import AccountConfig
from tui_mail.core.account.service import AccountService
from tui_mail.core.maildir.backend import MaildirBackend
from tui_mail.core.maildir.watch import MaildirWatcher

# What a delivery agent (or mbsync) does: write into tmp/, then rename into new/.
DELIVER = """
import os, sys
folder, name = sys.argv[1], sys.argv[2]
with open(os.path.join(folder, "tmp", name), "wb") as stream:
    stream.write(sys.stdin.buffer.read())
os.rename(os.path.join(folder, "tmp", name), os.path.join(folder, "new", name))
"""


def deliver_from_another_process(folder: Path, name: str, message: bytes) -> None:
    subprocess.run(
        [sys.executable, "-c", DELIVER, str(folder), name], input=message, check=True, timeout=30
    )


class Changes:
    """Collects the watcher's callbacks; `wait_for` blocks until a folder is reported."""

    def __init__(self) -> None:
        self.folders: list[str] = []
        self._changed = threading.Condition()

    def __call__(self, folder: str) -> None:
        with self._changed:
            self.folders.append(folder)
            self._changed.notify_all()

    def wait_for(self, folder: str, timeout: float = 15.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: folder in self.folders, timeout=timeout)


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    root = tmp_path / "Mail"
    for folder in (root, root / ".Lists.python"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True)
    return root


@pytest.mark.parametrize("polling", [False, True], ids=["inotify", "polling"])
async def test_a_file_dropped_by_another_process_is_reported_and_then_synced(
    maildir: Path, tmp_path: Path, polling: bool
) -> None:
    account = AccountConfig(name="local", email="me@example.org", type="maildir", path=maildir)
    data = tmp_path / "data"
    service = AccountService(
        account, data, backend_factory=lambda a, _s: MaildirBackend(a, data_dir=data)
    )
    await service.sync("INBOX")
    changes = Changes()
    try:
        with MaildirWatcher(maildir, changes, debounce=0.05, polling=polling, poll_interval=0.2):
            deliver_from_another_process(
                maildir, "1800000000.M1P9.other", make_message(1, subject="Live delivery")
            )
            assert changes.wait_for("INBOX"), f"no change reported; got {changes.folders}"
            result = await service.sync("INBOX")
            assert result.new_uids and [m.subject for m in service.messages("INBOX")] == [
                "Live delivery"
            ]

            deliver_from_another_process(
                maildir / ".Lists.python", "1800000001.M2P9.other", make_message(2)
            )
            assert changes.wait_for("Lists/python")
    finally:
        await service.close()
    assert "tmp" not in changes.folders  # work in progress in tmp/ is not news


def test_a_burst_of_deliveries_is_reported_once_and_stop_ends_the_threads(maildir: Path) -> None:
    changes = Changes()
    watcher = MaildirWatcher(maildir, changes, debounce=0.3)
    watcher.start()
    try:
        for i in range(20):
            (maildir / "tmp" / f"{i}.M{i}P1.h").write_bytes(make_message(i))
            (maildir / "tmp" / f"{i}.M{i}P1.h").rename(maildir / "new" / f"{i}.M{i}P1.h")
        assert changes.wait_for("INBOX")
    finally:
        watcher.stop()
    assert changes.folders.count("INBOX") <= 2  # debounced, not one call per file
    assert not [t for t in threading.enumerate() if t.name == "maildir-watch-report"]
    watcher.stop()  # a second stop is harmless


def test_a_stop_before_the_start_keeps_the_start_from_beginning_threads(maildir: Path) -> None:
    """A quit can reach the watcher before the UI's thread has started it: the late start
    must not leave threads running that nobody will stop."""
    before = {t.ident for t in threading.enumerate()}
    watcher = MaildirWatcher(maildir, Changes(), debounce=0.05)
    watcher.stop()
    watcher.start()
    assert [t.name for t in threading.enumerate() if t.ident not in before] == []
