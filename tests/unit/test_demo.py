"""`tui-mail --demo`: a realistic local mailbox with no config file and no server."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tui_mail import cli
from tui_mail.config import AppConfig
from tui_mail.core.demo import demo_config, ensure_demo_maildir


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        TUI_MAIL_DATA_DIR=str(data_dir),
        TUI_MAIL_CONFIG=str(data_dir / "no-such-config.toml"),  # proves none is needed
    )
    return subprocess.run(
        [sys.executable, "-m", "tui_mail", "--demo", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_list_and_read_the_demo_headless(tmp_path: Path) -> None:
    listed = run_cli(tmp_path, "list", "--limit", "5", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 5
    assert (
        rows[0]["subject"]
        == "[tui-mail] Stream FETCH responses instead of buffering them (PR #480)"
    )
    assert any(row["unread"] for row in rows)

    plain = run_cli(tmp_path, "list", "--limit", "5")
    assert plain.returncode == 0 and "Invitation: Design review" in plain.stdout

    found = run_cli(tmp_path, "search", "--json", "subject:Quarterly", "is:flagged")
    (thread_start,) = json.loads(found.stdout)
    assert thread_start["from"] == "Zoë Ångström" and thread_start["has_attachment"]
    read = run_cli(tmp_path, "read", str(thread_start["uid"]))
    assert read.returncode == 0, read.stderr
    assert "Subject: Quarterly planning: draft agenda" in read.stdout
    assert "From: Zoë Ångström <zoe@example.org>" in read.stdout
    assert "I put together a first agenda" in read.stdout
    assert ".pdf" in read.stdout  # the attachment is listed

    folders = run_cli(tmp_path, "folders", "--json")
    by_name = {f["name"]: f for f in json.loads(folders.stdout)}
    assert {"INBOX", "Sent", "Drafts", "Archive", "Trash", "Lists/python-dev"} <= set(by_name)
    assert by_name["Trash"]["role"] == "trash" and by_name["Sent"]["role"] == "sent"
    assert sum(f["total"] or 0 for f in by_name.values()) >= 250


def test_the_demo_has_what_a_real_mailbox_has(tmp_path: Path) -> None:
    root = ensure_demo_maildir(tmp_path)
    messages = [
        (path, email.message_from_bytes(path.read_bytes(), policy=default_policy))
        for path in root.rglob("*")
        if path.is_file() and path.parent.name in ("cur", "new")
    ]
    assert len(messages) >= 250
    subjects = {str(m["Subject"]) for _p, m in messages}
    senders = {str(m["From"]) for _p, m in messages}
    assert "Re: 会議の議事録 (meeting notes)" in subjects
    assert any("Дмитрий" in s for s in senders) and any("Ångström" in s for s in senders)
    replies = [m for _p, m in messages if m["In-Reply-To"]]
    ids = {str(m["Message-ID"]) for _p, m in messages}
    assert len(replies) >= 40
    assert all(str(m["In-Reply-To"]) in ids for m in replies)  # threads hold together
    html_only = [m for _p, m in messages if m.get_content_type() == "text/html"]
    assert len(html_only) >= 10
    attachment_names = {part.get_filename() for _p, m in messages for part in m.iter_attachments()}
    assert {"Übersicht Q4.pdf", "議事録.txt", "invite.ics", "boat.png"} <= attachment_names
    flags = [path.name.rpartition(":2,")[2] for path, _m in messages]
    assert sum("F" in f for f in flags) >= 5
    assert sum("S" not in f for f in flags) >= 20  # unread, some still in new/
    assert any(path.parent.name == "new" for path, _m in messages)


def test_the_demo_is_created_once_and_the_same_every_time(tmp_path: Path) -> None:
    first = ensure_demo_maildir(tmp_path / "a")
    second = ensure_demo_maildir(tmp_path / "b")

    def contents(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert contents(first) == contents(second)
    marker = next((first / "cur").iterdir())
    marker.rename(marker.with_name(marker.name + "F"))  # the user's changes are kept
    assert ensure_demo_maildir(tmp_path / "a") == first
    assert (first / "cur" / (marker.name + "F")).exists()


def test_demo_without_a_command_opens_the_app_on_the_demo_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUI_MAIL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TUI_MAIL_CONFIG", str(tmp_path / "missing.toml"))
    opened: list[AppConfig] = []

    def fake_run(
        config: AppConfig, *, account: str | None, folder: str | None, prepared: object
    ) -> int:
        assert prepared is None  # local mail gets no head start
        opened.append(config)
        return 0

    monkeypatch.setattr("tui_mail.ui.app.run", fake_run)
    assert cli.main(["--demo"]) == 0
    (config,) = opened
    account = config.accounts[0]
    assert (account.name, account.type) == ("demo", "maildir")
    assert account.path is not None and (account.path / "cur").is_dir()
    assert config == demo_config(tmp_path)


def test_sending_in_the_demo_files_the_message_and_says_nothing_left(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        TUI_MAIL_DATA_DIR=str(tmp_path),
        TUI_MAIL_CONFIG=str(tmp_path / "no-such-config.toml"),
    )
    sent = subprocess.run(
        [sys.executable, "-m", "tui_mail", "--demo", "send", "--to", "zoe@example.org",
         "--subject", "Lunch on Friday?"],
        input="Shall we try the new place?\n",
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert "nothing left the machine" in sent.stderr
    assert "filed in Sent" in sent.stderr

    listed = run_cli(tmp_path, "list", "-f", "Sent", "--json")
    newest = json.loads(listed.stdout)[0]
    assert newest["subject"] == "Lunch on Friday?"
    read = run_cli(tmp_path, "read", "-f", "Sent", str(newest["uid"]))
    assert "To: zoe@example.org" in read.stdout and "Shall we try the new place?" in read.stdout
    outbox = run_cli(tmp_path, "outbox", "--json")
    assert json.loads(outbox.stdout) == []  # nothing waits to be "sent" again
