"""The headless commands, timed as a user's shell would see them.

Each command runs as a subprocess: wall time covers interpreter start-up, imports, login
and the work, and ``wait4`` gives the child's peak RSS without any extra tool.  ``sync``
also prints its own in-process time (``[full, 3.21 s]``), recorded beside the wall time.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

from benchmarks.clients import ClientFailedError, TuiMail
from benchmarks.fixture import Mailbox

_SUMMARY = re.compile(r"\[(?P<method>[\w-]+), (?P<seconds>\d+(?:\.\d+)?) s\]")


class CommandFailedError(ClientFailedError):
    """A headless command exited with an error or took too long."""


@dataclass(frozen=True)
class Timed:
    wall: float
    peak_rss: int
    stdout: str
    in_process: float | None
    method: str | None


def run_timed(argv: list[str], env: dict[str, str], timeout: float = 600) -> Timed:
    """Run ``argv`` to completion; wall time, peak RSS and the parsed sync summary."""
    # Output goes to files, not pipes: reaping the child with wait4 (for its rusage) is
    # then all the waiting there is, and a chatty child can never block on a full pipe.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        status, usage = _wait4(process, timeout)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise CommandFailedError(
            f"`{' '.join(argv[-4:])}` exited with {code}: {stderr.strip()[-500:]}"
        )
    match = _SUMMARY.search(stdout)
    return Timed(
        wall=wall,
        peak_rss=usage.ru_maxrss * 1024,
        stdout=stdout,
        in_process=float(match["seconds"]) if match else None,
        method=match["method"] if match else None,
    )


def _wait4(process: subprocess.Popen[bytes], timeout: float) -> tuple[int, resource.struct_rusage]:
    """Block until the child exits (killing it after ``timeout``); its status and rusage."""
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode == -signal.SIGKILL:
        raise CommandFailedError(f"{process.args!r} took longer than {timeout:.0f} s")
    return status, usage


@dataclass(frozen=True)
class CliRound:
    sync: Timed
    resync: Timed
    list50: Timed


def cli_round(client: TuiMail, mailbox: Mailbox, port: int) -> CliRound:
    """Empty-cache sync, an unchanged re-sync, then ``list --limit 50`` from the cache."""
    client.clear_cache(mailbox)
    env = client.cli_env(mailbox, port)
    sync = run_timed([*client.cli_argv("sync"), "-f", "INBOX"], env)
    resync = run_timed([*client.cli_argv("sync"), "-f", "INBOX"], env)
    listed = run_timed([*client.cli_argv("list"), "-f", "INBOX", "--limit", "50"], env)
    if mailbox.marker not in listed.stdout:
        raise CommandFailedError(
            f"list --limit 50 did not show the newest message {mailbox.marker!r}"
        )
    return CliRound(sync, resync, listed)
