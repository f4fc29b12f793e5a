"""The outbox: messages on their way out, kept on disk until they are sent and filed.

One directory per account under the data dir, two files per message: ``<id>.eml``, the
message exactly as it will be filed in Sent (with its Bcc), and ``<id>.json``, what
sending it involves (envelope, state, what to flag afterwards, the last error). The .eml is
written first and never changes; an entry exists once its .json does. Every write is a
temporary file in the same directory, fsync, rename, then fsync of the directory, so a
crash or a full disk leaves either the old state or the new one, never half a message.

States, in order: ``queued`` (not handed over yet, or refused), ``transmitting`` (the
message was travelling when we last heard of it: it may have arrived, so a retry says so),
``accepted`` (the server took it; the Sent copy is still to be filed), ``filed`` (only the
follow-ups are left). An entry is removed after that.

A lock (flock on the .eml) keeps two tui-mail processes from sending the same entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui_mail.config.private import private_dir
from tui_mail.core.errors import TuiMailError, UsageError
from tui_mail.core.models import Flag
from tui_mail.core.sending.compose import Origin

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig

State = Literal["queued", "transmitting", "accepted", "filed"]
STATES: tuple[State, ...] = ("queued", "transmitting", "accepted", "filed")

RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 3600.0
_ORPHAN_AGE_SECONDS = 3600.0
_ENTRY_ID = re.compile(r"[0-9]{8}T[0-9]{6}-[0-9a-f]{8}")


class OutboxError(TuiMailError):
    """The outbox cannot be written or read (full disk, permissions)."""

    exit_code = 1


class OutboxBusy(UsageError):
    """Another tui-mail process is sending this entry right now."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One message in the outbox, as its .json describes it."""

    id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    """Decoded, for listings."""
    message_id: str
    created: float
    state: State = "queued"
    attempts: int = 0
    last_attempt: float = 0.0
    last_error: str = ""
    origin: Origin | None = None
    """The replied-to or forwarded message, flagged once this one is sent."""
    drafts_copy: tuple[str, int] | None = None
    """A postponed version in the Drafts folder, removed once this one is sent."""
    sent_folder: str | None = None
    size: int = field(default=0)
    retries_itself: bool = False
    """The last attempt failed for want of a network (unreachable, timed out) or the
    server said "try later" (4xx), so it is tried again by itself when due. Other failures
    (a refused recipient, a wrong password, a certificate) wait for the user, who may want
    to change something first."""

    @property
    def may_have_been_sent(self) -> bool:
        """The last attempt broke off while the message was travelling."""
        return self.state == "transmitting"

    def retry_at(self) -> float:
        """When an automatic retry is due (doubling from 30 s, at most an hour apart). A
        message never tried is due after 30 s too: until then its first attempt may be
        under way in the process that queued it."""
        if self.attempts == 0:
            return self.created + RETRY_BASE_SECONDS
        delay = min(RETRY_BASE_SECONDS * 2.0 ** (self.attempts - 1), RETRY_MAX_SECONDS)
        return self.last_attempt + delay


