"""The Maildir backend: a local maildir tree read and changed in place, like an IMAP server.

UIDs come from the index (core/maildir/index.py); summaries go into the store through the
same `headers.summary_row` the IMAP sync uses, on the file's header block. A sync lists the
folder's new/ and cur/ (names only) and opens just the files the cache lacks, so a 10,000
message folder that did not change costs a directory listing and a few queries.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from tui_mail.config import AccountConfig, data_path
from tui_mail.config.private import private_dir
from tui_mail.core.backend import SyncCache
from tui_mail.core.errors import ConnectionFailed, UsageError
from tui_mail.core.maildir import layout as md
from tui_mail.core.maildir.index import IndexedFile, UidIndex
from tui_mail.core.maildir.layout import INBOX, FolderEntry, MaildirLayout
from tui_mail.core.maildir.search import matcher
from tui_mail.core.maildir.watch import MaildirWatcher
from tui_mail.core.message.headers import SummaryRow, summary_row
from tui_mail.core.models import Flag, Folder, Progress, SyncResult
from tui_mail.core.query import Query

FIRST_BATCH = 200
"""The newest messages committed first, so a list can show them while the rest are read."""
COMMIT_EVERY = 2000
_HEAD_CHUNK = 16384
_MAX_HEADER = 256 * 1024


def index_path(data_dir: Path, account: AccountConfig) -> Path:
    """Where an account's UID index lives (beside the caches, named the same way)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", account.name)[:40]
    digest = hashlib.sha256(account.name.encode()).hexdigest()[:8]
    return data_dir / "local" / f"{safe}-{digest}.sqlite3"


