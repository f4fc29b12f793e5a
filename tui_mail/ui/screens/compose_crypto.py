"""The compose screen's signing and encryption: the line that says what will happen, the
key that changes it, and asking for a locked key's passphrase on the real terminal."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import TypeVar

from rich.text import Text

from tui_mail.core.sending.draft import Draft

T = TypeVar("T")

_STATES = ((False, False), (True, False), (False, True), (True, True))
"""What ctrl+g steps through: nothing, sign, encrypt, sign and encrypt."""


def security_line(draft: Draft) -> Text:
    """ "PGP: sign + encrypt (ctrl+g changes)", in a style that says whether mail leaves
    protected."""
    chosen = [word for word, on in (("sign", draft.sign), ("encrypt", draft.encrypt)) if on]
    if not chosen:
        return Text("PGP: off (ctrl+g signs or encrypts)", style="dim")
    text = Text("PGP: ", style="bold")
    text.append(" + ".join(chosen), style="bold green")
    if draft.encrypt:
        text.append("  (to every recipient and you; not sent if a key is missing)", style="dim")
    return text


def next_security(draft: Draft) -> None:
    """ctrl+g: the next of off, sign, encrypt, sign + encrypt."""
    now = _STATES.index((draft.sign, draft.encrypt))
    draft.sign, draft.encrypt = _STATES[(now + 1) % len(_STATES)]


async def with_passphrase(
    job: Callable[[], Awaitable[T]], suspend: Callable[[], AbstractContextManager[None]]
) -> T:
    """`job()`; when a PGP key's passphrase is needed, the app is suspended and gpg's own
    pinentry asks on the terminal (the agent keeps it), then `job()` runs once more."""
    from tui_mail.core.crypto.gnupg import KeyLocked  # noqa: PLC0415

    try:
        return await job()
    except KeyLocked as locked:
        with contextlib.suppress(OSError):
            os.environ.setdefault("GPG_TTY", os.ttyname(sys.stdin.fileno()))
        with suspend():
            print(f"tui-mail: {locked}", flush=True)
            subprocess.run(locked.command, input=b"\n", check=False)
        return await job()
