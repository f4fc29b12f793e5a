"""The compose screen's safety net: the draft being written, saved locally every few seconds.

One JSON file per message being written, `<data_dir>/autosave/<account>/<id>.json`, with
every field of the Draft (attachments base64, so a file deleted meanwhile is not lost).
Written atomically (temporary file, fsync, rename), mode 0600: mail is private. The file
is removed when the message is sent, postponed to Drafts, or knowingly discarded, so a
file that is still there means tui-mail stopped while someone was writing: the next `c`
on that account reopens it (see MainScreen.action_compose).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tui_mail.config import AccountConfig
from tui_mail.config.private import private_dir
from tui_mail.core.models import Flag
from tui_mail.core.sending.compose import Draft, FileAttachment, Origin

AUTOSAVE_SECONDS = 3.0
"""How often the compose screen saves; a crash loses at most this much typing."""


class DraftAutosave:
    """The autosave file of one message being written."""

    def __init__(self, directory: Path, draft: Draft) -> None:
        self.directory = directory
        key = draft.message_id or str(id(draft))
        self.path = directory / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
        self._saved: Draft | None = None

    @staticmethod
    def directory_for(data_dir: Path, account: AccountConfig) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", account.name)[:40]
        digest = hashlib.sha256(account.name.encode()).hexdigest()[:8]
        return data_dir / "autosave" / f"{safe}-{digest}"

    def save(self, draft: Draft) -> bool:
        """Write `draft` if it changed since the last save; True when written. A draft to
        be encrypted is never written in clear (an earlier file of it goes): ctrl+p keeps
        it, encrypted, in Drafts. Raises OSError (the caller says so; typing goes on)."""
        if draft.encrypt:
            self.remove()
            self._saved = None
            return False
        if self._saved is not None and self._saved == draft:
            return False
        private_dir(self.directory)
        data = json.dumps(draft_to_json(draft), ensure_ascii=False).encode()
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        self._saved = draft_copy(draft)
        return True

    def remove(self) -> None:
        """The message is safe elsewhere (sent, in Drafts) or was discarded on purpose."""
        with contextlib.suppress(OSError):
            self.path.unlink()


def leftover_drafts(directory: Path) -> list[tuple[Path, Draft]]:
    """Autosaved drafts nobody finished, newest first; unreadable files are skipped."""
    try:
        paths = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return []
    found = []
    for path in paths:
        try:
            found.append((path, draft_from_json(json.loads(path.read_bytes()))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def draft_copy(draft: Draft) -> Draft:
    """A snapshot to compare against later (attachments' bytes are shared, never changed)."""
    return Draft(**{**_fields(draft), "attachments": list(draft.attachments)})


def draft_to_json(draft: Draft) -> dict[str, Any]:
    data = _fields(draft)
    data["attachments"] = [
        {
            "filename": a.filename,
            "content_type": a.content_type,
            "data": base64.b64encode(a.data).decode("ascii"),
        }
        for a in draft.attachments
    ]
    data["origin"] = (
        None if draft.origin is None else {**asdict(draft.origin), "flag": draft.origin.flag.name}
    )
    data["drafts_copy"] = None if draft.drafts_copy is None else list(draft.drafts_copy)
    return data


def draft_from_json(data: dict[str, Any]) -> Draft:
    origin, copy = data.get("origin"), data.get("drafts_copy")
    return Draft(
        from_addr=str(data["from_addr"]),
        **{name: str(data.get(name, "")) for name in _TEXT_FIELDS},
        attachments=[
            FileAttachment(str(a["filename"]), str(a["content_type"]), base64.b64decode(a["data"]))
            for a in data.get("attachments", [])
        ],
        origin=None
        if origin is None
        else Origin(str(origin["folder"]), int(origin["uid"]), Flag[origin["flag"]]),
        drafts_copy=None if copy is None else (str(copy[0]), int(copy[1])),
        sign=bool(data.get("sign", False)),
        encrypt=bool(data.get("encrypt", False)),
    )


_TEXT_FIELDS = ("to", "cc", "bcc", "subject", "body", "in_reply_to", "references", "message_id")


def _fields(draft: Draft) -> dict[str, Any]:
    return {
        "from_addr": draft.from_addr,
        **{name: getattr(draft, name) for name in _TEXT_FIELDS},
        "origin": draft.origin,
        "drafts_copy": draft.drafts_copy,
        "sign": draft.sign,
        "encrypt": draft.encrypt,
    }
