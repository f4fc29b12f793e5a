"""Running the user's commands (password_command, token_command, hooks) with a time limit
that ends all of what they started.

subprocess.run's timeout kills only the shell it started: a `pass` or `gpg` pipeline under
it, or any `sleep` the command left behind, would run on, holding the pipe and perhaps a
secret. Each command here gets its own session, hence its own process group, and on timeout
the whole group is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import IO


def run_in_own_group(
    args: str | Sequence[str],
    *,
    timeout: float,
    shell: bool = False,
    env: Mapping[str, str] | None = None,
    capture: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Like `subprocess.run(args, stdin=DEVNULL, capture_output=capture, timeout=timeout)`.

    Raises subprocess.TimeoutExpired WITHOUT the partial output (it may hold a secret) once
    every process of the command's group has been killed; OSError if it cannot start.
    """
    where = subprocess.PIPE if capture else subprocess.DEVNULL
    with subprocess.Popen(
        args,
        shell=shell,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=where,
        stderr=where,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(process)
            raise subprocess.TimeoutExpired(process.args, timeout) from None
        except BaseException:  # interrupted: leave nothing running either
            kill_group(process)
            raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to every process of `process`'s group (its own session: see above), then
    reap it. Children re-parented elsewhere are killed all the same."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def pipe_into(args: Sequence[str], data: bytes, *, cwd: str | None = None) -> int:
    """Run `args` (no shell) with `data` on its standard input and this process's stdout
    and stderr; returns its exit status. No time limit: `git am` on a long series may take
    a while, and the user is there to press Ctrl-C.

    The command runs in its own process group, so a terminal's Ctrl-C reaches only us: on
    KeyboardInterrupt the whole group is killed (nothing it started runs on) and the
    interrupt goes on. A command that stops reading early is not an error: its status says
    how it went. Raises OSError (FileNotFoundError, PermissionError) if it cannot start.
    """
    with _ctrl_c_held() as held:
        process = subprocess.Popen(
            list(args), stdin=subprocess.PIPE, cwd=cwd, start_new_session=True
        )
    with process:
        try:
            if held.interrupted:  # pressed while the command was starting
                raise KeyboardInterrupt
            process.communicate(data)  # ignores a closed stdin (EPIPE) by design
        except BaseException:
            kill_group(process)
            raise
    return process.returncode


class _Held:
    interrupted = False


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[_Held]:
    """Hold a Ctrl-C that comes while a command is being started: raised inside Popen, it
    would escape before we know the command's group, which would then run on unkilled.
    A Python handler, not SIG_IGN: exec resets it, so the command gets the default."""
    held = _Held()
    if (
        threading.current_thread() is not threading.main_thread()  # only it gets signals
        or signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # run in the background
    ):
        yield held
        return

    def hold(signum: int, frame: object) -> None:
        held.interrupted = True

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, previous)
        if held.interrupted and sys.exc_info()[0] is not None:
            raise KeyboardInterrupt  # the start failed anyway: the interrupt still counts


# -- what the CLI's `pipe` and the TUI's `:pipe` say about a command's end ------------------

NOT_FOUND = 127  # the shell's statuses, which scripts already test for
NOT_EXECUTABLE = 126


def start_failure(name: str, error: OSError) -> tuple[str, int]:
    """Why `name` could not start, as a sentence, and the status a shell would give."""
    if isinstance(error, FileNotFoundError):
        return f"Command not found: {name!r}.", NOT_FOUND
    if isinstance(error, PermissionError):
        return f"Command {name!r} cannot be run (permission denied).", NOT_EXECUTABLE
    return f"Could not run {name!r}: {error.strerror}.", NOT_EXECUTABLE


def exit_sentence(name: str, status: int) -> str | None:
    """How `name` ended when not well (None for status 0); a signal as a shell reports it."""
    if status < 0:
        signame = signal.Signals(-status).name if -status in signal.valid_signals() else -status
        return f"{name!r} was killed by signal {signame}."
    if status:
        return f"{name!r} exited with status {status}."
    return None


def shell_status(status: int) -> int:
    """Popen's status as a shell's: killed by signal N is 128 + N."""
    return 128 - status if status < 0 else status


class CapturedCommand:
    """A command with mail on its stdin and its output (stdout and stderr, interleaved as
    written) captured up to a limit, for a program that has no terminal to give it (the
    TUI's output window). Its own process group: `kill` ends all of it, from any thread."""

    def __init__(self, args: Sequence[str], *, cwd: str | None = None) -> None:
        """Starts it at once. Raises OSError (see start_failure) if it cannot start."""
        self.process = subprocess.Popen(
            list(args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
        self.killed = False
        """`kill` was called (the user cancelled)."""

    def run(self, data: bytes, *, limit: int) -> tuple[bytes, bool, int]:
        """Feed `data`, read the output, wait: (the first `limit` bytes of the output,
        whether there was more, the exit status). Blocking: call it off the event loop.
        Output past the limit is read and dropped, so the command never stalls on a full
        pipe."""
        process = self.process
        stdin, stdout = process.stdin, process.stdout
        if stdin is None or stdout is None:  # pragma: no cover - both are pipes, see __init__
            raise RuntimeError("the command's pipes are gone")

        def feed(stdin: IO[bytes]) -> None:
            # A command that stops reading early is not an error: its status says how.
            with contextlib.suppress(OSError):
                stdin.write(data)
            with contextlib.suppress(OSError):
                stdin.close()

        writer = threading.Thread(target=feed, args=(stdin,), daemon=True)
        writer.start()
        kept = bytearray()
        more = False
        with stdout as output:
            while chunk := os.read(output.fileno(), 65536):
                room = limit - len(kept)
                if len(chunk) > room:
                    more = True
                kept += chunk[: max(room, 0)]
        writer.join()
        return bytes(kept), more, process.wait()

    def kill(self) -> None:
        """End the command and everything it started (the user cancelled)."""
        self.killed = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def pipe_in_terminal(args: Sequence[str], data: bytes) -> int:
    """Run `args` (no shell) with `data` on its stdin and the terminal for the rest, as a
    shell runs a foreground job: for pagers and editors (`less`, `vim -`, `tig`), which
    read their keys from /dev/tty. It stays in our process group, the terminal's
    foreground, so it can open the terminal and a Ctrl-C (or Ctrl-\\) reaches it; we only
    hold those signals meanwhile (Python handlers: exec gives the command the defaults
    again). Main thread only (signals). Raises OSError if it cannot start."""
    held = (signal.SIGINT, signal.SIGQUIT)
    previous = {signum: signal.signal(signum, lambda signum, frame: None) for signum in held}
    try:
        with subprocess.Popen(list(args), stdin=subprocess.PIPE) as process:
            process.communicate(data)  # ignores a closed stdin (EPIPE): `less` may quit early
        return process.returncode
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
