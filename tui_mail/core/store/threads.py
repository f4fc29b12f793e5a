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

Built on plain lists indexed by container number rather than objects: 100,000 messages
thread in a fraction of a second (tests/unit/test_threads.py measures it). Cycles
(a message that, through bad headers, ends up its own ancestor) are broken in one
linear pass after linking, so no per-link ancestor walk is needed.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from tui_mail.core.message.headers import strip_reply_prefix

MAX_INDENT = 5
"""Levels of tree shown; deeper replies are drawn at this level (80 columns stay readable)."""

_CHRONOLOGICAL = itemgetter(1, 0)  # (date, uid)
_ID = re.compile(r"<([^<>\s]+)>")
_IS_REPLY = re.compile(r"^\s*(?:re|aw|sv|antw|vs)(?:\[\d+\])?\s*:", re.I)


ThreadFields = tuple[int, int, str, str, str, str]
"""(uid, date, message_id, in_reply_to, references, subject), as Store.thread_fields
gives them; ThreadInput names the same fields."""


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
    numbers: list[int]
    """Display position -> message number (the message's chronological rank)."""
    parents: list[int]
    """Message number -> the number of the message it answers, -1 for a thread's top."""
    next_siblings: list[int]
    """Message number -> the next reply to the same message, -1 for the last one."""
    depths: list[int]
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


def _ids(value: str) -> list[str]:
    """Message-ids in a header value, as "<id>" keys (the fast path is a plain split)."""
    tokens = value.split()
    # Every token one whole "<id>" (the usual case): counting is C speed, a loop is not.
    if not tokens:
        return []
    if (
        value.count("<") == len(tokens) == value.count(">")
        and tokens[0][0] == "<"
        and tokens[-1][-1] == ">"
    ):
        return tokens
    found = _ID.findall(value)
    if found:
        return [f"<{found_id}>" for found_id in found]
    return [f"<{tokens[0]}>"] if len(tokens) == 1 else []


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
    messages: Iterable[ThreadFields], ranks: dict[int, int] | None = None, *, reverse: bool = False
) -> ThreadOrder:
    """Order messages as threads: newest thread first, each thread oldest message first.

    `ranks` (UID -> place in a sorted list): threads ordered by their best-placed message
    instead (sorted by sender, the thread of the first sender first); `reverse`: the
    threads in the opposite order, each thread still oldest message first.
    """
    with gc_paused():
        return _thread(messages, ranks, reverse)


def _thread(  # noqa: PLR0915
    messages: Iterable[ThreadFields], ranks: dict[int, int] | None, reverse: bool
) -> ThreadOrder:
    # One long function on purpose: the hot loops stay free of call overhead.
    # Chronological from here on: a message's number is its rank, so lists filled in
    # number order are already sorted (the store hands them over in this order).
    items = sorted(messages, key=_CHRONOLOGICAL)
    count = len(items)
    # Containers 0..count-1 are the messages themselves; gaps are appended after them.
    parent: list[int] = [-1] * count
    by_id: dict[str, int] = {}
    for number, item in enumerate(items):
        message_id = item[2].strip()
        if message_id[:1] != "<" or message_id[-1:] != ">" or " " in message_id:
            ids = _ids(message_id) if message_id else []
            message_id = ids[0] if ids else ""
        if message_id:
            by_id.setdefault(message_id, number)  # a duplicate id stays unreferenced

    has_references = [False] * count
    for number, item in enumerate(items):
        chain = _ids(item[4]) if item[4] else []
        if not chain and item[3]:
            chain = _ids(item[3])[-1:]
        if not chain:
            continue
        has_references[number] = True
        # The message's own headers name its parent (overriding what others implied).
        # The references before it are chained to each other, newest first, until one
        # that already has a parent: everything above it is known (first link wins).
        child = number
        for position in range(len(chain) - 1, -1, -1):
            found = by_id.get(chain[position])
            if found is None:
                found = len(parent)
                parent.append(-1)
                by_id[chain[position]] = found
            if found == child:
                continue  # a message naming itself, or an id repeated
            parent[child] = found
            child = found
            if parent[child] >= 0:
                break

    total = len(parent)
    # Cycles: each container has one parent, so following parents either ends or loops.
    # state 0 = not seen, 1 = on the current walk, 2 = done.
    state = bytearray(total)
    for start in range(total):
        if state[start]:
            continue
        walk: list[int] = []
        node = start
        while node >= 0 and state[node] == 0:
            state[node] = 1
            walk.append(node)
            node = parent[node]
        if node >= 0 and state[node] == 1:
            parent[node] = -1  # cut the loop where this walk re-entered it
        for visited in walk:
            state[visited] = 2

    _group_by_subject(items, parent, has_references)

    # Every message's nearest ancestor that is a message (gaps are skipped), and its root.
    shown_parent = [-1] * count
    root_of = list(range(count))
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

    # Replies as linked lists (first child, next sibling): no list per message. A gap
    # at the root holds the thread's top messages as its children.
    first_child = [-1] * total
    next_sibling = [-1] * total
    for number in range(count - 1, -1, -1):  # backwards, so each list comes out in order
        above = shown_parent[number]
        if above < 0 and root_of[number] != number:
            above = root_of[number]
        if above >= 0:
            next_sibling[number] = first_child[above]
            first_child[above] = number

    # Each thread drawn depth first, then the threads ordered by their newest message.
    depths = [0] * count
    order: list[int] = []
    spans: list[tuple[int, int, int]] = []  # (newest number, start, end)
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
        spans.append((max(order[begin:]), begin, len(order)))
    uid_of = [item[0] for item in items]
    if ranks is None:
        spans.sort(reverse=not reverse)
    else:
        # The best place is the lowest: negated, so that the same sort puts it first.
        last = len(ranks)
        rank = [ranks.get(uid, last) for uid in uid_of]
        spans = [(-min(map(rank.__getitem__, order[b:e])), b, e) for _n, b, e in spans]
        spans.sort(reverse=not reverse)

    numbers: list[int] = []
    for _newest, begin, end in spans:
        numbers.extend(order[begin:end])
    return ThreadOrder(
        list(map(uid_of.__getitem__, numbers)), numbers, shown_parent, next_sibling, depths
    )


def _group_by_subject(items: list[ThreadFields], parent: list[int], referenced: list[bool]) -> None:
    """Attach reference-less "Re: X" messages to the thread that began with "X"."""
    replies = [
        n
        for n, item in enumerate(items)
        if not referenced[n] and parent[n] < 0 and _IS_REPLY.match(item[5])
    ]
    if not replies:
        return
    wanted = {strip_reply_prefix(items[n][5]).casefold() for n in replies}
    first_by_subject: dict[str, int] = {}
    for number, item in enumerate(items):  # chronological: the first one wins
        if referenced[number] or parent[number] >= 0 or _IS_REPLY.match(item[5]):
            continue
        key = strip_reply_prefix(item[5]).casefold()
        if key in wanted:
            first_by_subject.setdefault(key, number)
    for number in replies:
        original = first_by_subject.get(strip_reply_prefix(items[number][5]).casefold())
        if original is not None:
            parent[number] = original
