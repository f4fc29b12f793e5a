"""Threading (core/store/threads.py) and the threaded list model over a real store."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tui_mail.core.account import message_index
from tui_mail.core.account.message_index import ThreadedMessages
from tui_mail.core.message.headers import SummaryRow, strip_reply_prefix
from tui_mail.core.models import Flag
from tui_mail.core.sort import DEFAULT_SORT, SortKey, SortSpec
from tui_mail.core.store import summaries
from tui_mail.core.store.cache import Store
from tui_mail.core.store.threads import (
    MAX_INDENT,
    ThreadInput,
    ThreadOrder,
    thread_messages,
)


def msg(
    uid: int, *, refs: str = "", reply_to: str = "", subject: str = "", mid: str | None = None
) -> ThreadInput:
    """Message `uid`, dated in UID order, with id <uid@x>."""
    return ThreadInput(
        uid,
        1_700_000_000 + uid * 60,
        f"<{uid}@x>" if mid is None else mid,
        reply_to,
        refs,
        subject or f"Subject {uid}",
    )


def drawn(order: ThreadOrder) -> list[str]:
    """The list as a reader sees it: tree lines, then the UID."""
    return [f"{order.guide(i)}{uid}" for i, uid in enumerate(order.uids)]


def test_replies_sit_under_what_they_answer_and_newest_thread_comes_first() -> None:
    order = thread_messages(
        [
            msg(1),
            msg(2, refs="<1@x>"),
            msg(3),
            msg(4, refs="<1@x> <2@x>"),
            msg(5, refs="<1@x>"),
            msg(6),
        ]
    )
    # Thread 1 (newest message 5) after the lone 6, before the lone 3.
    assert drawn(order) == ["6", "1", "├─2", "│ └─4", "└─5", "3"]
    assert [order.depth(i) for i in range(len(order))] == [0, 0, 1, 2, 1, 0]


def test_a_parent_missing_from_the_folder_still_groups_its_replies() -> None:
    # 10 is in Sent (not here); 11 and 12 both answer it; 13 answers 11 via References only.
    order = thread_messages(
        [
            msg(11, refs="<10@x>"),
            msg(12, refs="<10@x>"),
            msg(13, refs="<10@x> <11@x>"),
            msg(14),
        ]
    )
    assert drawn(order) == ["14", "├─11", "│ └─13", "└─12"]


def test_a_conversation_through_my_own_sent_replies_stays_one_chain() -> None:
    # 1 from them, 2 my reply (in Sent), 3 their answer: 3 shows under 1.
    order = thread_messages([msg(1), msg(3, refs="<1@x> <2@x>", reply_to="<2@x>")])
    assert drawn(order) == ["1", "└─3"]


def test_in_reply_to_is_used_when_there_are_no_references() -> None:
    order = thread_messages([msg(1), msg(2, reply_to="<1@x> (from Ann)")])
    assert drawn(order) == ["1", "└─2"]


def test_loops_and_self_references_do_not_hang_or_lose_messages() -> None:
    order = thread_messages(
        [
            msg(1, refs="<2@x>"),
            msg(2, refs="<1@x>"),
            msg(3, refs="<3@x>"),
            msg(4, refs="<5@x> <4@x>"),
            msg(5, refs="<4@x>"),
        ]
    )
    assert sorted(order.uids) == [1, 2, 3, 4, 5]
    assert order.depth(order.uids.index(3)) == 0


def test_duplicate_and_missing_message_ids_keep_every_message() -> None:
    order = thread_messages(
        [
            msg(1, mid="<same@x>"),
            msg(2, mid="<same@x>"),
            msg(3, mid=""),
            msg(4, mid="junk"),
            msg(5, refs="  ", reply_to=" "),
            msg(6, refs="<a@x><junk>"),  # no space between ids; a bare id
        ]
    )
    assert sorted(order.uids) == [1, 2, 3, 4, 5, 6]
    assert drawn(order)[:2] == ["4", "└─6"]


def test_re_without_references_joins_the_original_but_equal_subjects_do_not_merge() -> None:
    order = thread_messages(
        [
            msg(1, subject="Lunch on Friday?"),
            msg(2, subject="Hello"),
            msg(3, subject="RE: lunch on friday?"),
            msg(4, subject="Hello"),
        ]
    )
    assert drawn(order) == ["4", "1", "└─3", "2"]


def test_deep_threads_are_drawn_at_most_max_indent_levels_in() -> None:
    chain = [msg(1)]
    for uid in range(2, 12):
        chain.append(msg(uid, refs=" ".join(f"<{u}@x>" for u in range(1, uid))))
    order = thread_messages(chain)
    assert order.uids == list(range(1, 12))
    guides = [order.guide(i) for i in range(len(order))]
    assert max(len(g) for g in guides) == 2 * MAX_INDENT
    assert guides[-1].endswith("└─")


def test_strip_reply_prefix() -> None:
    assert strip_reply_prefix("Re: Fwd: RE[2]: AW: Lunch") == "Lunch"
    assert strip_reply_prefix("Lunch") == "Lunch"
    assert strip_reply_prefix("Reply needed") == "Reply needed"


def test_100k_messages_and_a_pathological_chain_thread_in_linear_time() -> None:
    # A 20,000-message chain, each naming the last ten before it: a per-link ancestor
    # walk would take minutes. Generous bounds: the machine is shared.
    chain = [msg(1)]
    for uid in range(2, 20_001):
        chain.append(msg(uid, refs=" ".join(f"<{u}@x>" for u in range(max(1, uid - 10), uid))))
    started = time.perf_counter()
    order = thread_messages(chain)
    assert time.perf_counter() - started < 5
    assert order.uids == list(range(1, 20_001))

    many = [msg(uid, refs=f"<{uid - uid % 7}@x>" if uid % 7 else "") for uid in range(1, 100_001)]
    started = time.perf_counter()
    order = thread_messages(many)
    assert time.perf_counter() - started < 5
    assert len(order) == 100_000 and order.uids[0] == 99_995  # newest thread's top


def _row(uid: int, subject: str, refs: str = "") -> SummaryRow:
    return SummaryRow(
        uid, 1_700_000_000 + uid, "Ann", "ann@x", "", "", subject, f"<{uid}@x>", "", refs,
        100, 0, "", 0, 0,
    )  # fmt: skip


def test_threaded_folder_from_the_store_shows_tree_lines_and_forgets_moved_rows(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "cache.db")
    folder_id = store.ensure_folder("INBOX")
    store.add_summaries(
        folder_id,
        [
            _row(1, "Plans"),
            _row(2, "Re: Plans", "<1@x>"),
            _row(3, "Other"),
            _row(4, "Re: Plans", "<1@x> <2@x>"),
        ],
    )
    source = ThreadedMessages("work", store, "INBOX")
    rows = [source.row(i) for i in range(len(source))]
    assert [(r.guide, r.summary.subject) for r in rows if r] == [
        ("", "Plans"),
        ("└─", "Re: Plans"),
        ("  └─", "Re: Plans"),
        ("", "Other"),
    ]
    source.forget([2])
    assert [r.ref.uid for r in (source.row(i) for i in range(len(source))) if r] == [1, 4, 3]
    store.add_summaries(folder_id, [_row(5, "Re: Other", "<3@x>")])
    source.refresh()
    assert source.uids() == [3, 5, 1, 2, 4]
    store.close()


def test_a_big_folder_is_threaded_in_the_background_and_shown_flat_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_index, "BACKGROUND_OVER", 2)
    store = Store(tmp_path / "cache.db")
    folder_id = store.ensure_folder("INBOX")
    store.add_summaries(folder_id, [_row(1, "Plans"), _row(2, "Other"), _row(3, "Re", "<1@x>")])
    arrived: queue.Queue[Callable[[], None]] = queue.Queue()
    source = ThreadedMessages("work", store, "INBOX", deliver=arrived.put)
    assert not source.ready and source.uids() == [3, 2, 1]  # flat, at once
    source.refresh()  # asked again while the first run is going: folded into one more
    arrived.get(timeout=10)()  # what the UI thread does with the delivered result
    assert source.ready and source.uids() == [1, 3, 2]
    arrived.get(timeout=10)()
    assert source.uids() == [1, 3, 2]
    assert arrived.empty()
    store.close()


def test_a_folder_read_a_chunk_at_a_time_threads_as_when_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of 2, and messages sharing a date across a chunk's end: each chunk starts
    # after the last (date, uid) read, so none is read twice or skipped.
    monkeypatch.setattr(summaries, "THREAD_CHUNK", 2)
    store = Store(tmp_path / "cache.db")
    folder_id = store.ensure_folder("INBOX")
    rows = [_row(uid, f"Subject {uid}", "<1@x>" if uid % 2 else "") for uid in range(1, 8)]
    same_date = [row._replace(date=1_700_000_000) for row in rows[2:5]]
    store.add_summaries(folder_id, [*rows[:2], *same_date, *rows[5:]])
    read = list(store.thread_fields(folder_id))
    assert [uid for uid, *_rest in read] == [3, 4, 5, 1, 2, 6, 7]  # by (date, uid)
    source = ThreadedMessages("work", store, "INBOX")
    assert [(row.guide, row.ref.uid) for row in map(source.row, range(7)) if row] == [
        ("", 1), ("├─", 3), ("├─", 5), ("└─", 7), ("", 6), ("", 2), ("", 4),
    ]  # fmt: skip
    store.close()


def _threaded_in_background(store: Store, sort: SortSpec = DEFAULT_SORT) -> list[tuple[str, int]]:
    """The rows a big folder's threaded view shows once its background run is done."""
    arrived: queue.Queue[Callable[[], None]] = queue.Queue()
    source = ThreadedMessages("work", store, "INBOX", deliver=arrived.put, sort=sort)
    arrived.get(timeout=10)()
    assert source.ready
    return [(row.guide, row.ref.uid) for row in map(source.row, range(len(source))) if row]