class MaildirBackend:
    """An account's maildir tree, behind the MailBackend protocol."""

    def __init__(
        self,
        account: AccountConfig,
        secret: object = None,
        *,
        data_dir: Path | None = None,
        create: bool = False,
    ) -> None:
        del secret  # the signature every backend factory calls; local mail has no password
        if account.path is None:
            raise UsageError(f"Account {account.name!r} has no path for its maildir.")
        self.account = account
        self.root = account.path
        self.layout = MaildirLayout(self.root)
        self._create = create
        self._index_path = index_path(data_dir or data_path(), account)
        self._index: UidIndex | None = None
        self._folders: dict[str, FolderEntry] = {}

    # -- connection --------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._index is not None

    @property
    def index(self) -> UidIndex:
        if self._index is None:
            raise ConnectionFailed(f"The maildir {self.root} is not open.")
        return self._index

    def connect(self) -> None:
        if self._create and not self.root.exists():
            md.make_maildir(self.root, marker=False)
        self.check()
        try:
            if not any(self.root.iterdir()):  # an empty directory becomes an empty INBOX
                md.make_maildir(self.root, marker=False)
        except OSError as error:
            raise ConnectionFailed(
                f"Cannot open the maildir {self.root}: {error.strerror or error}."
            ) from None
        self._index = UidIndex(self._index_path, self.root)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    def watcher(self, on_change: Callable[[str], None]) -> MaildirWatcher:
        """A watcher calling `on_change(folder)` when files change (not started yet)."""
        if self._create and not self.root.exists():  # POP3's download folder, before mail
            md.make_maildir(self.root, marker=False)
        self.check()  # a missing maildir is said in words, not as a watcher's traceback
        return MaildirWatcher(self.root, on_change)

    def check(self) -> None:
        if not self.root.is_dir():
            raise ConnectionFailed(
                f"The maildir {self.root} of account {self.account.name!r} does not exist or "
                "is not a directory. Check path in the account's configuration."
            )

    # -- folders -----------------------------------------------------------------------

    def _folder(self, name: str) -> FolderEntry:
        """The folder on disk; the tree is listed again when the name is not known yet."""
        canonical = INBOX if name.upper() == INBOX else name
        folder = self._folders.get(canonical)
        if folder is None or not folder.path.is_dir():
            self._folders = {f.name: f for f in self.layout.folders()}
            folder = self._folders.get(canonical)
        if folder is None or not folder.selectable:
            raise UsageError(
                f"There is no folder {name!r} in the maildir {self.root}. "
                '"tui-mail folders" lists the folders.'
            )
        return folder

    def list_folders(self) -> list[Folder]:
        self.check()
        entries = self.layout.folders()
        self._folders = {f.name: f for f in entries}
        folders: list[Folder] = []
        for entry in entries:
            total = unseen = None
            if entry.selectable:
                total, unseen = _counts(entry.path)
            folders.append(
                Folder(
                    name=entry.name,
                    delimiter=md.DELIMITER,
                    role=self.layout.role(entry.name),
                    selectable=entry.selectable,
                    total=total,
                    unseen=unseen,
                )
            )
        return folders

    def folder_counts(self, names: list[str]) -> dict[str, tuple[int, int]]:
        counts: dict[str, tuple[int, int]] = {}
        for name in names:
            try:
                counts[name] = _counts(self._folder(name).path)
            except UsageError:  # gone meanwhile
                continue
        return counts

    def create_folder(self, name: str) -> None:
        if self._exists(name):
            raise UsageError(f"A folder named {name!r} already exists.")
        path = self._inside(self.layout.path_for(name))
        md.make_maildir(path, marker=path.parent == self.root and path.name.startswith("."))
        self._folders.clear()

    def rename_folder(self, old: str, new: str) -> None:
        if INBOX in (old.upper(), new.upper()):
            raise UsageError("The INBOX cannot be renamed, and no folder can take its name.")
        source = self.layout.find(old)
        if source is None:
            raise UsageError(f"There is no folder {old!r} in the maildir {self.root}.")
        if self._exists(new):
            raise UsageError(f"A folder named {new!r} already exists.")
        target = self._inside(self.layout.path_for(new))
        if source.path.parent == self.root and source.path.name.startswith("."):
            # Maildir++ keeps subfolders beside their parent (which may not even exist as a
            # directory): `.Old.Sub` -> `.New.Sub`.
            prefix = source.path.name + "."
            for child in sorted(self.root.iterdir()):
                if child.name.startswith(prefix):
                    child.rename(self.root / (target.name + child.name[len(prefix) - 1 :]))
        if source.path.is_dir():
            private_dir(target.parent)
            source.path.rename(target)
        self.index.rename_folder(source.name, new)
        self._folders.clear()

    def delete_folder(self, name: str) -> None:
        if name.upper() == INBOX:
            raise UsageError("The INBOX cannot be deleted.")
        folder = self._folder_or_parent(name)
        children = [f for f in self.layout.folders() if f.name.startswith(folder.name + "/")]
        if children:
            raise UsageError(
                f"{name!r} has subfolders ({children[0].name} ...); delete those first."
            )
        shutil.rmtree(self._inside(folder.path))
        self.index.forget_folder(folder.name)
        self._folders.clear()

    def _exists(self, name: str) -> bool:
        return self.layout.find(name) is not None

    def _folder_or_parent(self, name: str) -> FolderEntry:
        folder = self.layout.find(name)
        if folder is None or not folder.path.is_dir():
            raise UsageError(f"There is no folder {name!r} in the maildir {self.root}.")
        return folder

    def _inside(self, path: Path) -> Path:
        """Refuse any path that would leave the maildir (a symlinked folder, say)."""
        if not path.resolve().is_relative_to(self.root.resolve()) or path == self.root:
            raise UsageError(f"{path} is outside the maildir {self.root}; refusing to touch it.")
        return path

    # -- sync --------------------------------------------------------------------------

    def sync_folder(self, store: SyncCache, folder: str, progress: Progress | None) -> SyncResult:
        entry = self._folder(folder)
        on_disk = md.scan(entry.path)
        indexed = self.index.folder(entry.name)
        known = self.index.files(indexed.folder_id)
        new_in_index = self._register_new(indexed.folder_id, known, on_disk)
        gone = [f.uid for base, f in known.items() if base not in on_disk]
        moved = [
            (f.uid, *on_disk[base])
            for base, f in known.items()
            if base in on_disk and on_disk[base] != (f.subdir, f.name)
        ]
        locations = {f.uid: on_disk[base] for base, f in known.items() if base in on_disk}

        result = SyncResult(entry.name)
        cached = store.sync_state(entry.name)
        folder_id = cached.folder_id
        if cached.uidvalidity is not None and cached.uidvalidity != indexed.uidvalidity:
            store.reset_folder(folder_id)
            result.cache_reset = True
        first = cached.uidvalidity is None or result.cache_reset
        in_store = set(store.uids(folder_id))
        missing = sorted(set(locations) - in_store, reverse=True)  # newest first
        extra = in_store - set(locations)

        result.new = self._add_summaries(store, folder_id, entry.path, missing, locations, progress)
        changes = [
            (uid, int(md.flag_mask(md.letters_of(name))), "", 0)
            for uid, _subdir, name in moved
            if uid in in_store
        ]
        result.flags_changed = store.update_flags(folder_id, changes) if changes else 0
        result.vanished = store.delete_uids(folder_id, sorted(extra)) if extra else 0
        # The index follows the store: a crash in between repeats the work, never loses it.
        self.index.relocate(indexed.folder_id, moved)
        self.index.remove(indexed.folder_id, gone)

        uidnext = indexed.uidnext + len(new_in_index)
        store.save_sync_state(folder_id, indexed.uidvalidity, uidnext, None)
        result.total, result.unseen = store.counts(folder_id)
        if first:
            result.method = "full"
        else:
            result.method = "diff" if (missing or changes or extra) else "unchanged"
            newest_cached = max(in_store, default=0)
            result.new_uids = sorted(uid for uid in missing if uid > newest_cached)
        return result

    def _register_new(
        self, folder_id: int, known: dict[str, IndexedFile], on_disk: dict[str, tuple[str, str]]
    ) -> list[int]:
        """Give files the index has not seen their UIDs (in delivery order); updates `known`.

        Only additions: what moved or vanished is left for sync to notice, because sync
        tells the cache about it by comparing the index with the disk.
        """
        added = sorted((b for b in on_disk if b not in known), key=md.delivery_order)
        uids = self.index.add(folder_id, [(b, *on_disk[b]) for b in added])
        for uid, base in zip(uids, added, strict=True):
            known[base] = IndexedFile(uid, base, *on_disk[base])
        return uids

    def _add_summaries(
        self,
        store: SyncCache,
        folder_id: int,
        directory: Path,
        uids: list[int],
        locations: dict[int, tuple[str, str]],
        progress: Progress | None,
    ) -> int:
        added = 0
        batch: list[SummaryRow] = []
        limit = FIRST_BATCH
        for uid in uids:
            subdir, name = locations[uid]
            row = read_summary(directory / subdir / name, uid)
            if row is not None:  # else it moved meanwhile: the next sync finds it
                batch.append(row)
            if len(batch) >= limit:
                added += store.add_summaries(folder_id, batch)
                batch, limit = [], COMMIT_EVERY
                if progress is not None:
                    progress(added, len(uids))
        if batch:
            added += store.add_summaries(folder_id, batch)
        if progress is not None and uids:
            progress(added, max(added, len(uids)))
        return added

    # -- messages ----------------------------------------------------------------------

    def _files(self, folder: FolderEntry, uids: Iterable[int]) -> dict[int, IndexedFile]:
        return self.index.by_uid(self.index.folder(folder.name).folder_id, uids)

    def _current(self, folder: FolderEntry, file: IndexedFile) -> tuple[str, str] | None:
        """Where the file is now: another client may have renamed it since we looked."""
        if (folder.path / file.subdir / file.name).exists():
            return file.subdir, file.name
        return md.scan(folder.path).get(file.base)

    def fetch_raw(self, folder: str, uid: int) -> bytes | None:
        entry = self._folder(folder)
        file = self._files(entry, [uid]).get(uid)
        if file is None:
            return None
        for _attempt in range(3):  # renamed between the look and the read: look again
            where = self._current(entry, file)
            if where is None:
                return None
            try:
                return (entry.path / where[0] / where[1]).read_bytes()
            except FileNotFoundError:
                continue
        return None

    def store_flags(self, folder: str, uids: list[int], flags: Flag, *, add: bool) -> None:
        entry = self._folder(folder)
        change = md.letters_for(flags)
        if not change:
            return
        folder_id = self.index.folder(entry.name).folder_id
        moves: list[tuple[int, str, str]] = []
        for uid, file in self._files(entry, uids).items():
            where = self._current(entry, file)
            if where is None:
                continue
            subdir, name = where
            base, letters = md.split_name(name)
            new_letters = md.change_letters(letters, change, add=add)
            if subdir == "cur" and new_letters == letters and name != base:
                continue
            # Flags live in cur/ only; a message a client has touched is no longer new.
            new_name = md.file_name(base, new_letters)
            os.rename(entry.path / subdir / name, entry.path / "cur" / new_name)
            if where == (file.subdir, file.name):
                moves.append((uid, "cur", new_name))
            # else another program had changed it first: the index keeps the old name, so
            # the next sync sees the difference and brings the cache's flags up to date.
        self.index.relocate(folder_id, moves)

    def move(self, folder: str, uids: list[int], destination: str) -> None:
        source = self._folder(folder)
        target = self._folder(destination)
        if source.path == target.path:
            return
        moved: list[int] = []
        for uid, file in self._files(source, uids).items():
            where = self._current(source, file)
            if where is None:
                continue
            subdir, name = where
            target_path = target.path / subdir / name
            if target_path.exists():  # the same file was copied there before: a new name
                base = md.unique_name(os.path.getsize(source.path / subdir / name))
                target_path = (
                    target.path
                    / subdir
                    / (md.file_name(base, md.letters_of(name)) if subdir == "cur" else base)
                )
            _move_file(source.path / subdir / name, target_path)
            moved.append(uid)
        self.index.remove(self.index.folder(source.name).folder_id, moved)

    def expunge(self, folder: str, uids: list[int]) -> None:
        entry = self._folder(folder)
        removed: list[int] = []
        for uid, file in self._files(entry, uids).items():
            where = self._current(entry, file)
            if where is not None:
                with contextlib.suppress(FileNotFoundError):
                    (entry.path / where[0] / where[1]).unlink()
            removed.append(uid)
        self.index.remove(self.index.folder(entry.name).folder_id, removed)

    def append(self, folder: str, message: bytes, flags: Flag, when: datetime | None) -> int | None:
        entry = self._folder(folder)
        letters = md.letters_for(flags)
        stamp = when.timestamp() if when is not None else None
        subdir, name = md.deliver(entry.path, message, letters or None, when=stamp)
        indexed = self.index.folder(entry.name)
        (uid,) = self.index.add(indexed.folder_id, [(md.split_name(name)[0], subdir, name)])
        return uid

    def deliver_new(self, message: bytes, *, durable: bool = False) -> None:
        """Put a message into the INBOX's new/ (what a delivery agent or POP3 does)."""
        md.deliver(self._folder(INBOX).path, message, None, durable=durable)

    def search(self, folder: str, query: Query) -> list[int]:
        entry = self._folder(folder)
        matches = matcher(query)
        folder_id = self.index.folder(entry.name).folder_id
        on_disk = md.scan(entry.path)
        known = self.index.files(folder_id)
        self._register_new(folder_id, known, on_disk)  # IMAP search sees unsynced mail too
        found = [
            known[base].uid
            for base, (subdir, name) in on_disk.items()
            if matches(entry.path, subdir, name, known[base].uid)
        ]
        return sorted(found)


