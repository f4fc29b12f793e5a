"""Saved searches counted and listed from the caches: scope, unread counts, bad queries."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_local_search import _cache, _row
from tui_mail.config import SavedSearchConfig
from tui_mail.core.account.saved_search import SavedSearch, find, unread_counts, usable
from tui_mail.core.models import Flag


def test_unread_counts_across_folders_and_accounts_and_within_a_scope(tmp_path: Path) -> None:
    flagged, unread_flagged = Flag.SEEN | Flag.FLAGGED, Flag.FLAGGED
    caches = {
        "work": _cache(tmp_path, "work", {
            "INBOX": [_row(1, 1000, "a", unread_flagged), _row(2, 2000, "b", flagged),
                      _row(3, 3000, "c", Flag(0))],
            "Lists": [_row(9, 4000, "d", unread_flagged)],
        }),
        "home": _cache(tmp_path, "home", {"INBOX": [_row(1, 5000, "e", unread_flagged)]}),
    }  # fmt: skip
    everywhere = SavedSearch("Flagged", "is:flagged")
    at_work = SavedSearch("Work flagged", "is:flagged", ("work",))

    assert unread_counts(caches, [everywhere, at_work]) == {"Flagged": 3, "Work flagged": 2}
    assert [(h.account, h.folder, h.uid) for h in find(caches, everywhere)] == [
        ("home", "INBOX", 1),
        ("work", "Lists", 9),
        ("work", "INBOX", 2),
        ("work", "INBOX", 1),
    ]
    assert [h.uid for h in find(caches, at_work, unread=True)] == [9, 1]


def test_a_query_that_does_not_read_is_left_out_in_one_sentence() -> None:
    searches, problems = usable(
        [SavedSearchConfig("Good", "is:flagged"), SavedSearchConfig("Bad", "since:someday")]
    )
    assert searches == [SavedSearch("Good", "is:flagged")]
    assert problems == [
        "Saved search 'Bad' is left out: since: takes a date as YYYY-MM-DD, not 'someday'."
    ]
