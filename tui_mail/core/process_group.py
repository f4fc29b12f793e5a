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
from collections.abc import Mapping, Sequence


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
