"""Private by default: what tui-mail keeps is readable by the user alone (0700 folders, 0600
files) whatever the umask; an older, looser data directory is tightened on start with a
note; a config file others can write is refused."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_mail.config import AccountConfig, AppConfig, ServerConfig, load_config, save_config
from tui_mail.core.account.service import cache_path
from tui_mail.core.auth.credentials import write_secret_file
from tui_mail.core.discovery.account import default_pop3_path
from tui_mail.core.errors import ConfigError
from tui_mail.core.maildir.index import UidIndex
from tui_mail.core.maildir.layout import deliver, make_maildir
from tui_mail.core.sending.compose import Draft
from tui_mail.core.sending.outbox import Outbox
from tui_mail.core.store.cache import Store

ACCOUNT = AccountConfig(
    name="work",
    email="me@example.org",
    imap=ServerConfig("imap.example.org", 993, "tls"),
    password_command="true",
)
MESSAGE = b"From: a@example.org\r\nSubject: Hi\r\n\r\nBody\r\n"


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """Debian's default: new files 0644 and folders 0755 unless the code says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def open_to_others(root: Path) -> list[str]:
    """Every folder and file under `root` (itself included) that group or others may use."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if mode & 0o077:
            found.append(f"{path.relative_to(root.parent)} {stat.filemode(mode)}")
    return found


def test_everything_tui_mail_writes_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store(cache_path(data, ACCOUNT))
    store.ensure_folder("INBOX")  # a write: SQLite makes the -wal and -shm files
    Outbox.for_account(data, ACCOUNT).add(
        MESSAGE, sender="me@example.org", recipients=["a@example.org"], subject="Hi",
        message_id="<m@example.org>",
    )  # fmt: skip
    from tui_mail.ui.draft_autosave import DraftAutosave  # noqa: PLC0415

    draft = Draft("me@example.org", to="a@example.org", body="secret plans")
    DraftAutosave(DraftAutosave.directory_for(data, ACCOUNT), draft).save(draft)
    pop3 = default_pop3_path("work", data)
    make_maildir(pop3, marker=False)
    deliver(pop3, MESSAGE)
    index = UidIndex(data / "local" / "work.sqlite3", pop3)
    save_config(AppConfig(tmp_path / "config" / "tui-mail" / "config.toml", (ACCOUNT,)))
    write_secret_file(tmp_path / "secrets" / "work" / "password", "hunter2")
    from tui_mail.ui.app import MailApp  # noqa: PLC0415

    MailApp(AppConfig(tmp_path / "config.toml", ()), data_dir=data)._save_state(theme="nord")

    wal = store.path.with_name(store.path.name + "-wal")
    assert wal.exists() and wal.with_name(store.path.name + "-shm").exists()
    assert (data / "ui-state.json").exists()
    assert open_to_others(data) == []
    assert open_to_others(tmp_path / "config") == []
    assert open_to_others(tmp_path / "secrets") == []
    store.close()
    index.close()


def loose_old_layout(data: Path) -> list[Path]:
    """What an older tui-mail left under the usual umask: 0755 folders, 0644 files."""
    made = [
        data / "cache" / "work-1234.sqlite3",
        data / "cache" / "work-1234.sqlite3-wal",
        data / "outbox" / "work-1234" / "1.eml",
        data / "pop3" / "work" / "cur" / "1.host:2,S",
        data / "ui-state.json",
    ]
    for path in made:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(MESSAGE)
    return made


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_mail", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def write_config(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[[accounts]]\nname = "work"\nemail = "me@example.org"\npassword_command = "true"\n'
        '[accounts.imap]\nhost = "imap.example.org"\n'
    )
    return path


def test_start_tightens_an_older_looser_data_and_config_dir_and_says_so(tmp_path: Path) -> None:
    data = tmp_path / "share" / "tui-mail"
    loose_old_layout(data)
    config = write_config(tmp_path / "xdg" / "tui-mail" / "config.toml")
    assert len(open_to_others(data)) == 12 and len(open_to_others(config.parent)) == 2
    env = dict(os.environ, TUI_MAIL_DATA_DIR=str(data), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    env.pop("TUI_MAIL_CONFIG", None)

    first = run_cli("accounts", env=env)

    assert first.returncode == 0, first.stderr
    assert first.stderr.splitlines() == [
        f"tui-mail: made 5 files and 7 folders under {data} private (mode 0700/0600): "
        "they were readable by other users of this computer",
        f"tui-mail: made {config.parent}, {config} private: other users could read it",
    ]
    assert open_to_others(data) == []
    assert open_to_others(config.parent) == []
    assert "work" in first.stdout

    again = run_cli("accounts", env=env)
    assert again.returncode == 0 and again.stderr == ""


@pytest.mark.parametrize("loose", ["file", "folder"])
def test_a_config_others_can_write_is_refused_with_the_fix(tmp_path: Path, loose: str) -> None:
    config = write_config(tmp_path / "conf" / "config.toml")
    marker = tmp_path / "ran"
    config.write_text(config.read_text().replace('"true"', f'"touch {marker}"'))
    weak = config if loose == "file" else config.parent
    weak.chmod(0o666 if loose == "file" else 0o777)

    with pytest.raises(ConfigError) as raised:
        load_config(config)
    assert str(raised.value) == (
        f"{weak} is writable by others, and the configuration runs commands "
        f"(password_command); refusing to use it. Run: chmod go-w {weak}"
    )

    env = dict(os.environ, TUI_MAIL_DATA_DIR=str(tmp_path / "data"))
    refused = run_cli("--config", str(config), "sync", env=env)
    assert refused.returncode == 2
    assert refused.stderr == f"tui-mail: {raised.value}\n"
    assert not marker.exists()

    weak.chmod(0o644 if loose == "file" else 0o755)  # what the message says to run: go-w
    assert load_config(config).accounts[0].name == "work"


def test_a_config_symlink_is_judged_by_the_file_it_points_at(tmp_path: Path) -> None:
    real = write_config(tmp_path / "dotfiles" / "tui-mail.toml")
    real.chmod(0o646)
    link = tmp_path / "conf" / "config.toml"
    link.parent.mkdir()
    link.symlink_to(real)

    with pytest.raises(ConfigError, match=f"Run: chmod go-w {real}$"):
        load_config(link)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another group needs root")
def test_group_write_is_fine_only_for_the_users_own_private_group(tmp_path: Path) -> None:
    """A umask of 002 with user private groups (Debian's user-group-modes, as in ssh)."""
    config = write_config(tmp_path / "conf" / "config.toml")
    config.chmod(0o664)
    os.chown(config, -1, 0)  # root's own group, nobody else in it
    assert load_config(config).accounts[0].name == "work"

    os.chown(config, -1, 1)  # "daemon": another group
    with pytest.raises(ConfigError, match=f"{config} is writable by others"):
        load_config(config)

    os.chown(config, 1, 0)  # another user's file
    config.chmod(0o644)
    with pytest.raises(ConfigError, match=f"{config} belongs to another user"):
        load_config(config)
