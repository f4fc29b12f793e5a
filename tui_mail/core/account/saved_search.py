"""Saved searches: a query kept under a name, shown like a folder, counted from the caches.

What the folder tree, its list and `tui-mail saved-searches` read. A saved search looks
at every cached folder of its accounts (every account unless the config names some),
with no network, through `local_search.search_local`; its unread count is the number of
matching messages that are unread. The query is read again at each count, so a span such
as `since:7d` moves with the days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_mail.config.models import SavedSearchConfig
from tui_mail.core.account.local_search import Hit, Scope, search_local
from tui_mail.core.errors import UsageError
from tui_mail.core.models import Flag
from tui_mail.core.query import LacksFlag, Query, parse_query

if TYPE_CHECKING:
    from tui_mail.core.account.cache_view import CacheView


@dataclass(frozen=True, slots=True)
class SavedSearch:
    """One saved search whose query reads."""

    name: str
    text: str
    """The query as the user wrote it."""
    accounts: tuple[str, ...] = ()
    """The accounts it looks at; empty: every account."""

    def query(self, *, unread: bool = False) -> Query:
        """The query as of today (spans count from it); `unread`: only unread messages."""
        query = parse_query(self.text)
        return Query((*query.terms, LacksFlag(Flag.SEEN))) if unread else query

    def scope(self, names: Sequence[str]) -> list[str]:
        """Which of the accounts `names` it looks at."""
        return [name for name in names if not self.accounts or name in self.accounts]


def usable(configs: Sequence[SavedSearchConfig]) -> tuple[list[SavedSearch], list[str]]:
    """The configured searches whose query reads, and one sentence for each that does not
    (the others work on)."""
    found: list[SavedSearch] = []
    problems: list[str] = []
    for config in configs:
        try:
            parse_query(config.query)
        except UsageError as error:
            problems.append(f"Saved search {config.name!r} is left out: {error}")
            continue
        found.append(SavedSearch(config.name, config.query, config.accounts))
    return found, problems


def find(
    caches: Mapping[str, CacheView], search: SavedSearch, *, unread: bool = False
) -> list[Hit]:
    """The cached messages `search` matches in its accounts, newest first (`unread`: only
    the unread ones). Blocking: call it off the UI loop."""
    scoped = {name: caches[name] for name in search.scope(list(caches))}
    return search_local(scoped, search.query(unread=unread), Scope.ALL)


def unread_counts(
    caches: Mapping[str, CacheView], searches: Sequence[SavedSearch]
) -> dict[str, int]:
    """Name -> how many messages it matches are unread. Blocking: off the UI loop."""
    return {search.name: len(find(caches, search, unread=True)) for search in searches}