def read_summary(path: Path, uid: int) -> SummaryRow | None:
    """The cache row for one message file, from its header block only; None if it is gone."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(_HEAD_CHUNK)
            end = _header_end(head)
            while end < 0 and len(head) < _MAX_HEADER:
                more = stream.read(65536)
                if not more:
                    break
                head += more
                end = _header_end(head)
            status = os.fstat(stream.fileno())
    except (FileNotFoundError, IsADirectoryError):
        return None
    block = head if end < 0 else head[:end]
    flags = int(md.flag_mask(md.letters_of(path.name)))
    row = summary_row(uid, flags, "", status.st_size, 0, block)
    if row.date == 0:  # no usable Date header: the file time is when it arrived
        row = row._replace(date=int(status.st_mtime))
    return row


def _header_end(head: bytes) -> int:
    ends = [i for i in (head.find(b"\n\n"), head.find(b"\r\n\r\n")) if i >= 0]
    if ends:
        return min(ends) + 1
    return 0 if head.startswith((b"\n", b"\r\n")) else -1


def _move_file(source: Path, target: Path) -> None:
    try:
        os.rename(source, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        # Another filesystem (a folder symlinked elsewhere): copy through tmp/, then remove.
        temporary = target.parent.parent / "tmp" / target.name
        shutil.copy2(source, temporary)
        os.rename(temporary, target)
        source.unlink()


def _counts(path: Path) -> tuple[int, int]:
    """(total, unseen) of one maildir folder, from its file names alone."""
    files = md.scan(path)
    unseen = sum(1 for _sub, name in files.values() if "S" not in md.letters_of(name))
    return len(files), unseen
