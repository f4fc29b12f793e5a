"""Laying out only what new mail changed (core/store/thread_growth.py) gives exactly the
rows a full lay_out gives, on random folders linked in steps as mail would arrive."""

from __future__ import annotations

import random

from tests.unit.test_thread_saved import _random_rows, drawn
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.store.thread_growth import Laid, grow, lay_out_indexed
from tui_mail.core.store.thread_state import Linked
from tui_mail.core.store.threads import lay_out


def _fields(rows: list[SummaryRow]) -> list[tuple[int, int, str, str, str, str]]:
    return [(r.uid, r.date, r.message_id, r.in_reply_to, r.references, r.subject) for r in rows]


def _same(grown: Laid, full: Laid) -> bool:
    return (
        drawn(grown.order) == drawn(full.order)
        and list(grown.order.numbers) == list(full.order.numbers)
        and list(grown.thread_of) == list(full.thread_of)
        and list(grown.gap_thread) == list(full.gap_thread)
    )


def test_growing_the_default_order_equals_laying_everything_out() -> None:
    grown_count = 0
    for seed in range(1500):
        rng = random.Random(seed)
        rows = _random_rows(rng, rng.randint(5, 80))
        if seed % 2:  # mostly distinct subjects, as in real folders: growing is the rule
            rows = [
                row._replace(subject=f"S{rng.randint(0, 10**6)}") if rng.random() < 0.9 else row
                for row in rows
            ]
        fields = _fields(rows)
        cuts = sorted(rng.sample(range(1, len(rows)), min(4, len(rows) - 1)))
        linked = Linked(fields[: cuts[0]])
        laid = lay_out_indexed(linked)
        assert drawn(laid.order) == drawn(lay_out(linked)), seed
        for start, end in zip(cuts, [*cuts[1:], len(rows)], strict=True):
            growth = linked.extend(fields[start:end])
            grown = grow(laid, linked, growth)
            full = lay_out_indexed(linked)
            if grown is not None:
                grown_count += 1
                assert _same(grown, full), (seed, start, end)
            laid = grown or full
    assert grown_count > 2000  # most steps took the short way, and were checked


def test_a_reply_to_an_old_thread_moves_only_that_thread_to_the_top() -> None:
    def row(uid: int, subject: str, refs: str = "", mid: str = "") -> SummaryRow:
        return SummaryRow(
            uid, 1_700_000_000 + uid, "Ann", "ann@x", "", "", subject, mid or f"<{uid}@x>",
            "", refs, 100, 0, "", 0, 0,
        )  # fmt: skip

    # 2 answers 1; 4 answers 9, which is not here (a gap: my own message, in Sent).
    old = [row(1, "Plans"), row(2, "Re: Plans", "<1@x>"), row(3, "Other"), row(4, "Re", "<9@x>")]
    linked = Linked(_fields(old))
    laid = lay_out_indexed(linked)
    assert drawn(laid.order) == ["4", "3", "1", "└─2"]
    new = [row(5, "Re: Plans", "<1@x> <2@x>"), row(6, "Mine", mid="<9@x>"), row(7, "New")]
    grown = grow(laid, linked, linked.extend(_fields(new)))
    assert grown is not None
    assert drawn(grown.order) == ["7", "6", "└─4", "1", "└─2", "  └─5", "3"]
    assert _same(grown, lay_out_indexed(linked))
