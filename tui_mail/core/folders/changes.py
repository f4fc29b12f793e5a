"""Folders made, removed or renamed elsewhere: what the server hinted, and what changed.

A server's word on its folder list arrives as hints (NOTIFY's `* LIST` events, RFC 5465
section 5.4; or a periodic LIST that came out different). Hints are not the truth:
Dovecot 2.3.19 reports a rename made by `doveadm` only with its next event (the one after
reports the one before), and a reconnect's first events repeat folders already known. So
a hint only decides whether the folder list is worth asking for again; what changed is
then the difference between the cached list and the server's answer, with the hinted
renames (OLDNAME) telling a renamed folder from one removed and one made, so that its
cached messages follow it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tui_mail.core.models import Folder


@dataclass(frozen=True, slots=True)
class FolderHints:
    """What the server said about its folder list since the last look."""

    created: frozenset[str] = frozenset()
    gone: frozenset[str] = frozenset()
    renamed: tuple[tuple[str, str], ...] = ()
    """(old, new) in the order the server told them."""
    subscribed: tuple[tuple[str, bool], ...] = ()
    """(name, subscribed now) as SubscriptionChange told them; the last word counts."""
    relist: bool = False
    """A periodic LIST found the names different: look whatever the cache says."""

    def __bool__(self) -> bool:
        return bool(self.created or self.gone or self.renamed or self.subscribed or self.relist)

    def merged(self, later: FolderHints) -> FolderHints:
        return FolderHints(
            created=(self.created - later.gone) | later.created,
            gone=(self.gone - later.created) | later.gone,
            renamed=self.renamed + later.renamed,
            subscribed=self.subscribed + later.subscribed,
            relist=self.relist or later.relist,
        )

    def worth_a_look(self, cached: Iterable[Folder]) -> bool:
        """Whether these hints say anything the cached list does not show already."""
        if self.relist:
            return True
        known = {folder.name: folder for folder in cached}
        if any(name not in known for name in self.created):
            return True
        if any(name in known for name in self.gone):
            return True
        if any(old in known or new not in known for old, new in self.renamed):
            return True
        last = dict(self.subscribed)
        return any(name in known and known[name].subscribed != on for name, on in last.items())


@dataclass(frozen=True, slots=True)
class FolderChanges:
    """How the server's folder list differs from the cached one."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = field(default=())
    """(old, new): the cache's rows of `old` now belong to `new`."""

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.renamed)

    def new_name(self, old: str) -> str | None:
        """What `old` is called now; None when it was removed (or was never renamed)."""
        return dict(self.renamed).get(old)


def compare(
    cached: Sequence[Folder], listed: Sequence[Folder], renames: Sequence[tuple[str, str]] = ()
) -> FolderChanges:
    """The cached list against the server's: a hinted rename counts when its old name is
    gone and its new one arrived (chains A->B->C make A->C); children of a renamed folder
    follow it when the server did not name them."""
    before = {folder.name for folder in cached}
    after = {folder.name for folder in listed}
    chained: dict[str, str] = {}
    for old, new in renames:
        sources = [source for source, target in chained.items() if target == old] or [old]
        for source in sources:
            chained[source] = new
    renamed = {
        old: new
        for old, new in chained.items()
        if old in before and old not in after and new in after and new not in before
    }
    delimiters = {folder.name: folder.delimiter for folder in cached}
    for old, new in list(renamed.items()):
        delimiter = delimiters.get(old)
        if not delimiter:
            continue
        for name in before - after - set(renamed):
            if name.startswith(old + delimiter):
                moved = new + name[len(old) :]
                if moved in after and moved not in before:
                    renamed[name] = moved
    targets = set(renamed.values())
    return FolderChanges(
        added=tuple(sorted(after - before - targets)),
        removed=tuple(sorted(before - after - set(renamed))),
        renamed=tuple(sorted(renamed.items())),
    )
