"""The headless CLI, run as a user's script would run it: a subprocess with a config file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.test_counts import status as folder_status
from tests.support.accounts import server_flags, server_subjects
from tests.support.dovecot import DovecotServer, MailUser, make_message

Run = Callable[..., subprocess.CompletedProcess[str]]


def config_text(
    server: DovecotServer, user: MailUser, secret_file: Path, **overrides: object
) -> str:
    settings: dict[str, object] = {
        "host": "localhost", "port": server.imaps_port, "security": "tls",
        "ca_file": str(server.ca_pem),
    }  # fmt: skip
    settings.update(overrides)
    ca = f'ca_file = "{settings["ca_file"]}"\n' if settings["ca_file"] else ""
    return (
        "[[accounts]]\n"
        'name = "work"\n'
        f'email = "{user.name}@example.test"\n'
        f'username = "{user.name}"\n'
        f'password_command = "cat {secret_file}"\n'
        f"{ca}"
        "[accounts.imap]\n"
        f'host = "{settings["host"]}"\n'
        f"port = {settings['port']}\n"
        f'security = "{settings["security"]}"\n'
    )


@pytest.fixture
def cli(tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser) -> Run:
    secret_file = tmp_path / "secret"
    secret_file.write_text(mail_user.password + "\n")
    config = tmp_path / "config.toml"
    config.write_text(config_text(dovecot, mail_user, secret_file))

    def run(*args: str, config_override: str | None = None) -> subprocess.CompletedProcess[str]:
        if config_override is not None:
            config.write_text(config_override)
        env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(tmp_path / "d"))
        return subprocess.run(
            [sys.executable, "-m", "tui_mail", *args],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip

    run.secret_file = secret_file  # type: ignore[attr-defined]
    return run


def test_sync_list_read_and_triage(cli: Run, dovecot: DovecotServer, mail_user: MailUser) -> None:
    dovecot.deliver(mail_user, [
        make_message(1, subject="Hello there", body="First body line."),
        make_message(2, subject="Second"),
    ])  # fmt: skip
    synced = cli("sync")
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith("INBOX: 2 messages (2 unread); 2 new")

    listed = cli("list", "--json", "--limit", "5")
    rows = json.loads(listed.stdout)
    assert [r["subject"] for r in rows] == ["Second", "Hello there"]
    first_uid = rows[1]["uid"]
    assert rows[1]["unread"] is True

    read = cli("read", str(first_uid))
    assert read.returncode == 0, read.stderr
    assert "Subject: Hello there" in read.stdout
    assert "First body line." in read.stdout
    assert b"\\Seen" in server_flags(dovecot, mail_user, "INBOX")[first_uid]

    assert cli("flag", str(first_uid)).returncode == 0
    assert b"\\Flagged" in server_flags(dovecot, mail_user, "INBOX")[first_uid]
    assert cli("mark-unread", str(first_uid)).returncode == 0
    assert b"\\Seen" not in server_flags(dovecot, mail_user, "INBOX")[first_uid]
    unread = cli("list", "--unread")
    assert "Hello there" in unread.stdout

    found = cli("search", "subject:second", "--json")
    assert [r["subject"] for r in json.loads(found.stdout)] == ["Second"]

    moved = cli("move", str(first_uid), "--to", "Archive")
    assert moved.returncode == 0, moved.stderr
    assert server_subjects(dovecot, mail_user, "Archive") == ["Subject: Hello there"]
    assert cli("delete", str(rows[0]["uid"])).returncode == 0
    assert server_subjects(dovecot, mail_user, "Trash") == ["Subject: Second"]

    folders = cli("folders", "--json")
    by_name = {f["name"]: f for f in json.loads(folders.stdout)}
    assert by_name["Trash"]["total"] == 1 and by_name["Trash"]["role"] == "trash"


def test_list_syncs_a_folder_never_synced(cli: Run, dovecot: DovecotServer,
                                          mail_user: MailUser) -> None:  # fmt: skip
    dovecot.deliver(mail_user, [make_message(i, subject=f"n{i}") for i in range(3)])
    listed = cli("list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[-1] for line in listed.stdout.splitlines()] == ["n2", "n1", "n0"]


def test_wrong_password_exits_4_and_never_prints_it(cli: Run) -> None:
    cli.secret_file.write_text("hunter2-wrong\n")  # type: ignore[attr-defined]
    result = cli("sync")
    assert result.returncode == 4
    assert "rejected the login" in result.stderr
    assert "hunter2-wrong" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_connection_errors_exit_3(cli: Run, dovecot: DovecotServer, mail_user: MailUser,
                                  tmp_path: Path) -> None:  # fmt: skip
    secret = cli.secret_file  # type: ignore[attr-defined]
    refused = cli("sync", config_override=config_text(dovecot, mail_user, secret, port=1))
    assert refused.returncode == 3
    assert "refused the connection" in refused.stderr
    untrusted = cli("sync", config_override=config_text(dovecot, mail_user, secret, ca_file=""))
    assert untrusted.returncode == 3
    assert "not trusted" in untrusted.stderr and "ca_file" in untrusted.stderr


def test_bad_config_exits_2_naming_file_account_and_field(cli: Run, tmp_path: Path) -> None:
    bad = (
        '[[accounts]]\nname = "work"\nemail = "a@b.c"\n'
        '[accounts.imap]\nhost = "h"\nport = 993\nsecurity = "ssl"\n'
    )
    result = cli("sync", config_override=bad)
    assert result.returncode == 2
    assert str(tmp_path / "config.toml") in result.stderr
    assert '"work"' in result.stderr and "imap.security" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_account_and_uid_are_usage_errors(cli: Run, dovecot: DovecotServer,
                                                  mail_user: MailUser) -> None:  # fmt: skip
    assert cli("list", "-a", "nope").returncode == 2
    dovecot.deliver(mail_user, [make_message(1)])
    assert cli("sync").returncode == 0
    missing = cli("read", "999")
    assert missing.returncode == 2
    assert "no message with UID 999" in missing.stderr


def test_render_a_file(cli: Run, tmp_path: Path) -> None:
    message = tmp_path / "m.eml"
    message.write_bytes(make_message(5, subject="From a file", body="Rendered body."))
    result = cli("render", str(message))
    assert result.returncode == 0, result.stderr
    assert "Subject: From a file" in result.stdout and "Rendered body." in result.stdout


def test_move_of_a_uid_that_does_not_exist_says_so_and_fails(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [make_message(1), make_message(2)])
    assert cli("sync").returncode == 0
    nothing = cli("move", "999", "--to", "Archive")
    assert nothing.returncode == 2
    assert "No message with UID 999 in INBOX." in nothing.stderr
    assert "Moved" not in nothing.stderr
    partly = cli("move", "1", "999", "--to", "Archive")
    assert partly.returncode == 2
    assert "No message with UID 999 in INBOX; the other 1 were moved to Archive." in partly.stderr
    assert len(server_subjects(dovecot, mail_user, "Archive")) == 1
    assert len(server_subjects(dovecot, mail_user, "INBOX")) == 1


def test_the_clis_cached_counts_follow_its_actions(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [make_message(i, subject=f"M{i}") for i in range(3)])
    assert cli("sync").returncode == 0
    assert cli("folders").returncode == 0  # the counts as listed, into the cache
    uids = [row["uid"] for row in json.loads(cli("list", "--json").stdout)]
    assert cli("mark-read", str(uids[0])).returncode == 0
    assert cli("archive", str(uids[1])).returncode == 0
    assert cli("delete", str(uids[2])).returncode == 0

    listed = json.loads(cli("folders", "--cached", "--json").stdout)
    folders = ["INBOX", "Archive", "Trash"]
    shown = {f["name"]: (f["total"], f["unseen"]) for f in listed if f["name"] in folders}
    assert shown == folder_status(dovecot, mail_user, folders)
    assert shown == {"INBOX": (1, 0), "Archive": (1, 1), "Trash": (1, 1)}


def test_search_cached_answers_from_the_cache_with_the_server_out_of_reach(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [
        make_message(0, subject="Trip plan", from_="Ann <ann@example.org>", body="Tickets!"),
        make_message(1, subject="Lunch", from_="Bob <bob@example.org>", body="Tickets too"),
        make_message(2, subject="Trip photos", from_="Bob <bob@example.org>", body="None"),
    ])  # fmt: skip
    assert cli("sync").returncode == 0
    uids = {row["subject"]: row["uid"] for row in json.loads(cli("list", "--json").stdout)}
    assert cli("read", "--peek", str(uids["Lunch"])).returncode == 0  # its body is cached now
    offline = config_text(dovecot, mail_user, cli.secret_file, port=1)  # type: ignore[attr-defined]

    def found(*query: str) -> list[str]:
        result = cli("search", "--cached", "--json", *query, config_override=offline)
        assert result.returncode == 0, result.stderr
        return [row["subject"] for row in json.loads(result.stdout)]

    assert found("subject:trip") == ["Trip photos", "Trip plan"]
    assert found("from:bob", "subject:trip") == ["Trip photos"]
    assert found("subject:trip plan") == ["Trip plan"]  # "plan" anywhere, the subject here
    assert found("tickets") == ["Lunch"]  # only Lunch's body is cached
    bad = cli("search", "--cached", "since:soon", config_override=offline)
    assert bad.returncode != 0 and "YYYY-MM-DD" in bad.stderr


def test_list_sorted_by_a_key_reversed_and_a_bad_key(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [
        make_message(1, subject="Re: budget", from_="Carol <c@x.org>", references="",
                     in_reply_to="", date="01 Jan 2024 10:00:00 +0000"),
        make_message(2, subject="zebra", from_="alice <a@x.org>", references="",
                     in_reply_to="", date="02 Jan 2024 10:00:00 +0000"),
        make_message(3, subject="Fwd: apples", from_="Bob <b@x.org>", references="",
                     in_reply_to="", date="03 Jan 2024 10:00:00 +0000"),
    ])  # fmt: skip

    def subjects(*args: str) -> list[str]:
        listed = cli("list", "--json", *args)
        assert listed.returncode == 0, listed.stderr
        return [m["subject"] for m in json.loads(listed.stdout)]

    assert subjects() == ["Fwd: apples", "zebra", "Re: budget"]
    assert subjects("--sort", "from") == ["zebra", "Fwd: apples", "Re: budget"]
    assert subjects("--sort", "subject", "--reverse") == ["zebra", "Re: budget", "Fwd: apples"]
    assert subjects("--sort", "subject", "--limit", "2") == ["Fwd: apples", "Re: budget"]
    assert subjects("--sort", "date", "--reverse") == ["Re: budget", "zebra", "Fwd: apples"]
    bad = cli("list", "--sort", "colour")
    assert bad.returncode == 2
    assert "Unknown sort key 'colour'" in bad.stderr
    assert "date, arrival, from, to, subject, size, unread, flagged" in bad.stderr
    assert "Traceback" not in bad.stderr
