"""Folders made, renamed or removed elsewhere (another client, doveadm) show in the folder
tree within 2 s, without a refresh; the list showing a folder renamed elsewhere follows
it, one showing a folder removed elsewhere goes back to the inbox, and says so, never as
an error. Names from the server are shown as plain text."""

from __future__ import annotations

import time

from tests.support.accounts import other_client
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.ui.conftest import AppFactory, settled, wait_for
from tests.ui.test_counts_ui import _nodes
from tui_mail.ui.main.folder_tree import FolderKey, FolderTree
from tui_mail.ui.main.screen import MainScreen

WATCHER_SETTLES = 1.0
"""The first second of a connection: Dovecot reports the folders it has just made (Drafts,
Sent ...) and the app lists and syncs on its worker, where a look at the folders would
queue. The 2 s these tests allow start after it. (Dovecot reports a rename after 1.5 s:
its 0.5 s delay after `mailbox_idle_check_interval`, 1 s on the suite's server.)"""


def tree_labels(screen: MainScreen, account: str = "work") -> dict[str, str]:
    """Folder name -> the label the tree shows for it."""
    return {
        node.data.folder: str(node.label)
        for node in _nodes(screen.folder_tree.root)
        if isinstance(node.data, FolderKey) and node.data.account == account
    }


async def test_folders_made_and_removed_elsewhere_show_in_the_tree_within_two_seconds(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    app = make_app(mail_user, names=("work",))
    client = other_client(dovecot, mail_user)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            main = await settled(pilot, app)
            service = app.services["work"]
            await wait_for(pilot, lambda: service.connection_state == "idling")
            await pilot.pause(WATCHER_SETTLES)
            assert "Projects" not in tree_labels(main)

            started = time.monotonic()
            client.create_folder("Projects")
            await wait_for(pilot, lambda: "Projects" in tree_labels(main), timeout=2)
            assert time.monotonic() - started < 2

            dovecot.doveadm("mailbox", "create", "-u", mail_user.name, "FromAdmin")
            await wait_for(pilot, lambda: "FromAdmin" in tree_labels(main), timeout=2)
            dovecot.doveadm("mailbox", "delete", "-u", mail_user.name, "FromAdmin")
            await wait_for(pilot, lambda: "FromAdmin" not in tree_labels(main), timeout=2)

            # A name is data: no markup, no control characters, no direction override.
            hostile = "[b]Loud [red]x \u202eevil\x9b31m"  # no "/": that is the delimiter
            client.create_folder(hostile)
            await wait_for(pilot, lambda: hostile in tree_labels(main), timeout=5)
            label = tree_labels(main)[hostile]
            assert "[b]Loud [red]x" in label
            assert not {"\u202e", "\x9b", "\x1b"} & set(label)
            client.delete_folder(hostile)
            await wait_for(pilot, lambda: hostile not in tree_labels(main), timeout=5)
            assert main.status.message.startswith("work: folders changed elsewhere: removed [b]")
            assert not {"\u202e", "\x9b", "\x1b"} & set(main.status.message)
    finally:
        client.logout()


async def test_the_open_folder_renamed_then_removed_elsewhere(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    dovecot.create_folder(mail_user, "Lists")
    dovecot.deliver(mail_user, [make_message(i, subject=f"L{i}") for i in range(2)], "Lists")
    app = make_app(mail_user, names=("work",))
    client = other_client(dovecot, mail_user)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            main = await settled(pilot, app)
            service = app.services["work"]
            await wait_for(pilot, lambda: service.connection_state == "idling")
            main.post_message(FolderTree.FolderChosen(FolderKey("work", "Lists")))
            await wait_for(pilot, lambda: len(main.messages.source) == 2)
            await settled(pilot, app)
            await pilot.pause(WATCHER_SETTLES)

            client.rename_folder("Lists", "Old lists")
            renamed = FolderKey("work", "Old lists")
            await wait_for(pilot, lambda: main.current == renamed, timeout=2)
            assert "Lists" not in tree_labels(main) and "Old lists" in tree_labels(main)
            assert main.status.message == (
                "work: Lists was renamed to Old lists elsewhere; the list follows it"
            )
            await wait_for(pilot, lambda: len(main.messages.source) == 2)
            assert main.folder_tree.cursor_node is not None
            assert main.folder_tree.cursor_node.data == renamed
            await settled(pilot, app)  # its sync under the new name is over

            client.delete_folder("Old lists")
            await wait_for(pilot, lambda: main.current == FolderKey("work", "INBOX"), timeout=2)
            assert main.status.message == "work: Old lists was removed elsewhere; showing the inbox"
            assert "Old lists" not in tree_labels(main)
            await settled(pilot, app)
            assert main.status.state("work") in ("idling", "connected")
    finally:
        client.logout()


async def test_a_sync_of_a_folder_removed_meanwhile_is_no_error(
    dovecot: DovecotServer, mail_user: MailUser, make_app: AppFactory
) -> None:
    """A sync that was under way when its folder went (the list has moved to the inbox and
    said why) ends quietly; any other folder's failure is still told."""
    app = make_app(mail_user, names=("work",))
    async with app.run_test(size=(120, 40)) as pilot:
        main = await settled(pilot, app)
        main.sync_in_background("work", "Removed meanwhile")
        await settled(pilot, app)
        assert main.status.state("work") in ("idling", "connected")
        assert "Removed meanwhile" not in main.status.message
        service = app.services["work"]
        service.store.replace_folders([])  # no folder list yet: a failure is the account's
        main.sync_in_background("work", "Removed meanwhile")
        await settled(pilot, app)
        assert main.status.state("work") == "error"