class Outbox:
    """The outbox directory of one account."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def for_account(cls, data_dir: Path, account: AccountConfig) -> Outbox:
        """`<data_dir>/outbox/<account>`; the name is filesystem-safe and unique."""
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", account.name)[:40]
        digest = hashlib.sha256(account.name.encode()).hexdigest()[:8]
        return cls(data_dir / "outbox" / f"{safe}-{digest}")

    # -- adding and reading --------------------------------------------------------------

    def add(
        self,
        raw: bytes,
        *,
        sender: str,
        recipients: list[str],
        subject: str,
        message_id: str,
        origin: Origin | None = None,
        drafts_copy: tuple[str, int] | None = None,
    ) -> OutboxEntry:
        """Store a message durably; raises OutboxError (and stores nothing) when it cannot."""
        entry = OutboxEntry(
            id=f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}",
            sender=sender,
            recipients=tuple(recipients),
            subject=subject,
            message_id=message_id,
            created=time.time(),
            origin=origin,
            drafts_copy=drafts_copy,
            size=len(raw),
        )
        try:
            private_dir(self.directory)
            _write_atomically(self._message_path(entry.id), raw)
            try:
                _write_atomically(self._meta_path(entry.id), _encode(entry))
            except BaseException:
                with contextlib.suppress(OSError):
                    self._message_path(entry.id).unlink()
                raise
        except OSError as error:
            raise self._error("save the message to", error) from None
        return entry

    def entries(self) -> list[OutboxEntry]:
        """Every message waiting, oldest first. Unreadable metadata is skipped."""
        try:
            names = sorted(os.listdir(self.directory))
        except FileNotFoundError:
            return []
        except OSError as error:
            raise self._error("read", error) from None
        found = []
        for name in names:
            stem, _dot, suffix = name.partition(".")
            if suffix == "json" and _ENTRY_ID.fullmatch(stem):
                entry = self._load(stem)
                if entry is not None:
                    found.append(entry)
            elif (suffix == "eml" and f"{stem}.json" not in names) or name.startswith(".tmp-"):
                self._drop_orphan(self.directory / name)
        return sorted(found, key=lambda entry: (entry.created, entry.id))

    def get(self, entry_id: str) -> OutboxEntry:
        entry = self._load(entry_id) if _ENTRY_ID.fullmatch(entry_id) else None
        if entry is None:
            raise UsageError(
                f"There is no message {entry_id!r} in the outbox; "
                '"tui-mail outbox" lists the ones waiting.'
            )
        return entry

    def message(self, entry: OutboxEntry) -> bytes:
        try:
            return self._message_path(entry.id).read_bytes()
        except OSError as error:
            raise self._error("read a message from", error) from None

    # -- changing ------------------------------------------------------------------------

    def update(self, entry: OutboxEntry, **changes: Any) -> OutboxEntry:
        """Record a new state (or error) durably; returns the updated entry."""
        updated = replace(entry, **changes)
        try:
            _write_atomically(self._meta_path(entry.id), _encode(updated))
        except OSError as error:
            raise self._error("update", error) from None
        return updated

    def remove(self, entry: OutboxEntry) -> None:
        """Forget a message: the metadata first, so a crash leaves no half entry behind."""
        try:
            with contextlib.suppress(FileNotFoundError):
                self._meta_path(entry.id).unlink()
            with contextlib.suppress(FileNotFoundError):
                self._message_path(entry.id).unlink()
            _fsync_directory(self.directory)
        except OSError as error:
            raise self._error("remove a message from", error) from None

    @contextlib.contextmanager
    def claimed(self, entry_id: str) -> Iterator[OutboxEntry]:
        """Hold the entry for this process while it is being sent; yields it as it is now."""
        try:
            handle = self._message_path(entry_id).open("rb")
        except FileNotFoundError:
            raise UsageError(f"Message {entry_id!r} has left the outbox already.") from None
        except OSError as error:
            raise self._error("open a message in", error) from None
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OutboxBusy(
                    f"Message {entry_id!r} is being sent by another tui-mail right now."
                ) from None
            entry = self._load(entry_id)
            if entry is None:  # sent and removed by someone else while we waited
                raise UsageError(f"Message {entry_id!r} has left the outbox already.")
            yield entry

    # -- internals -----------------------------------------------------------------------

    def _message_path(self, entry_id: str) -> Path:
        return self.directory / f"{entry_id}.eml"

    def _meta_path(self, entry_id: str) -> Path:
        return self.directory / f"{entry_id}.json"

    def _load(self, entry_id: str) -> OutboxEntry | None:
        try:
            return _decode(entry_id, self._meta_path(entry_id).read_bytes())
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _drop_orphan(self, path: Path) -> None:
        """A temporary file, or a message whose metadata never got written: left by a crash.
        Only old ones, so a process that is writing them right now keeps its files."""
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > _ORPHAN_AGE_SECONDS:
                path.unlink()

    def _error(self, action: str, error: OSError) -> OutboxError:
        reason = error.strerror or type(error).__name__
        if isinstance(error, FileExistsError | NotADirectoryError):
            reason = "a file is in the way where a directory should be"
        return OutboxError(
            f"Cannot {action} the outbox in {self.directory}: {reason}. Nothing was sent. "
            "Free some disk space or fix the directory's permissions (or set "
            "TUI_MAIL_DATA_DIR to another place), then try again."
        )


def _encode(entry: OutboxEntry) -> bytes:
    data = asdict(entry)
    data["origin"] = (
        None
        if entry.origin is None
        else {
            "folder": entry.origin.folder,
            "uid": entry.origin.uid,
            "flag": entry.origin.flag.name,
        }
    )
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def _decode(entry_id: str, data: bytes) -> OutboxEntry:
    raw = json.loads(data)
    origin = raw.get("origin")
    drafts = raw.get("drafts_copy")
    state = raw.get("state", "queued")
    if state not in STATES:
        raise ValueError(state)
    return OutboxEntry(
        id=entry_id,
        sender=str(raw["sender"]),
        recipients=tuple(str(r) for r in raw["recipients"]),
        subject=str(raw.get("subject", "")),
        message_id=str(raw.get("message_id", "")),
        created=float(raw["created"]),
        state=state,
        attempts=int(raw.get("attempts", 0)),
        last_attempt=float(raw.get("last_attempt", 0.0)),
        last_error=str(raw.get("last_error", "")),
        origin=None
        if origin is None
        else Origin(str(origin["folder"]), int(origin["uid"]), Flag[origin["flag"]]),
        drafts_copy=None if drafts is None else (str(drafts[0]), int(drafts[1])),
        sent_folder=raw.get("sent_folder"),
        size=int(raw.get("size", 0)),
        retries_itself=bool(raw.get("retries_itself", False)),
    )


def _write_atomically(path: Path, data: bytes) -> None:
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as stream:  # mkstemp makes it 0600: mail is private
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make a rename or unlink durable (the directory entry is what changed)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
