"""Signing and encrypting from the compose screen, with the real gpg, aiosmtpd and Dovecot."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.gnupg_keys import keyring_with
from tests.support.smtp import SmtpServer
from tests.ui.conftest import settled, wait_for
from tests.ui.test_compose_screen import (  # noqa: F401 (fixtures)
    AppMaker,
    account,
    make_app,
    notice,
    open_compose,
    type_into,
)
from tui_mail.config import AccountConfig
from tui_mail.core.crypto.reading import read_secured
from tui_mail.core.message.mime import render_message
from tui_mail.ui.main.screen import MainScreen


async def test_ctrl_g_encrypts_and_a_missing_key_keeps_the_message_unsent(
    smtp: SmtpServer,
    account: AccountConfig,  # noqa: F811
    make_app: AppMaker,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with (
        keyring_with(tmp_path / "me", f"Me <{account.email}>") as me,
        keyring_with(tmp_path / "bob", "Bob <bob@example.net>") as bob,
    ):
        me.import_keys(bob.export("bob@example.net"))
        monkeypatch.setenv("GNUPGHOME", str(me.home))
        app = make_app(account)
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot, app)
            screen = await open_compose(pilot, app, "c")
            line = lambda: str(screen.query_one("#compose-security").render())  # noqa: E731
            assert line().startswith("PGP: off")
            await pilot.press("ctrl+g", "ctrl+g", "ctrl+g")
            assert line().startswith("PGP: sign + encrypt")
            await type_into(pilot, screen, "to", "carol@example.com")
            await type_into(pilot, screen, "subject", "Plans")
            await type_into(pilot, screen, "body", "Top secret.\n")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: "Not sent" in notice(screen))
            assert "No usable key for carol@example.com" in notice(screen)
            assert smtp.messages == []
            screen.query_one("#to").value = "bob@example.net"  # type: ignore[attr-defined]
            await pilot.pause()
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        [received] = smtp.messages
        assert b"Top secret" not in received.data
        monkeypatch.setenv("GNUPGHOME", str(bob.home))
        assert "Top secret." in render_message(read_secured(received.data).raw).body


async def test_autocrypt_turns_encryption_on_for_a_peer_who_prefers_it(
    account: AccountConfig,  # noqa: F811
    make_app: AppMaker,  # noqa: F811
    tmp_path: Path,
) -> None:
    import dataclasses  # noqa: PLC0415
    import time  # noqa: PLC0415

    from tests.integration.test_autocrypt import header_for, mail_from  # noqa: PLC0415
    from tui_mail.core.crypto.autocrypt import autocrypt_store  # noqa: PLC0415

    with keyring_with(tmp_path / "bob", "Bob <bob@example.net>") as bob:
        store = autocrypt_store(tmp_path / "data")
        store.learn(
            mail_from("bob@example.net", time.time() - 60, header_for(bob, "bob@example.net"))
        )
        app = make_app(dataclasses.replace(account, autocrypt_mutual=True))
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot, app)
            screen = await open_compose(pilot, app, "c")
            line = lambda: str(screen.query_one("#compose-security").render())  # noqa: E731
            await type_into(pilot, screen, "to", "bob@example.net")
            assert line().startswith("PGP: encrypt")
            assert "Autocrypt: encrypting (every recipient prefers it)" in line()
            await type_into(pilot, screen, "to", ", carol@example.com")
            assert line().startswith("PGP: off")  # Carol has no key: back off by itself


async def test_ctrl_b_attaches_my_public_key(
    account: AccountConfig,  # noqa: F811
    make_app: AppMaker,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with keyring_with(tmp_path / "me", f"Me <{account.email}>") as me:
        monkeypatch.setenv("GNUPGHOME", str(me.home))
        app = make_app(account)
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot, app)
            screen = await open_compose(pilot, app, "c")
            await pilot.press("ctrl+b")
            await wait_for(pilot, lambda: "Attached your public key" in notice(screen))
            [key] = screen.draft.attachments
        assert key.filename == f"OpenPGP_0x{me.fingerprint(account.email)[-16:]}.asc"
        assert key.content_type == "application/pgp-keys"
        with keyring_with(tmp_path / "other") as other:
            other.import_keys(key.data)
            assert other.fingerprint(account.email) == me.fingerprint(account.email)


def test_a_draft_to_encrypt_is_not_autosaved_in_clear(tmp_path: Path) -> None:
    from tui_mail.core.sending.draft import Draft  # noqa: PLC0415
    from tui_mail.ui.draft_autosave import DraftAutosave  # noqa: PLC0415

    draft = Draft(from_addr="me@example.org", to="bob@example.net", body="the plan\n",
                  message_id="<1@x>")  # fmt: skip
    autosave = DraftAutosave(tmp_path / "autosave", draft)
    assert autosave.save(draft) and autosave.path.exists()
    draft.encrypt = True
    assert not autosave.save(draft)
    assert not autosave.path.exists()  # the clear copy written before went too
    assert list((tmp_path / "autosave").glob("*")) == []
