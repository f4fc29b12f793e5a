"""The doctor's findings: one Check per step, and the report that prints them as a table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail", "skip"]
CheckListener = Callable[["Check"], None]

_CONNECTION_STEPS = frozenset({"DNS", "connect", "greeting", "STARTTLS", "TLS", "certificate"})


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the report."""

    protocol: str
    """"IMAP" or "SMTP"."""
    step: str
    status: Status
    detail: str
    fix: str | None = None
    """What to change, for a failure or a warning."""
    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class DoctorReport:
    account: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.status == "fail")

    @property
    def exit_code(self) -> int:
        """0, else 3 for a connection or TLS failure, 4 for a login failure (as the CLI)."""
        failures = self.failures
        if not failures:
            return 0
        return 3 if any(c.step in _CONNECTION_STEPS for c in failures) else 4

    def format(self) -> str:
        """A plain-text table, one row per check, the fix under each problem."""
        width = max((len(c.step) for c in self.checks), default=4)
        lines = [f"Connection doctor for account {self.account!r}"]
        for check in self.checks:
            took = f" ({milliseconds(check.seconds)})" if check.seconds is not None else ""
            mark = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}[check.status]
            lines.append(
                f"{check.protocol:<4}  {check.step:<{width}}  {mark}  {check.detail}{took}"
            )
            if check.fix:
                lines.append(f"{'':<4}  {'':<{width}}        -> {check.fix}")
        problems = len(self.failures)
        lines.append("All checks passed." if problems == 0 else f"{problems} problem(s) found.")
        return "\n".join(lines)


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"
