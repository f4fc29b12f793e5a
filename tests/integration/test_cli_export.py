"""`tui-mail pipe` and `tui-mail save` against the real Dovecot, as a script runs them."""

from __future__ import annotations

import json
import mailbox
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.test_cli import config_text
from tests.integration.test_counts import status as folder_status
from tests.support.accounts import server_flags
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.processes import group_members

Run = Callable[..., subprocess.CompletedProcess[bytes]]


@pytest.fixture
def cli(tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser) -> Run:
    secret_file = tmp_path / "secret"
    secret_file.write_text(mail_user.password + "\n")
    config = tmp_path / "config.toml"
    config.write_text(config_text(dovecot, mail_user, secret_file))

    env = dict(os.environ, TUI_MAIL_CONFIG=str(config), TUI_MAIL_DATA_DIR=str(tmp_path / "d"),
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))  # fmt: skip

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "tui_mail", *args],
            capture_output=True, env=env, timeout=120, check=False, cwd=cwd,
        )  # fmt: skip

    run.env = env  # type: ignore[attr-defined]
    return run


def uids_by_subject(cli: Run) -> dict[str, int]:
    listed = cli("list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {row["subject"]: row["uid"] for row in json.loads(listed.stdout)}


def server_copy(dovecot: DovecotServer, user: MailUser, uid: int) -> bytes:
    from tests.support.accounts import other_client  # noqa: PLC0415

    client = other_client(dovecot, user)
    try:
        client.select_folder("INBOX", readonly=True)
        body: bytes = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
        return body
    finally:
        client.logout()


# -- pipe -----------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=60, check=True)  # fmt: skip
    return done.stdout


def identify(repo: Path) -> None:
    git(repo, "config", "user.name", "Patch Author")
    git(repo, "config", "user.email", "author@example.test")


def test_git_am_applies_a_series_piped_as_one_mbox(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    identify(origin)
    (origin / "notes.txt").write_text("base\n")
    git(origin, "add", "notes.txt")
    git(origin, "commit", "-q", "-m", "Base")
    contents = {"one.txt": "first\nFrom the start\n", "two.txt": "2\n", "notes.txt": "changed\n"}
    subjects = ["Add one", "Add two", "Change notes"]
    for (name, text), subject in zip(contents.items(), subjects, strict=True):
        (origin / name).write_text(text)
        git(origin, "add", name)
        git(origin, "commit", "-q", "-m", subject, "-m", "From a line that needs quoting.")
    patches = git(origin, "format-patch", "-3", "-o", str(tmp_path / "patches")).split()
    assert len(patches) == 3
    # As `git send-email` sends them: the mbox "From <sha>" line is not part of the mail.
    dovecot.deliver(mail_user, [Path(p).read_bytes().split(b"\n", 1)[1] for p in patches])
    uids = uids_by_subject(cli)
    series = [uids[f"[PATCH {n}/3] {s}"] for n, s in enumerate(subjects, 1)]

    for name, am in (("plain", ["git", "am"]), ("rd", ["git", "am", "--patch-format=mboxrd"])):
        clone = tmp_path / name
        git(tmp_path, "clone", "-q", str(origin), str(clone))
        git(clone, "reset", "-q", "--hard", "HEAD~3")
        identify(clone)
        applied = cli("pipe", *map(str, series), "--", *am, cwd=clone)
        assert applied.returncode == 0, applied.stderr
        log = git(clone, "log", "--format=%s", "--reverse").split("\n")
        assert log == ["Base", *subjects, ""]
        for file_name, text in contents.items():
            assert (clone / file_name).read_text() == text
        assert git(clone, "rev-parse", "HEAD^{tree}") == git(origin, "rev-parse", "HEAD^{tree}")
        # Plain `git am` reads mboxo and keeps the mboxrd quote; mboxrd mode removes it.
        quoted = ">" if name == "plain" else ""
        body = f"{quoted}From a line that needs quoting.\n\n"
        assert git(clone, "log", "-1", "--format=%b") == body
    # Applying a series is not reading it.
    assert all(b"\\Seen" not in server_flags(dovecot, mail_user, "INBOX")[u] for u in series)
    assert folder_status(dovecot, mail_user, ["INBOX"]) == {"INBOX": (3, 3)}


def test_pipe_passes_output_and_exit_status_through(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [make_message(1, subject="Piped", body="Body of the pipe.")])
    uid = str(uids_by_subject(cli)["Piped"])

    raw = cli("pipe", uid, "--", "cat")
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout == server_copy(dovecot, mail_user, int(uid))

    failed = cli("pipe", uid, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert failed.returncode == 3
    assert failed.stdout == b"out\n"
    assert failed.stderr.decode().startswith("err\ntui-mail: 'sh' exited with status 3")

    missing = cli("pipe", uid, "--", "no-such-command-here", "x")
    assert missing.returncode == 127
    assert missing.stderr.decode() == "tui-mail: Command not found: 'no-such-command-here'.\n"

    shown = cli("pipe", "--as-shown", uid, "--", "cat")
    read = cli("read", "--peek", uid)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == read.stdout
    assert b"Subject: Piped" in shown.stdout and b"Body of the pipe." in shown.stdout

    no_command = cli("pipe", uid)
    assert no_command.returncode == 2 and b"after `--`" in no_command.stderr
    assert b"\\Seen" not in server_flags(dovecot, mail_user, "INBOX")[int(uid)]


def test_ctrl_c_ends_the_whole_group_of_the_command(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [make_message(1, subject="Slow")])
    uid = str(uids_by_subject(cli)["Slow"])
    pid_file = tmp_path / "group"
    script = f"echo $$ > {pid_file}; sleep 300 & sleep 300"
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_mail", "pipe", uid, "--", "sh", "-c", script],
        env=cli.env, stderr=subprocess.PIPE,  # type: ignore[attr-defined]
        # A terminal's program gets SIGINT at its default; a job a shell started in the
        # background (CI may run the suite so) would inherit SIG_IGN instead.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.05)
        group = int(pid_file.read_text())
        assert os.getpgid(group) == group != os.getpgid(process.pid)  # its own group
        process.send_signal(signal.SIGINT)  # what a terminal's Ctrl-C sends us
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert stderr.decode() == "tui-mail: interrupted\n"
    # Both sleeps are gone, not just the shell (a zombie waiting for its reaper is gone).
    deadline = time.monotonic() + 10
    while group_members(group):
        assert time.monotonic() < deadline, f"still running: {group_members(group)}"
        time.sleep(0.05)


# -- save -----------------------------------------------------------------------------------


def test_save_writes_eml_and_mbox_privately_and_never_overwrites(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [
        make_message(1, subject="Keep me: a/b?", body="First.\nFrom the body\n"),
        make_message(2, subject="Second", body="Two."),
        make_message(3, subject="Third", body="Three."),
    ])  # fmt: skip
    uids = uids_by_subject(cli)
    first = uids["Keep me: a/b?"]
    out = tmp_path / "out"
    out.mkdir()

    saved = cli("save", str(first), "--to", str(out / "one.eml"))
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout.decode() == f"{out / 'one.eml'}\n"
    assert (out / "one.eml").read_bytes() == server_copy(dovecot, mail_user, first)
    assert stat.S_IMODE((out / "one.eml").stat().st_mode) == 0o600

    refused = cli("save", str(uids["Second"]), "--to", str(out / "one.eml"))
    assert refused.returncode == 2
    assert f"{out / 'one.eml'} exists already" in refused.stderr.decode()
    assert (out / "one.eml").read_bytes() == server_copy(dovecot, mail_user, first)

    forced = cli("save", str(uids["Second"]), "--to", str(out / "one.eml"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "one.eml").read_bytes() == server_copy(dovecot, mail_user, uids["Second"])

    into_dir = cli("save", str(first), "--to", str(out))
    assert into_dir.returncode == 0, into_dir.stderr
    assert into_dir.stdout.decode() == f"{out / 'Keep me_ a_b_.eml'}\n"
    assert (out / "Keep me_ a_b_.eml").read_bytes() == server_copy(dovecot, mail_user, first)
    again = cli("save", str(first), "--to", str(out))
    assert again.returncode == 2 and b"exists already" in again.stderr

    order = [uids["Third"], first, uids["Second"]]
    box = cli("save", *map(str, order), "--to", str(out / "all.mbox"))
    assert box.returncode == 0, box.stderr
    assert stat.S_IMODE((out / "all.mbox").stat().st_mode) == 0o600
    parsed = mailbox.mbox(out / "all.mbox")
    assert [m["Subject"] for m in parsed] == ["Third", "Keep me: a/b?", "Second"]
    for key, uid in zip(parsed.keys(), order, strict=True):
        original = server_copy(dovecot, mail_user, uid).replace(b"\r\n", b"\n")
        original += b"" if original.endswith(b"\n") else b"\n"
        # Python's mbox reader keeps the mboxrd quote; an mboxrd reader removes it again.
        assert parsed.get_bytes(key).replace(b">From the body", b"From the body") == original
    assert b"\nFrom the body" not in (out / "all.mbox").read_bytes()
    assert all(b"\\Seen" not in f for f in server_flags(dovecot, mail_user, "INBOX").values())
    assert sorted(p.name for p in out.iterdir()) == ["Keep me_ a_b_.eml", "all.mbox", "one.eml"]
