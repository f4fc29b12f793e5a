"""The connection doctor from the main screen (key D), on the suite's Dovecot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import Static

from tests.support.dovecot import MailUser
from tests.ui.conftest import AppFactory, settled, wait_for
from tui_mail.core.auth import credentials
from tui_mail.ui.screens.doctor import DoctorScreen


def shown(screen: Any, selector: str) -> str:
    rendered = screen.query_one(selector, Static).render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


@pytest.mark.parametrize("stored", ["right", "wrong"])
async def test_doctor_checks_the_current_account(
    make_app: AppFactory, mail_user: MailUser, keyring_file: Path, stored: str
) -> None:
    app = make_app(mail_user)
    account = app.config.accounts[0]
    password = mail_user.password if stored == "right" else "not-the-password-42"
    credentials.set_password(account, password)
    async with app.run_test(size=(120, 50)) as pilot:
        await settled(pilot, app)
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, DoctorScreen))
        doctor = app.screen
        await wait_for(pilot, lambda: "Running" not in shown(doctor, "#doctor-summary"))
        checks = shown(doctor, "#doctor-checks")
        summary = shown(doctor, "#doctor-summary")
        assert checks.startswith("IMAP DNS          ok    localhost -> 127.0.0.1")
        assert "IMAP TLS          ok    TLSv1." in checks
        if stored == "right":
            assert f"IMAP login        ok    as {mail_user.name} (password)" in checks
            assert "IMAP IDLE         ok" in checks
            assert "SMTP server       WARN  no [accounts.smtp]" in checks
            assert summary == (  # the SMTP warning is counted, not passed over
                "Passed with 1 warning: SMTP server: no [accounts.smtp]: this account cannot send."
            )
        else:
            assert "IMAP login        FAIL" in checks and "→ " in checks
            assert summary.startswith("1 check failed")
            assert "not-the-password-42" not in checks + summary
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, DoctorScreen))


@pytest.mark.parametrize("kind", ["demo", "maildir without smtp"])
async def test_doctor_summary_never_says_passed_over_a_warning(tmp_path: Path, kind: str) -> None:
    import dataclasses  # noqa: PLC0415

    from tui_mail.core.demo import demo_config  # noqa: PLC0415
    from tui_mail.ui.app import MailApp  # noqa: PLC0415

    config = demo_config(tmp_path / "data")
    if kind != "demo":  # the same mailbox as a user's own maildir account, with no way to send
        account = dataclasses.replace(config.accounts[0], name="local", local_only=False)
        config = dataclasses.replace(config, accounts=(account,))
    app = MailApp(config, data_dir=tmp_path / "data")
    async with app.run_test(size=(120, 50)) as pilot:
        await settled(pilot, app)
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, DoctorScreen))
        doctor = app.screen
        await wait_for(pilot, lambda: "Running" not in shown(doctor, "#doctor-summary"))
        checks = shown(doctor, "#doctor-checks")
        summary = shown(doctor, "#doctor-summary")
        if kind == "demo":  # the demo "sends" by filing in Sent: nothing to warn about
            assert (
                checks == "SMTP server       ok    none: sent mail is only filed in Sent, locally"
            )
            assert summary == "All checks passed."
        else:
            assert "SMTP server       WARN  no [accounts.smtp]: this account cannot send" in checks
            assert summary == (
                "Passed with 1 warning: SMTP server: no [accounts.smtp]: this account cannot send."
            )
