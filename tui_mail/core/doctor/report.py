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
    """"IMAP", "POP3" or "SMTP"."""
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
        lines.append(self.summary())
        return "\n".join(lines)

    def summary(self) -> str:
        """One sentence that counts what the rows show: never "passed" over a warning."""
        failed = len(self.failures)
        warnings = [c for c in self.checks if c.status == "warn"]
        skipped = sum(1 for c in self.checks if c.status == "skip")
        if failed:
            also = f", {_count(len(warnings), 'warning')}" if warnings else ""
            return f"{_count(failed, 'check')} failed{also}: the fix is under each."
        if warnings:
            told = "; ".join(f"{c.protocol} {c.step}: {c.detail}" for c in warnings[:3])
            more = f"; {len(warnings) - 3} more" if len(warnings) > 3 else ""
            sentence = f"Passed with {_count(len(warnings), 'warning')}: {told}{more}."
        elif skipped:
            return f"Passed, but {_count(skipped, 'check')} skipped."
        else:
            return "All checks passed."
        if skipped:
            sentence += f" {_count(skipped, 'check')} skipped."
        return sentence


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"
