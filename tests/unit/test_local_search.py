"""search_local and FoundMessages: what the cache answers, merged across folders and
accounts newest first, and the rows a list shows for it."""

from __future__ import annotations

from pathlib import Path

from tui_mail.core.account.cache_view import CacheView
from tui_mail.core.account.local_search import FoundMessages, Scope, search_local
from tui_mail.core.account.message_index import MessageRef
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.models import Flag
from tui_mail.core.query import parse_query
from tui_mail.core.store.cache import Store


def _row(uid: int, when: int, subject: str, flags: Flag = Flag.SEEN) -> SummaryRow:
    return SummaryRow(uid, when, "Ann", "ann@example.org", "me@example.org", "", subject,
                      f"<{uid}.{when}@x>", "", "", 100, int(flags), "", 0, 0)  # fmt: skip


def _cache(path: Path, name: str, folders: dict[str, list[SummaryRow]]) -> CacheView:
    store = Store(path / f"{name}.sqlite3")
    for folder, rows in folders.items():
        store.add_summaries(store.ensure_folder(folder), rows)
    return CacheView(name, store)


def test_scopes_merge_newest_first_across_folders_and_accounts(tmp_path: Path) -> None:
    caches = {
        "work": _cache(tmp_path, "work", {
            "INBOX": [_row(1, 1000, "budget plan"), _row(2, 4000, "lunch")],
            "Archive": [_row(7, 3000, "old budget")],
        }),
        "home": _cache(tmp_path, "home", {"INBOX": [_row(1, 2000, "budget at home")]}),
    }  # fmt: skip
    query = parse_query("budget")

    def found(scope: Scope) -> list[tuple[str, str, int]]:
        hits = search_local(caches, query, scope, account="work", folder="INBOX")
        return [(h.account, h.folder, h.uid) for h in hits]

    assert found(Scope.FOLDER) == [("work", "INBOX", 1)]
    assert found(Scope.ACCOUNT) == [("work", "Archive", 7), ("work", "INBOX", 1)]
    assert found(Scope.ALL) == [
        ("work", "Archive", 7),
        ("home", "INBOX", 1),
        ("work", "INBOX", 1),
    ]


def test_found_messages_rows_are_the_hits_summaries(tmp_path: Path) -> None:
    caches = {
        "work": _cache(tmp_path, "work", {"INBOX": [_row(1, 1000, "budget plan", Flag(0))]}),
        "home": _cache(tmp_path, "home", {"INBOX": [_row(1, 2000, "budget at home")]}),
    }
    model = FoundMessages(caches, search_local(caches, parse_query("is:unread"), Scope.ALL))
    assert len(model) == 1
    only = model.row(0)
    assert only is not None
    assert (only.ref, only.summary.subject) == (MessageRef("work", "INBOX", 1), "budget plan")
    assert model.row(1) is None
    everything = FoundMessages(caches, search_local(caches, parse_query("budget"), Scope.ALL))
    assert [r.summary.subject for r in map(everything.row, range(2)) if r] == [
        "budget at home",
        "budget plan",
    ]
    everything.forget([MessageRef("home", "INBOX", 1)])
    assert everything.index_of(MessageRef("work", "INBOX", 1)) == 0
