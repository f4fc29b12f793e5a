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
