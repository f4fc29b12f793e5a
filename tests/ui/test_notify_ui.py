"""Mail that lands in another folder (a server-side rule, another client) shows in the
folder tree's count and in that folder's open list within 2 s, without a refresh: the
account's one watcher connection hears it (NOTIFY on the suite's Dovecot)."""

from __future__ import annotations

import time

from tests.support.accounts import other_client
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, wait_for
from tests.ui.test_counts_ui import tree_unread
from tui_mail.ui.main.folder_tree import FolderKey, FolderTree


async def test_mail_filed_into_another_folder_reaches_the_tree_and_the_open_list(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.create_folder(mail_user, "Lists")
    dovecot.deliver(mail_user, [make_message(0, subject="Old list mail")], folder="Lists")
    app = make_app(mail_user, names=("work",))
    lists = FolderKey("work", "Lists")
    client = other_client(dovecot, mail_user)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            main = await settled(pilot, app)
            service = app.services["work"]
            await wait_for(pilot, lambda: service.connection_state == "idling")
            assert tree_unread(main, lists) == 1

            started = time.monotonic()
            client.append("Lists", make_message(1, subject="Filed by a rule"))
            await wait_for(pilot, lambda: tree_unread(main, lists) == 2, timeout=2)
            assert time.monotonic() - started < 2

            main.post_message(FolderTree.FolderChosen(lists))
            await wait_for(pilot, lambda: len(main.messages.source) == 2)
            client.append("Lists", make_message(2, subject="Another one"))
            await wait_for(pilot, lambda: len(main.messages.source) == 3, timeout=2)
            client.select_folder("Lists")
            client.add_flags(client.search(["ALL"]), [b"\\Seen"])
            await wait_for(pilot, lambda: tree_unread(main, lists) == 0, timeout=2)
    finally:
        client.logout()
