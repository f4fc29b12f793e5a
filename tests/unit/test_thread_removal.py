"""Removing messages from kept links (Linked.remove) gives exactly what threading the
rest from scratch gives, on random folders with removals mixed with new mail."""

from __future__ import annotations

import random

from tests.unit.test_thread_saved import _random_rows, drawn
from tui_mail.core.message.headers import SummaryRow
from tui_mail.core.store.thread_growth import Laid, grow, lay_out_indexed
from tui_mail.core.store.thread_shrink import shrink
from tui_mail.core.store.thread_state import Linked
from tui_mail.core.store.threads import lay_out, thread_messages

Fields = tuple[int, int, str, str, str, str]


def _fields(rows: list[SummaryRow]) -> list[Fields]:
    return [(r.uid, r.date, r.message_id, r.in_reply_to, r.references, r.subject) for r in rows]


def _realistic(rng: random.Random, count: int) -> list[SummaryRow]:
    """Mostly distinct subjects and ids, as in real folders (the tangled pool of
    _random_rows still comes up one time in ten)."""
    rows = _random_rows(rng, count)
    return [
        row._replace(subject=f"S{rng.randint(0, 10**6)}", message_id=f"<m{row.uid}@x>")
        if rng.random() < 0.9
        else row
        for row in rows
    ]


def _check(linked: Linked, left: list[Fields], seed: int) -> None:
    full = thread_messages(left, chronological=True)
    assert drawn(lay_out(linked)) == drawn(full), seed
    assert list(lay_out(linked).numbers) == list(full.numbers), seed
    backwards = thread_messages(left, reverse=True, chronological=True)
    assert drawn(lay_out(linked, reverse=True)) == drawn(backwards), seed
    assert drawn(lay_out_indexed(linked).order) == drawn(full), seed


def _same(laid: Laid, full: Laid) -> bool:
    return (
        drawn(laid.order) == drawn(full.order)
        and list(laid.order.numbers) == list(full.order.numbers)
        and list(laid.order.uids) == list(full.order.uids)
        and list(laid.thread_of) == list(full.thread_of)
        and list(laid.gap_thread) == list(full.gap_thread)
    )


def test_removals_mixed_with_new_mail_equal_threading_the_rest_from_scratch() -> None:
    removed = refused = shrunk = 0
    for seed in range(1500):
        rng = random.Random(seed)
        count = rng.randint(5, 80)
        rows = _random_rows(rng, count) if seed % 3 == 0 else _realistic(rng, count)
        fields = _fields(rows)
        arrived = rng.randint(1, len(fields))
        left = fields[:arrived]
        linked = Linked(left)
        laid = lay_out_indexed(linked)
        for _step in range(6):
            if rng.random() < 0.35 and arrived < len(fields):
                more = fields[arrived : arrived + rng.randint(1, 8)]
                arrived += len(more)
                left += more
                laid = grow(laid, linked, linked.extend(more)) or lay_out_indexed(linked)
            elif left:
                gone = rng.sample(left, min(len(left), rng.choice([1, 1, 2, 5])))
                uids = {fields[0] for fields in gone}
                left = [message for message in left if message[0] not in uids]
                removal = linked.remove(uids)
                if removal is not None:
                    removed += 1
                    smaller = shrink(laid, linked, removal)
                    full = lay_out_indexed(linked)
                    if smaller is not None:
                        shrunk += 1
                        assert _same(smaller, full), seed
                    laid = smaller or full
                else:
                    refused += 1
                    linked = Linked(left)
                    laid = lay_out_indexed(linked)
            _check(linked, left, seed)
            assert _same(laid, lay_out_indexed(linked)), seed
            if rng.random() < 0.2:  # through the cache's arrays and back
                linked = Linked.from_parts(linked.parts())
    assert removed > 1500 and refused > 500 and shrunk > 1200, (removed, refused, shrunk)


def test_a_uid_not_there_is_passed_over_and_a_refusal_changes_nothing() -> None:
    def row(uid: int, refs: str = "") -> Fields:
        return (uid, 1_700_000_000 + uid, f"<{uid}@x>", "", refs, f"Subject {uid}")

    linked = Linked([row(1), row(2, "<1@x>"), row(3)])
    assert len(linked.remove({3, 999}) or ()) == 1
    assert linked.remove({1, 2}) is None  # 2 answers 1
    assert drawn(lay_out(linked)) == ["1", "└─2"]
    assert len(linked) == 2


def test_an_answered_message_is_not_removed_in_place_and_a_leaf_is() -> None:
    def row(uid: int, refs: str = "") -> Fields:
        return (uid, 1_700_000_000 + uid, f"<{uid}@x>", "", refs, f"Subject {uid}")

    fields = [row(1), row(2, "<1@x>"), row(3), row(4, "<1@x> <2@x>")]
    linked = Linked(fields)
    assert linked.remove({1}) is None  # 2 answers it: 2 and 4 would meet at a gap instead
    assert len(linked.remove({4}) or ()) == 1
    assert drawn(lay_out(linked)) == ["3", "1", "└─2"]
    assert len(linked.remove({3}) or ()) == 1
    assert drawn(lay_out(linked)) == ["1", "└─2"]
