"""A maildir that Dovecot also serves: what we change, its IMAP clients see, and back.

This is the mbsync/offlineimap situation in miniature: another program owns the same files.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.accounts import other_client, server_flags, server_subjects
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tui_mail.config import AccountConfig
from tui_mail.core.account.service import AccountService
from tui_mail.core.maildir.backend import MaildirBackend
from tui_mail.core.models import Flag


async def test_dovecot_and_the_maildir_backend_share_one_maildir(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.create_folder(mail_user, "Entwürfe")
    dovecot.deliver(mail_user, [make_message(1, subject="Seen"), make_message(2, subject="Unseen")],
                    flags=lambda i: "S" if i == 0 else "")  # fmt: skip
    dovecot.deliver(mail_user, [make_message(3, subject="Draft")], folder="Entwürfe")
    account = AccountConfig(
        name="local", email="me@example.org", type="maildir", path=mail_user.maildir
    )
    data = tmp_path / "data"
    service = AccountService(
        account, data, backend_factory=lambda a, _s: MaildirBackend(a, data_dir=data)
    )
    try:
        names = {f.name for f in await service.refresh_folders()}
        assert {"INBOX", "Entwürfe"} <= names  # Dovecot's modified UTF-7 directory name

        await service.sync("INBOX")
        ours = {m.subject: m for m in service.messages("INBOX")}
        assert ours["Seen"].seen and not ours["Unseen"].seen

        await service.set_flag("INBOX", [ours["Unseen"].uid], Flag.FLAGGED, on=True)
        flags_there = sorted(server_flags(dovecot, mail_user, "INBOX").values(), key=len)
        assert {b"\\Flagged"} in flags_there  # Dovecot's IMAP sees our rename

        client = other_client(dovecot, mail_user)
        try:
            client.select_folder("INBOX")
            client.add_flags(client.search(["FLAGGED"]), [b"\\Seen"])
        finally:
            client.logout()
        result = await service.sync("INBOX")
        assert result.flags_changed == 1
        assert all(m.seen for m in service.messages("INBOX"))

        await service.move("INBOX", [ours["Seen"].uid], "Entwürfe")
        assert sorted(server_subjects(dovecot, mail_user, "Entwürfe")) == [
            "Subject: Draft", "Subject: Seen"]  # fmt: skip
    finally:
        await service.close()
