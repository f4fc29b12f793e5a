"""`tui-mail read` and `render` say what is true about a signed or encrypted message
before the message, and their exit status says when checking failed (6)."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_cli import Run, cli  # noqa: F401  (the fixture)
from tests.support.dovecot import DovecotServer, MailUser
from tests.support.gnupg_keys import ADA, Keyring, encrypted_message, signed_message

INNER = b"Content-Type: text/plain; charset=utf-8\r\n\r\nRelease notes attached.\r\n"


def test_render_says_good_and_bad_and_exits_6_on_bad(
    cli: Run,  # noqa: F811
    ada_keyring: Keyring,
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(signed_message(ada_keyring, ADA, INNER, sender=ADA))
    result = cli("render", str(good))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("Security (ok): Good signature from Ada Lovelace <ada@example.org>")
    assert "Release notes attached." in result.stdout

    bad = tmp_path / "bad.eml"
    bad.write_bytes(good.read_bytes().replace(b"Release", b"Revised"))
    result = cli("render", str(bad))
    assert result.returncode == 6
    assert result.stdout.splitlines()[0].startswith("Security (BAD): BAD signature")


def test_read_decrypts_from_the_server(
    cli: Run,  # noqa: F811
    ada_keyring: Keyring,
    dovecot: DovecotServer,
    mail_user: MailUser,
) -> None:
    armored = ada_keyring.encrypt(INNER, "ada@example.org", sign_as=ADA)
    dovecot.deliver(mail_user, [encrypted_message(armored, sender=ADA)])
    assert cli("sync").returncode == 0
    result = cli("read", "--peek", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Security (ok): Encrypted; decrypted for reading (not stored)."
    assert lines[1].startswith("Security (ok): Good signature from Ada Lovelace")
    assert "Release notes attached." in result.stdout
