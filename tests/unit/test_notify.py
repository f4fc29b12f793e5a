"""New-mail notification: what runs, with what, and that message text cannot run anything."""

from __future__ import annotations

import shlex
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tui_mail.config import AccountConfig, load_config, save_config
from tui_mail.core.account.notify import Notifier, notification_text
from tui_mail.core.errors import ConfigError
from tui_mail.core.models import Flag, MessageSummary

HOSTILE = "$(touch pwned) `touch pwned2`; touch pwned3 \x1b]0;title\x07"


def summary(subject: str, sender: str = "Ada") -> MessageSummary:
    return MessageSummary(
        uid=1, date=0, from_name=sender, from_addr="ada@example.org", to="", cc="",
        subject=subject, message_id="", in_reply_to="", references="", size=1,
        flags=Flag.NONE,
    )  # fmt: skip


def account(**changes: object) -> AccountConfig:
    return replace(AccountConfig(name="work", email="me@example.org"), **changes)  # type: ignore[arg-type]


def test_the_hook_gets_sender_and_subject_in_its_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "seen"
    script = (
        "import os, sys; open(sys.argv[1], 'w').write("
        "os.environ['TUI_MAIL_FROM'] + '|' + os.environ['TUI_MAIL_SUBJECT'] + '|' + "
        "os.environ['TUI_MAIL_COUNT'] + '|' + os.environ['TUI_MAIL_ACCOUNT'])"
    )
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} {shlex.quote(str(out))}"
    notifier = Notifier(account(new_mail_command=command, notify=()), which=lambda _n: None)
    monkeypatch.chdir(tmp_path)  # where a successful injection would create its files
    threads = notifier.new_mail("INBOX", [summary(HOSTILE, "Eve"), summary("older")])
    for thread in threads:
        thread.join(10)
    sender, subject, count, name = out.read_text().split("|")
    assert (sender, count, name) == ("Eve", "2", "work")
    assert "touch pwned" in subject and "\x1b" not in subject and "\x07" not in subject
    assert not any(tmp_path.glob("pwned*"))


def test_bell_and_desktop_as_configured(tmp_path: Path) -> None:
    rings: list[int] = []
    log = tmp_path / "args"
    fake = tmp_path / "notify-send"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {shlex.quote(str(log))}\n')
    fake.chmod(0o755)
    notifier = Notifier(account(), bell=lambda: rings.append(1), which=lambda _n: str(fake))
    for thread in notifier.new_mail("INBOX", [summary("Lunch?")]):
        thread.join(10)
    assert rings == [1]
    assert log.read_text().splitlines() == ["--app-name=tui-mail", "New mail (work)", "Ada: Lunch?"]

    quiet = Notifier(account(notify=()), bell=lambda: rings.append(1), which=lambda _n: str(fake))
    assert quiet.new_mail("INBOX", [summary("x")]) == []
    assert rings == [1]


def test_notification_text_is_one_clean_line() -> None:
    title, body = notification_text("work", "Lists", [summary("a\nb\x1b[31m"), summary("c")])
    assert title == "2 new messages (work / Lists)"
    assert "\n" not in body and "\x1b" not in body


BASE = """
[[accounts]]
name = "work"
email = "me@example.org"
[accounts.imap]
host = "imap.example.org"
"""


def test_watching_settings_are_read_saved_and_bad_ones_explained(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        BASE.replace(
            'email = "me@example.org"',
            'email = "me@example.org"\nidle_folders = ["Lists"]\nidle_interval_minutes = 5\n'
            'poll_interval_seconds = 30\nnew_mail_command = "notify-me"\nnotify = ["bell"]',
        )
    )
    loaded = load_config(path).accounts[0]
    assert loaded.idle_folders == ("Lists",)
    assert (loaded.idle_interval_minutes, loaded.poll_interval_seconds) == (5, 30)
    assert (loaded.new_mail_command, loaded.notify) == ("notify-me", ("bell",))
    save_config(load_config(path))
    assert load_config(path).accounts[0] == loaded

    path.write_text(
        BASE.replace('email = "me@example.org"', 'email = "me@example.org"\nnotify = ["beep"]')
    )
    with pytest.raises(ConfigError, match=r'account "work": notify is .*"bell" and "desktop"'):
        load_config(path)
    path.write_text(
        BASE.replace(
            'email = "me@example.org"', 'email = "me@example.org"\nidle_interval_minutes = 45'
        )
    )
    with pytest.raises(ConfigError, match=r"idle_interval_minutes .* from 1 to 29"):
        load_config(path)
