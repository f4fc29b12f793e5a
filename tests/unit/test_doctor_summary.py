"""The doctor's last line counts what its rows show: no "passed" over a warning or a skip."""

from __future__ import annotations

import pytest

from tui_mail.core.doctor import Check, DoctorReport

OK = Check("IMAP", "login", "ok", "as me (password)")
WARN = Check("POP3", "messages", "warn", "3 on the server; no UIDL")
SKIP = Check("SMTP", "login", "skip", "not tried (no credentials given)")
FAIL = Check("IMAP", "TLS", "fail", "certificate not trusted", "set ca_file")


@pytest.mark.parametrize(
    ("checks", "last_line"),
    [
        ((OK,), "All checks passed."),
        ((OK, WARN), "Passed with 1 warning: POP3 messages: 3 on the server; no UIDL."),
        ((OK, WARN, WARN, SKIP), "Passed with 2 warnings: POP3 messages: 3 on the server; "
         "no UIDL; POP3 messages: 3 on the server; no UIDL. 1 check skipped."),
        ((OK, SKIP, SKIP), "Passed, but 2 checks skipped."),
        ((FAIL, WARN), "1 check failed, 1 warning: the fix is under each."),
        ((FAIL, FAIL), "2 checks failed: the fix is under each."),
    ],
)  # fmt: skip
def test_last_line_says_what_the_rows_show(checks: tuple[Check, ...], last_line: str) -> None:
    report = DoctorReport("work", checks)
    assert report.format().splitlines()[-1] == last_line
    assert report.summary() == last_line
