"""Laying out again only the threads new mail changed, in the default order (newest thread
first), with exactly the rows a full lay_out would give.

After `Linked.extend`, laying the whole folder out again (threads.lay_out) was most of a
threaded look at new mail: 1.1 s of the 1.2-1.5 s for a million messages. Yet a new
message changes only its own thread: the one it answers (through the containers its
References name), and any thread those containers joined. The others keep their rows, and
in the default order a thread's place depends on nothing but its newest message, so the
unchanged threads keep their order and the changed ones are merged in by their newest.

How it stays exact: the changed threads (those of every container a new message's links
gave a parent or turned from a gap into a message, every new message, and whatever their
ancestors reach, until nothing more is reached) are laid out by the same code as a full
pass (threads._lay_out), on their containers alone, numbered in the same relative order,
so each gets the same rows. What could reach beyond them is checked, and when it might,
the caller lays everything out as before (None):
- a loop among the links (cutting it depends on where a walk of the whole folder enters);
- grouping by subject: a new reference-less "Re:" message (it joins the first original of
  its subject, wherever that is), a new original, or an older one that gained a parent,
  whose subject some reference-less "Re:" message has (the first original may change).
Reference-less replies already grouped keep the original they were given (it is still the
first, by the checks above).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from tui_mail.core.store.thread_links import ORIGINAL, REFERENCED, REPLY
from tui_mail.core.store.thread_state import Growth, Linked
from tui_mail.core.store.threads import Index, ThreadOrder, _lay_out, gc_paused


@dataclass(frozen=True, slots=True)
class Laid:
    """The default order of a folder's threads, with which thread each message and gap is
    in (named by the thread's newest message), for `grow`."""

    order: ThreadOrder
    thread_of: array[int]
    """Message number -> the newest message of its thread."""
    gap_thread: array[int]
    """Gap (Linked's numbering) -> the newest message of the thread it is above, or -1."""


def lay_out_indexed(linked: Linked) -> Laid:
    """threads.lay_out in the default order, with the index `grow` needs."""
    with gc_paused():
        index = Index()
        order = _lay_out(linked.uids, linked.parents(), None, False, index)
        gap_thread = array("i", [-1]) * linked.gap_count()
        for place, gap in enumerate(linked.live_gaps()):
            gap_thread[gap] = index.gap_thread.get(len(linked) + place, -1)
        thread_of = index.thread_of if index.thread_of else array("i")
        return Laid(order, thread_of, gap_thread)


def grow(laid: Laid, linked: Linked, growth: Growth) -> Laid | None:
    """`laid` (the order before `growth`) with the new messages in; None: lay it all out."""
    if len(laid.order) != growth.first or len(laid.gap_thread) != growth.gaps:
        return None
    with gc_paused():
        found = _changed(laid, linked, growth)
        if found is None:
            return None
        messages, gaps, threads, grouped = found
        return _merged(laid, linked, growth, messages, gaps, threads, grouped)


def _changed(
    laid: Laid, linked: Linked, growth: Growth
) -> tuple[list[int], list[int], set[int], dict[int, int]] | None:
    """The messages and gaps of every changed thread, the old threads among them, and the
    original each new reference-less "Re:" message is grouped with (-1: none)."""
    first, count = growth.first, len(linked)
    thread_of, gap_thread = laid.thread_of, laid.gap_thread
    threads: set[int] = set()
    grouped: dict[int, int] = {}
    firsts: dict[int, int | None] = {}
    subjects: set[int] | None = None
    for number in [*growth.touched, *range(first, count)]:
        kind = linked.kind(number) if number >= 0 else REFERENCED
        if kind == REPLY and number >= first and linked.raw_parent(number) == -1:
            # Grouped by subject: with the first original of its subject, wherever it is.
            original = _first_original(linked, linked.subject(number), firsts)
            if original is None:
                return None
            grouped[number] = original
            if 0 <= original < first:
                threads.add(thread_of[original])
        elif kind == ORIGINAL and (number < first or linked.raw_parent(number) == -1):
            subjects = linked.reply_subjects() if subjects is None else subjects
            if linked.subject(number) in subjects:
                # The first original of a subject replies are grouped under: an older one
                # that gained a parent, or a new one with none, may no longer be or be it.
                original = _first_original(linked, linked.subject(number), firsts)
                if original is None or original == -1 or original >= number:
                    return None
    for container in growth.touched:
        threads.add(thread_of[container] if container >= 0 else gap_thread[-2 - container])
    threads.update(gap_thread[gap] for gap in growth.aliased)
    if -1 in threads:
        return None  # a gap above no message: only a loop among the links leaves one so
    messages: set[int] = set(range(first, count))
    state: dict[int, int] = {}  # container -> 1 on the walk under way, 2 done
    # Where a gap became a message, the message's own headers name its parent: the gaps
    # that were above the gap may be above nothing now, so they are laid out again too.
    waiting = [*messages, *(linked.resolved(linked.gap_parent(gap)) for gap in growth.aliased)]
    taken: set[int] = set()
    pending = list(threads)
    while waiting or pending:
        for thread in pending:
            if thread >= 0 and thread not in taken:
                taken.add(thread)
                rows = _rows(laid, thread)
                more = [laid.order.numbers[row] for row in range(*rows)]
                messages.update(more)
                waiting.extend(more)
        pending = []
        while waiting:
            walk = []
            node = waiting.pop()
            while node != -1 and state.get(node, 0) == 0:  # (as break_cycles walks)
                state[node] = 1
                walk.append(node)
                if 0 <= node < first:
                    pending.append(thread_of[node])
                elif node < -1 and -2 - node < growth.gaps:
                    pending.append(gap_thread[-2 - node])
                node = linked.resolved(linked.raw_parent(node))
            if node != -1 and state[node] == 1:
                return None  # a loop: where it is cut depends on the whole folder
            for visited in walk:
                state[visited] = 2
    gaps = sorted(-2 - node for node in state if node < -1)
    return sorted(messages), gaps, taken, grouped


def _first_original(linked: Linked, subject: int, firsts: dict[int, int | None]) -> int | None:
    """The first message of the subject, as grouping by subject finds it: the oldest
    reference-less original with no parent (-1: none; None: cannot tell, a loop among
    the links could free one, or the subject is empty, which is every message's key)."""
    if subject in firsts:
        return firsts[subject]
    found: int | None = -1
    if subject == 0:
        found = None
    else:
        for number in linked.with_subject(subject):
            if linked.kind(number) != ORIGINAL:
                continue
            if linked.raw_parent(number) == -1:
                found = number
                break
            if looped(linked, number):
                found = None
                break
    firsts[subject] = found
    return found


def looped(linked: Linked, container: int) -> bool:
    """Whether following the container's parents comes back to one already passed (where
    break_cycles cut a loop depends on the walk that entered it first)."""
    seen: set[int] = set()
    while container != -1:
        if container in seen:
            return True
        seen.add(container)
        container = linked.resolved(linked.raw_parent(container))
    return False


def _rows(laid: Laid, thread: int) -> tuple[int, int]:
    """The rows of the thread whose newest message is `thread` (threads are by their
    newest message, newest first, each thread's rows together)."""
    numbers, thread_of = laid.order.numbers, laid.thread_of
    rows = range(len(numbers))

    def newest(row: int) -> int:
        return -thread_of[numbers[row]]

    return bisect_left(rows, -thread, key=newest), bisect_right(rows, -thread, key=newest)


def _merged(
    laid: Laid,
    linked: Linked,
    growth: Growth,
    messages: list[int],
    gaps: list[int],
    threads: set[int],
    grouped: dict[int, int],
) -> Laid | None:
    first, count, old = growth.first, len(linked), laid.order
    local = {number: place for place, number in enumerate(messages)}
    local.update({-2 - gap: len(messages) + place for place, gap in enumerate(gaps)})
    parent = array("i", [-1]) * len(local)
    for container, place in local.items():
        above = linked.resolved(linked.raw_parent(container))
        if above == -1 and 0 <= container < first and linked.kind(container) == REPLY:
            above = old.parents[container]  # the original it was grouped with, still first
            if above >= 0 and linked.raw_parent(above) != -1:
                return None  # first only through a loop cut, which a new message undid
        elif above == -1 and container >= first:
            above = grouped.get(container, -1)
        if above != -1:
            if above not in local:
                return None  # (cannot happen: every ancestor was walked)
            parent[place] = local[above]
    # The changed threads' rows, each named by its newest message, newest first.
    part, index, made = lay_out_part(linked, messages, parent)
    shown, siblings, depths, thread_of = (
        _grown(values, count - first)
        for values in (old.parents, old.next_siblings, old.depths, laid.thread_of)
    )
    gap_thread = _grown(laid.gap_thread, linked.gap_count() - growth.gaps)
    for gap in growth.aliased:
        gap_thread[gap] = -1
    place_part(part, index, messages, gaps, (shown, siblings, depths, thread_of), gap_thread)
    numbers, uid_list = _spliced(laid, threads, made, linked.uids.__getitem__)
    return Laid(ThreadOrder(uid_list, numbers, shown, siblings, depths), thread_of, gap_thread)


def lay_out_part(
    linked: Linked, messages: list[int], parent: array[int]
) -> tuple[ThreadOrder, Index, list[tuple[int, list[int]]]]:
    """Some threads' containers (`messages`, then their gaps; `parent` in those local
    numbers) laid out by the same code as a full pass, and their rows cut into threads."""
    index = Index()
    part = _lay_out(array("q", map(linked.uids.__getitem__, messages)), parent, None, False, index)
    return part, index, _threads(part, index, messages)


def place_part(
    part: ThreadOrder,
    index: Index,
    messages: list[int],
    gaps: list[int],
    rows: tuple[array[int], array[int], array[int], array[int]],
    gap_thread: array[int],
) -> None:
    """Write a part laid out alone (lay_out_part) into the whole order's per-message
    arrays (shown parent, next sibling, depth, thread) and its gaps' threads, its local
    numbers turned back into the folder's."""
    shown, siblings, depths, thread_of = rows
    for place, number in enumerate(messages):
        above, after = part.parents[place], part.next_siblings[place]
        shown[number] = messages[above] if above >= 0 else -1
        siblings[number] = messages[after] if after >= 0 else -1
        depths[number] = part.depths[place]
        thread_of[number] = messages[index.thread_of[place]]
    for place, gap in enumerate(gaps):
        named = index.gap_thread.get(len(messages) + place, -1)
        gap_thread[gap] = messages[named] if named >= 0 else -1


def ints(values: Sequence[int]) -> array[int]:
    """`values` as an array of C ints (itself when it already is one)."""
    return values if isinstance(values, array) and values.typecode == "i" else array("i", values)


def _grown(values: Sequence[int], more: int) -> array[int]:
    grown = array("i", values)  # a copy: the order before stays as it was
    grown.extend(array("i", [-1]) * more)
    return grown


def _threads(part: ThreadOrder, index: Index, messages: list[int]) -> list[tuple[int, list[int]]]:
    """The part's rows cut into threads: (newest message, its message numbers in order)."""
    found: list[tuple[int, list[int]]] = []
    for local in part.numbers:
        name, number = messages[index.thread_of[local]], messages[local]
        if found and found[-1][0] == name:
            found[-1][1].append(number)
        else:
            found.append((name, [number]))
    return found


def _spliced(
    laid: Laid,
    threads: set[int],
    made: list[tuple[int, list[int]]],
    uid_of: Callable[[int], int],
) -> tuple[array[int], list[int]]:
    """The old rows without the changed threads', and the changed threads' rows each put
    where its newest message places it."""
    old, count = laid.order, len(laid.order)
    removed = sorted(rows for rows in map(partial(_rows, laid), threads) if rows[0] < rows[1])
    kept: list[tuple[int, int]] = []
    cursor = 0
    for low, high in removed:
        if cursor < low:
            kept.append((cursor, low))
        cursor = max(cursor, high)
    if cursor < count:
        kept.append((cursor, count))
    places = range(count)

    def newest(row: int) -> int:
        return -laid.thread_of[old.numbers[row]]

    inserts = sorted((bisect_left(places, -name, key=newest), -name, rows) for name, rows in made)
    numbers: array[int] = array("i")
    uids: list[int] = []

    def put(rows: list[int]) -> None:
        numbers.extend(rows)
        uids.extend(map(uid_of, rows))

    def keep(low: int, high: int) -> None:
        numbers.extend(old.numbers[low:high])
        uids.extend(old.uids[low:high])

    at = 0
    for low, high in kept:
        while at < len(inserts) and inserts[at][0] <= low:
            put(inserts[at][2])
            at += 1
        start = low
        while at < len(inserts) and inserts[at][0] < high:
            keep(start, inserts[at][0])
            start = inserts[at][0]
            put(inserts[at][2])
            at += 1
        keep(start, high)
    for _place, _name, rows in inserts[at:]:
        put(rows)
    return numbers, uids
