"""The cache's copy of the server's folder list (Store.replace_folders / folders)."""

from __future__ import annotations

import sqlite3

from tui_mail.core.models import Folder, FolderRole


def replace_folders(db: sqlite3.Connection, folders: list[Folder]) -> None:
    """Record the server's folder list; folders that disappeared lose their cache."""
    names = [folder.name for folder in folders]
    placeholders = ",".join("?" * len(names))
    db.execute(f"DELETE FROM folders WHERE name NOT IN ({placeholders})", names)  # noqa: S608
    for folder in folders:
        db.execute(
            "INSERT INTO folders (name, delimiter, role, subscribed,"
            " selectable, server_total, server_unseen) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET delimiter=excluded.delimiter,"
            " role=excluded.role,"
            " subscribed=excluded.subscribed, selectable=excluded.selectable,"
            " server_total=excluded.server_total, server_unseen=excluded.server_unseen",
            (
                folder.name,
                folder.delimiter,
                folder.role.value if folder.role else None,
                int(folder.subscribed),
                int(folder.selectable),
                folder.total,
                folder.unseen,
            ),
        )


def folders(db: sqlite3.Connection) -> list[Folder]:
    """Cached folders with counts from the server's last answer."""
    rows = db.execute(
        "SELECT name, delimiter, role, subscribed, selectable,"
        " server_total, server_unseen FROM folders ORDER BY name"
    ).fetchall()
    return [
        Folder(
            name=name,
            delimiter=delimiter,
            role=FolderRole(role) if role else None,
            subscribed=bool(subscribed),
            selectable=bool(selectable),
            total=total,
            unseen=unseen,
        )
        for name, delimiter, role, subscribed, selectable, total, unseen in rows
    ]
