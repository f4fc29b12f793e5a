"""The compose screen's signing and encryption: the line that says what will happen, the
key that changes it, and asking for a locked key's passphrase on the real terminal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from email.utils import getaddresses
from pathlib import Path
from typing import TypeVar

from rich.text import Text

from tui_mail.core.sending.draft import Draft

T = TypeVar("T")

_STATES = ((False, False), (True, False), (False, True), (True, True))
"""What ctrl+g steps through: nothing, sign, encrypt, sign and encrypt."""


def security_line(draft: Draft, hint: str = "") -> Text:
    """What will happen ("PGP: sign + encrypt"), in a style that says whether mail leaves
    protected; `hint`: what Autocrypt knows about the recipients."""
    chosen = [word for word, on in (("sign", draft.sign), ("encrypt", draft.encrypt)) if on]
    if not chosen:
        text = Text("PGP: off (ctrl+g signs or encrypts)", style="dim")
    else:
        text = Text("PGP: ", style="bold")
        text.append(" + ".join(chosen), style="bold green")
        if draft.encrypt:
            text.append("  (to every recipient and you; not sent if a key is missing)",
                        style="dim")  # fmt: skip
    if hint:
        text.append(f"  {hint}", style="italic")
    return text


class ComposeCrypto:
    """What the compose screen knows about signing and encrypting one draft: the user's
    choice (ctrl+g) and Autocrypt's recommendation for its recipients (spec 2.4), which
    turns encryption on by itself until the user chooses."""

    def __init__(self, data_dir: Path, *, mutual: bool) -> None:
        from tui_mail.core.crypto.autocrypt import autocrypt_store  # noqa: PLC0415

        self.autocrypt = autocrypt_store(data_dir)
        self._mutual = mutual
        self.chosen = False
        """The user pressed ctrl+g: Autocrypt no longer changes the choice."""
        self.hint = ""
        self._turned_on = False

    def toggle(self, draft: Draft) -> Text:
        self.chosen = True
        next_security(draft)
        return security_line(draft, self.hint)

    def recipients_changed(self, draft: Draft) -> Text:
        from tui_mail.core.crypto.autocrypt import Recommendation  # noqa: PLC0415

        fields = ", ".join((draft.to, draft.cc, draft.bcc))
        addresses = [a.lower() for _n, a in getaddresses([fields]) if "@" in a]
        advice = self.autocrypt.recommend(addresses, own_prefers_mutual=self._mutual)
        self.hint = {
            Recommendation.ENCRYPT: "Autocrypt: encrypting (every recipient prefers it)",
            Recommendation.AVAILABLE: "Autocrypt: every recipient can read encrypted mail",
            Recommendation.DISCOURAGE: "Autocrypt: keys known, but some are old",
        }.get(advice, "")
        if not self.chosen:
            wanted = advice is Recommendation.ENCRYPT
            if wanted != self._turned_on:
                draft.encrypt = self._turned_on = wanted
        return security_line(draft, self.hint)


def next_security(draft: Draft) -> None:
    """ctrl+g: the next of off, sign, encrypt, sign + encrypt."""
    now = _STATES.index((draft.sign, draft.encrypt))
    draft.sign, draft.encrypt = _STATES[(now + 1) % len(_STATES)]


async def with_passphrase(
    job: Callable[[], Awaitable[T]], suspend: Callable[[], AbstractContextManager[None]]
) -> T:
    """`job()`; when a PGP key's passphrase is needed, the app is suspended and gpg's own
    pinentry asks on the terminal (the agent keeps it), then `job()` runs once more."""
    from tui_mail.core.crypto.gnupg import KeyLocked, prime_on_terminal  # noqa: PLC0415

    try:
        return await job()
    except KeyLocked as locked:
        with suspend():
            prime_on_terminal(locked)
        return await job()
