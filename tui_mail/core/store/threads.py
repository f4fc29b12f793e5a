"""Conversation threads from References / In-Reply-To, the way mature clients build them.

Jamie Zawinski's algorithm (the one Netscape, mutt and most clients since follow): every
Message-ID seen, as a message or only as a reference, gets a container; a message's
parent is the last id of its References (In-Reply-To when it has none), and the ids of
References are chained to each other, so replies whose parent is not in this folder (it
is in Sent, or was deleted) still meet at an empty container ("a gap"). Gaps are never
shown: a gap's children move up to the gap's place, and a thread whose root is a gap
with several children keeps them together one level in.

Grouping by subject: only the cautious rule mutt applies by default. A message with no
References and no In-Reply-To whose subject starts with "Re:" joins the thread whose
first message has the same subject without the prefix. Messages that merely share a
subject ("Hello", "Question") are never merged.

Built on arrays indexed by container number rather than objects (linking, with ids
reduced to hashes as they are read, is in core/store/thread_links.py): a million
messages thread in a few seconds of a background thread and about 150 MB, 100,000 in a
fraction of a second (tests/unit/test_threads.py measures it). Cycles (a message that,
through bad headers, ends up its own ancestor) are broken in one linear pass after
linking, so no per-link ancestor walk is needed.
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from tui_mail.core.store.thread_links import ThreadFields
from tui_mail.core.store.thread_state import Linked

MAX_INDENT = 5
"""Levels of tree shown; deeper replies are drawn at this level (80 columns stay readable)."""

_CHRONOLOGICAL = itemgetter(1, 0)  # (date, uid)

__all__ = [
    "MAX_INDENT",
    "ThreadFields",
    "ThreadInput",
    "ThreadOrder",
    "gc_paused",
    "lay_out",
    "thread_messages",
]


class ThreadInput(NamedTuple):
    """What threading needs of one message."""

    uid: int
    date: int
    message_id: str
    in_reply_to: str
    references: str
    subject: str


@dataclass(frozen=True, slots=True)
class ThreadOrder:
    """Messages in threaded order. Tree lines are drawn on demand, for the rows on screen
    only: making a string for each of 100,000 rows would double the cost of threading."""

    uids: list[int]
    """UIDs in display order."""
    numbers: Sequence[int]
    """Display position -> message number (the message's chronological rank)."""
    parents: Sequence[int]
    """Message number -> the number of the message it answers, -1 for a thread's top."""
    next_siblings: Sequence[int]
    """Message number -> the next reply to the same message, -1 for the last one."""
    depths: Sequence[int]
    """Message number -> reply depth (0 for a thread's first message)."""

    def __len__(self) -> int:
        return len(self.uids)

    def depth(self, position: int) -> int:
        return self.depths[self.numbers[position]]

    def guide(self, position: int) -> str:
        """Tree lines before a row's subject: "" at the top, else e.g. "│ └─".

        At most MAX_INDENT levels, the nearest ones: deeper replies stay readable.
        """
        number = self.numbers[position]
        depth = self.depths[number]
        if depth == 0:
            return ""
        parts = ["└─" if self.next_siblings[number] < 0 else "├─"]
        above = self.parents[number]
        while len(parts) < min(depth, MAX_INDENT) and above >= 0 and self.depths[above] > 0:
            parts.append("  " if self.next_siblings[above] < 0 else "│ ")
            above = self.parents[above]
        return "".join(reversed(parts))


@contextmanager
def gc_paused() -> Iterator[None]:
    """No garbage collection while a burst of objects is made.

    Threading 100,000 messages (and decoding what the store hands over for them) creates
    a million small objects, and each few hundred of them start a collection that walks
    the whole heap: measured, that was two thirds of the time. Nothing made here is cyclic
    garbage, so collecting can wait until the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def thread_messages(
    messages: Iterable[ThreadFields],
    ranks: dict[int, int] | None = None,
    *,
    reverse: bool = False,
    chronological: bool = False,
) -> ThreadOrder:
    """Order messages as threads: newest thread first, each thread oldest message first.

    `ranks` (UID -> place in a sorted list): threads ordered by their best-placed message
    instead (sorted by sender, the thread of the first sender first); `reverse`: the
    threads in the opposite order, each thread still oldest message first.
    `chronological`: the messages come by (date, UID) already (Store.thread_fields), so
    they are read as they come rather than held and sorted.
    """
    with gc_paused():
        items = messages if chronological else sorted(messages, key=_CHRONOLOGICAL)
        linked = Linked(items)
        del items
        return lay_out(linked, ranks, reverse=reverse)


def lay_out(
    linked: Linked, ranks: dict[int, int] | None = None, *, reverse: bool = False
) -> ThreadOrder:
    """The threads of linked messages in order (see thread_messages)."""
    with gc_paused():
        return _lay_out(linked.uids, linked.parents(), ranks, reverse)


@dataclass(slots=True)
class Index:
    """Which thread each message and each gap container is in, named by the thread's
    newest message (a name that stays while the thread does): what laying out only the
    threads new mail changes needs (core/store/thread_growth.py)."""

    thread_of: array[int] = field(default_factory=lambda: array("i"))
    """Message number -> the newest message of its thread."""
    gap_thread: dict[int, int] = field(default_factory=dict)
    """Gap container number -> the newest message of its thread (gaps above a message)."""


def _lay_out(  # noqa: PLR0915
    uid_of: array[int],
    parent: array[int],
    ranks: dict[int, int] | None,
    reverse: bool,
    index: Index | None = None,
) -> ThreadOrder:
    # One long function on purpose: the hot loops stay free of call overhead. Per
    # container values are arrays (4 bytes each), not lists of int objects.
    count = len(uid_of)
    total = len(parent)
    # Every message's nearest ancestor that is a message (gaps are skipped), and its root.
    shown_parent = array("i", [-1]) * count
    root_of = array("i", range(count))
    nearest: dict[int, int] = {}  # gap -> nearest message ancestor (-1: none)
    gap_root: dict[int, int] = {}
    for number in range(count):
        node = parent[number]
        if node < count:
            shown_parent[number] = node
            continue
        skipped: list[int] = []
        while node >= count and node not in nearest:
            skipped.append(node)
            node = parent[node]
        if node < 0:
            found, root = -1, skipped[-1]
        elif node < count:
            found, root = node, -1
        else:
            found, root = nearest[node], gap_root[node]
        for gap in skipped:
            nearest[gap] = found
            gap_root[gap] = root
        shown_parent[number] = found
        if found < 0:
            root_of[number] = root
    if index is None:
        del nearest, gap_root

    # Replies as linked lists (first child, next sibling): no list per message. A gap
    # at the root holds the thread's top messages as its children.
    first_child = array("i", [-1]) * total
    next_sibling = array("i", [-1]) * total
    for number in range(count - 1, -1, -1):  # backwards, so each list comes out in order
        above = shown_parent[number]
        if above < 0 and root_of[number] != number:
            above = root_of[number]
        if above >= 0:
            next_sibling[number] = first_child[above]
            first_child[above] = number

    # Each thread drawn depth first, then the threads ordered by their newest message.
    depths = array("i", [0]) * count
    order = array("i")
    begins = array("i")  # thread -> where it starts in `order` (then its end)
    newest = array("i")  # thread -> its newest message
    starts = [n for n in range(count) if shown_parent[n] < 0 and root_of[n] == n]
    starts.extend(gap for gap in set(root_of) if gap >= count)
    for start in starts:
        begin = len(order)
        if start < count:
            tops, base = [start], 0
        else:
            tops = []
            top = first_child[start]
            while top >= 0:
                tops.append(top)
                top = next_sibling[top]
            # Siblings under a gap root keep together one level in.
            base = 1 if len(tops) > 1 else 0
        for top in tops:
            depths[top] = base
            node = top
            while True:
                order.append(node)
                child = first_child[node]
                if child >= 0:
                    depths[child] = depths[node] + 1
                    node = child
                    continue
                while node != top and next_sibling[node] < 0:
                    node = shown_parent[node]
                if node == top:
                    break
                depths[next_sibling[node]] = depths[node]
                node = next_sibling[node]
        begins.append(begin)
        newest.append(max(order[begin:]))
        if index is not None:
            thread_of = index.thread_of
            if not thread_of:
                thread_of.extend(array("i", [-1]) * count)
            for node in order[begin:]:
                thread_of[node] = newest[-1]
            if start >= count:
                index.gap_thread[start] = newest[-1]
    if index is not None:  # gaps between messages: the thread of the message below them
        for gap, found in nearest.items():
            index.gap_thread[gap] = (
                index.thread_of[found] if found >= 0 else index.gap_thread.get(gap_root[gap], -1)
            )
        del nearest, gap_root
    del first_child, next_sibling[count:]  # only messages' siblings are drawn
    begins.append(len(order))
    if ranks is None:
        threads = sorted(range(len(newest)), key=newest.__getitem__, reverse=not reverse)
    else:
        # The best place is the lowest: negated, so that the same sort puts it first
        # (ties: the thread started later first, as in the newest-first order).
        last = len(ranks)
        rank = [ranks.get(uid, last) for uid in uid_of]
        best = [
            -min(map(rank.__getitem__, order[begins[t] : begins[t + 1]]))
            for t in range(len(newest))
        ]
        threads = sorted(range(len(newest)), key=lambda t: (best[t], t), reverse=not reverse)

    numbers = array("i")
    for thread in threads:
        numbers.extend(order[begins[thread] : begins[thread + 1]])
    del order, threads
    return ThreadOrder(
        list(map(uid_of.__getitem__, numbers)), numbers, shown_parent, next_sibling, depths
    )
