"""The cache on its own: order, counts, and the one-row reads the UI relies on."""

from __future__ import annotations

import random
from pathlib import Path

from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.models import Flag
from tui_mail.core.store.cache import Store


def row(uid: int, date: int, subject: str = "", flags: int = 0) -> SummaryRow:
    return SummaryRow(uid, date, "Name", "a@b", "", "", subject or f"s{uid}", "", "", "",
                      10, flags, "", 0, 0)  # fmt: skip


def test_list_order_is_newest_first_through_the_aggregates(tmp_path: Path) -> None:
    """ordered_uids and summaries read one aggregated row; the order must survive that."""
    store = Store(tmp_path / "c.sqlite3")
    folder = store.ensure_folder("INBOX")
    rng = random.Random(3)
    rows = [row(uid, rng.randrange(0, 50), flags=rng.choice([0, 1])) for uid in range(1, 3001)]
    rng.shuffle(rows)
    store.add_summaries(folder, rows)
    expected = [r.uid for r in sorted(rows, key=lambda r: (r.date, r.uid), reverse=True)]
    assert store.ordered_uids(folder) == expected
    assert [m.uid for m in store.summaries(folder)] == expected
    assert [m.uid for m in store.summaries(folder, limit=10, offset=5)] == expected[5:15]
    unread = [r.uid for r in sorted(rows, key=lambda r: (r.date, r.uid), reverse=True)
              if not r.flags & Flag.SEEN]  # fmt: skip
    assert store.ordered_uids(folder, unread_only=True) == unread
    assert store.counts(folder) == (3000, len(unread))
    assert store.ordered_uids(store.ensure_folder("Empty")) == []


def test_text_survives_the_json_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.sqlite3")
    folder = store.ensure_folder("INBOX")
    subject = 'Grüße "quoted" \\ back\\slash [bold]x[/] ⟨RLO⟩ 日本'
    store.add_summaries(folder, [row(1, 5, subject, Flag.SEEN | Flag.FLAGGED)])
    (message,) = store.summaries(folder)
    assert message.subject == subject
    assert message.flags == Flag.SEEN | Flag.FLAGGED


def test_cached_search_escapes_like_wildcards(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.sqlite3")
    folder = store.ensure_folder("INBOX")
    store.add_summaries(folder, [row(1, 1, "100% done"), row(2, 2, "1000 done")])
    assert store.search_cached(folder, ["100%"]) == [1]
    assert sorted(store.search_cached(folder, ["done"])) == [1, 2]
