"""The demo: a realistic local mailbox and an account for it, for `tui-mail --demo`.

A few hundred generated messages (conversations with In-Reply-To/References, HTML-only
mail, attachments, non-ASCII names and subjects, flagged and unread ones) in a Maildir++
tree under the data directory, in INBOX, Sent, Drafts, Archive, Trash and Lists/...
It is created once, the same bytes every time, and then behaves like any maildir: what the
user reads, flags, moves or deletes stays that way. Deleting the directory starts afresh.
Nothing in the demo can reach the network: it has no server of any kind, and sending only
files the message in the demo's Sent folder (the reports say nothing left the machine).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from tui_mail.config import AccountConfig, AppConfig
from tui_mail.config.private import private_dir
from tui_mail.core.demo.content import ME
from tui_mail.core.maildir.layout import file_name, make_maildir

DEMO_ACCOUNT = "demo"
DEMO_VERSION = 1
"""Bumped when the generated mailbox changes; a new version lives in a new directory."""
_FOLDERS = {
    "INBOX": "",
    "Sent": ".Sent",
    "Drafts": ".Drafts",
    "Archive": ".Archive",
    "Trash": ".Trash",
    "Lists/python-dev": ".Lists.python-dev",
    "Lists/textual-users": ".Lists.textual-users",
}


def demo_root(data_dir: Path) -> Path:
    return data_dir / "demo" / f"Maildir-v{DEMO_VERSION}"


def ensure_demo_maildir(data_dir: Path) -> Path:
    """The demo maildir, generated the first time (about a second); returns its root."""
    root = demo_root(data_dir)
    if root.is_dir():
        return root
    private_dir(root.parent)
    # Built aside and renamed into place, so a second tui-mail started meanwhile never sees
    # half a mailbox (and the loser of that race just throws its copy away).
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=root.parent))
    try:
        _write(building)
        try:
            os.rename(building, root)
        except OSError:
            if not root.is_dir():
                raise
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(building)
    return root


def _write(root: Path) -> None:
    from tui_mail.core.demo.messages import build_messages  # noqa: PLC0415

    for directory in _FOLDERS.values():
        make_maildir(root / directory if directory else root, marker=bool(directory))
    for number, message in enumerate(build_messages(), 1):
        stamp = int(message.when.timestamp())
        base = f"{stamp}.M{number:06d}P1.demo,S={len(message.raw)}"
        subdir, name = ("new", base)
        if message.letters is not None:
            subdir, name = "cur", file_name(base, message.letters)
        path = root / _FOLDERS[message.folder] / subdir / name
        path.write_bytes(message.raw)
        os.utime(path, (stamp, stamp))


def demo_account(data_dir: Path) -> AccountConfig:
    """The demo account (type maildir), its mailbox created first if needed."""
    return AccountConfig(
        name=DEMO_ACCOUNT,
        email=ME.address,
        display_name=ME.name,
        type="maildir",
        path=ensure_demo_maildir(data_dir),
        local_only=True,  # "sending" files the message in Sent and says so
    )


def demo_config(data_dir: Path) -> AppConfig:
    """A configuration holding only the demo account; never written to disk."""
    return AppConfig(path=data_dir / "demo" / "config.toml", accounts=(demo_account(data_dir),))
