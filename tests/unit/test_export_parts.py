"""The parts of `:pipe` and `:save` that need no server: their arguments, path completion,
and the captured command's limit and kill."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tui_mail.core.account.message_index import MessageRef, Row
from tui_mail.core.errors import UsageError
from tui_mail.core.models import Flag, MessageSummary
from tui_mail.core.process_group import (
    CapturedCommand,
    exit_sentence,
    start_failure,
)
from tui_mail.ui.main.export import (
    PipeRequest,
    SaveRequest,
    marked_in_list_order,
    parse_pipe,
    parse_save,
)
from tui_mail.ui.widgets.path_input import common_completion, complete_path


def test_pipe_options_come_before_the_command_and_the_commands_own_stay_its() -> None:
    assert parse_pipe(["git", "am", "-3"]) == PipeRequest(["git", "am", "-3"])
    assert parse_pipe(["-mt", "less", "-R"]) == PipeRequest(["less", "-R"], marked=True,
                                                           terminal=True)  # fmt: skip
    assert parse_pipe(["--as-shown", "--", "-weird-name"]) == PipeRequest(["-weird-name"],
                                                                         as_shown=True)  # fmt: skip
    with pytest.raises(UsageError, match=r"^Unknown option -x; use pipe \[-m\] \[-s\] \[-t\]"):
        parse_pipe(["-x", "cat"])
    with pytest.raises(UsageError, match="Unknown option --all"):
        parse_pipe(["--all", "cat"])
    with pytest.raises(UsageError, match=r"^Pipe into which command\? .*`:pipe -m git am`"):
        parse_pipe(["-m", "--"])


def test_save_takes_one_path_and_its_options_anywhere() -> None:
    assert parse_save([]) == SaveRequest(None)
    assert parse_save(["~/a.eml", "-f"]) == SaveRequest("~/a.eml", force=True)
    assert parse_save(["-a"]) == SaveRequest(None, attachments=True)
    assert parse_save(["-m", "--", "-odd.mbox"]) == SaveRequest("-odd.mbox", marked=True)
    with pytest.raises(UsageError, match="save takes one path, got 2"):
        parse_save(["my", "file.eml"])
    with pytest.raises(UsageError, match="drop -m"):
        parse_save(["-am"])


def test_complete_path_keeps_what_was_typed_and_marks_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Documents").mkdir()
    (tmp_path / "Downloads").mkdir()
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / ".hidden").write_text("")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert complete_path("~/Do") == ["~/Documents/", "~/Downloads/"]
    assert common_completion("~/Do", complete_path("~/Do")) == "~/Do"
    assert complete_path("~/Doc") == ["~/Documents/"]
    assert common_completion("~/Doc", complete_path("~/Doc")) == "~/Documents/"
    assert complete_path(f"{tmp_path}/") == [f"{tmp_path}/{n}" for n in
                                             ("Documents/", "Downloads/", "notes.txt")]  # fmt: skip
    assert complete_path(f"{tmp_path}/.h") == [f"{tmp_path}/.hidden"]
    monkeypatch.chdir(tmp_path)
    assert complete_path("no") == ["notes.txt"]
    assert complete_path(f"{tmp_path}/missing/x") == []  # no such directory: no candidates


def test_captured_output_is_bounded_and_the_command_never_stalls() -> None:
    command = CapturedCommand(["sh", "-c", "cat; echo err >&2; head -c 3000000 /dev/zero"])
    output, more, status = command.run(b"mail\n", limit=1000)
    assert (output[:9], len(output), more, status) == (b"mail\nerr\n", 1000, True, 0)


def test_a_killed_command_ends_with_all_it_started() -> None:
    command = CapturedCommand(["sh", "-c", "sleep 300 & sleep 300"])
    threading.Timer(0.3, command.kill).start()
    started = time.monotonic()
    output, more, status = command.run(b"", limit=100)
    assert time.monotonic() - started < 10  # the background sleep held stdout: killed too
    assert (output, more, status, command.killed) == (b"", False, -9, True)
    assert exit_sentence("sh", status) == "'sh' was killed by signal SIGKILL."
    assert exit_sentence("sh", 0) is None


def test_start_failures_read_as_a_shell_would_report_them() -> None:
    with pytest.raises(FileNotFoundError) as missing:
        CapturedCommand(["no-such-command-here"])
    assert start_failure("no-such-command-here", missing.value) == (
        "Command not found: 'no-such-command-here'.", 127)  # fmt: skip


def test_a_terminal_command_gets_the_mail_and_our_ctrl_c_is_ours_again(tmp_path: Path) -> None:
    out = tmp_path / "got"
    # While it runs, a Ctrl-C sent to the whole foreground group is the command's alone.
    # The group is a session of its own here: `kill -INT 0` must not reach the suite's
    # runner (make, CI's shell), which share the suite's group.
    script = f'cat > "{out}"; kill -INT 0; sleep 5; echo not reached >> "{out}"'
    code = (
        "import signal\n"
        "from tui_mail.core.process_group import pipe_in_terminal\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "before = signal.getsignal(signal.SIGINT)\n"
        f"status = pipe_in_terminal(['sh', '-c', {script!r}], b'the mail\\n')\n"
        "again = signal.getsignal(signal.SIGINT) is before\n"
        "print(status, again, pipe_in_terminal(['true'], b'x' * 1_000_000))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60,
        start_new_session=True,
    )  # fmt: skip
    assert result.stdout.split() == [str(-signal.SIGINT), "True", "0"], result.stderr
    assert out.read_bytes() == b"the mail\n"


class _Rows:
    """A list's source: rows at positions, each (uid, date)."""

    def __init__(self, rows: list[tuple[int, int]]) -> None:
        self.rows = [Row(MessageRef("a", "INBOX", uid), _summary(uid, date)) for uid, date in rows]

    def row(self, index: int) -> Row | None:
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def index_of(self, ref: MessageRef) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r.ref == ref), None)


def _summary(uid: int, date: int) -> MessageSummary:
    return MessageSummary(uid, date, "", "", "", "", f"m{uid}", "", "", "", "", 0, Flag(0))


def _marked_order(rows: list[tuple[int, int]], marked: list[int]) -> list[int]:
    refs = {MessageRef("a", "INBOX", uid) for uid in marked}
    messages = SimpleNamespace(source=_Rows(rows), marked=refs)
    return [ref.uid for ref in marked_in_list_order(messages)]  # type: ignore[arg-type]


def test_marked_messages_go_in_list_order_from_the_oldest_end() -> None:
    newest_first = [(5, 500), (4, 400), (3, 300), (2, 200), (1, 100)]
    assert _marked_order(newest_first, [4, 1, 2]) == [1, 2, 4]
    # A thread: its replies follow the first message, so top to bottom is oldest first.
    threaded = [(7, 900), (1, 100), (2, 200), (3, 300)]
    assert _marked_order(threaded, [3, 1, 2]) == [1, 2, 3]
    # format-patch gives a series one date: arrival (UID) tells the order.
    same_date = [(3, 100), (2, 100), (1, 100)]
    assert _marked_order(same_date, [2, 3, 1]) == [1, 2, 3]
