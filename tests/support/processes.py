"""Which processes still run, read from Linux's /proc: for tests that a command, and all
it started, is gone. A zombie waiting for its parent counts as gone: it holds nothing."""

from __future__ import annotations

from pathlib import Path


def _state(stat: str) -> list[str]:
    # After the command name (which may hold spaces and parentheses): state, ppid, pgrp ...
    return stat.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Whether process `pid` runs (exists and is not a zombie)."""
    try:
        return _state(Path(f"/proc/{pid}/stat").read_text())[0] != "Z"
    except OSError:
        return False


def group_members(pgid: int) -> list[int]:
    """The processes of process group `pgid` that still run."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = _state((entry / "stat").read_text())
            except OSError:  # ended meanwhile
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members
