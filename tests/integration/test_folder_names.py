"""Folder names that are valid IMAP but trip imapclient's parser: Dovecot sends a name
holding `[` (and no `]`) as a bare atom, which imapclient reads as the start of a
response code and refuses (ProtocolError). One such folder made by another client must
not make the account unusable ("not valid IMAP", the connection closed at every login)."""

from __future__ import annotations

from tests.integration.test_connect import connect
from tests.support.accounts import imap_account, other_client
from tests.support.dovecot import DovecotServer, MailUser


def test_a_folder_named_with_a_bracket_is_listed(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    client = other_client(dovecot, mail_user)
    for name in ("a[b", "Lists[old", "x]y", "plain"):
        client.create_folder(name)
        client.subscribe_folder(name)
    client.logout()
    session = connect(imap_account(dovecot, mail_user), mail_user.password)
    try:
        folders = {folder.name: folder for folder in session.list_folders()}
        assert {"INBOX", "a[b", "Lists[old", "x]y", "plain"} <= set(folders)
        assert folders["a[b"].subscribed and folders["x]y"].subscribed
        assert session.has("LIST-STATUS")  # the counts' answer names them bare too
        assert (folders["a[b"].total, folders["Lists[old"].unseen) == (0, 0)
        assert session.select("a[b").exists == 0
    finally:
        session.close()