def _threaded_from_scratch(store: Store) -> list[tuple[str, int]]:
    source = ThreadedMessages("work", store, "INBOX")
    return [(row.guide, row.ref.uid) for row in map(source.row, range(len(source))) if row]


def test_new_mail_in_a_big_threaded_folder_extends_the_threads_kept_from_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_index, "BACKGROUND_OVER", 2)
    store = Store(tmp_path / "cache.db")
    folder_id = store.ensure_folder("INBOX")
    # 3 answers 2, which is not here yet (it is in Sent, say); 4 stands alone.
    store.add_summaries(
        folder_id, [_row(1, "Plans"), _row(3, "Re: Trip", "<2@x>"), _row(4, "Other")]
    )
    assert _threaded_in_background(store) == [("", 4), ("", 3), ("", 1)]
    read_above: list[int] = []
    reading = store.thread_fields

    def spy(folder: int, *, unread_only: bool = False, above_uid: int = 0) -> object:
        read_above.append(above_uid)
        return reading(folder, unread_only=unread_only, above_uid=above_uid)

    monkeypatch.setattr(store, "thread_fields", spy)
    # New mail: a reply to 1, and a message with 2's id (copied in later) that 3 answers.
    late = _row(6, "Trip")._replace(message_id="<2@x>")
    store.add_summaries(folder_id, [_row(5, "Re: Plans", "<1@x>"), late])
    shown = _threaded_in_background(store)
    assert read_above == [4]  # only what was new was read
    assert _threaded_in_background(store) == shown  # nothing new: nothing read
    assert read_above == [4]
    assert shown == [("", 6), ("└─", 3), ("", 1), ("└─", 5), ("", 4)]
    assert shown == _threaded_from_scratch(store)
    # A message dated before the others (a late copy) and a removal: read again whole.
    store.add_summaries(folder_id, [_row(7, "Old", "<4@x>")._replace(date=1_600_000_000)])
    read_above.clear()
    shown = _threaded_in_background(store)
    assert read_above == [6, 0]
    assert shown == _threaded_from_scratch(store)
    store.delete_uids(folder_id, [5])
    read_above.clear()
    shown = _threaded_in_background(store)
    assert read_above == [0]
    assert shown == [("", 6), ("└─", 3), ("", 4), ("└─", 7), ("", 1)]
    assert shown == _threaded_from_scratch(store)
    store.close()


def test_threads_kept_from_before_follow_a_flag_when_sorted_by_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_index, "BACKGROUND_OVER", 2)
    store = Store(tmp_path / "cache.db")
    folder_id = store.ensure_folder("INBOX")
    store.add_summaries(folder_id, [_row(1, "Plans"), _row(2, "Re", "<1@x>"), _row(3, "Other")])
    flagged_first = SortSpec(SortKey.FLAGGED)
    assert _threaded_in_background(store, flagged_first) == [("", 3), ("", 1), ("└─", 2)]
    store.set_flag_bits(folder_id, [2], Flag.FLAGGED, on=True)  # same messages, new places
    assert _threaded_in_background(store, flagged_first) == [("", 1), ("└─", 2), ("", 3)]
    store.close()
