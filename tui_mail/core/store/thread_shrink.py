"""Laying out again only the threads removals touched, in the default order, with exactly
the rows a full lay_out of what is left would give (the removals' counterpart of
thread_growth.py).

After Linked.remove, laying the whole folder out again was 1.2-1.3 s of the 1.9 s a
removal cost at a million messages. A message Linked.remove takes out is named by no
other message's links, so only its own thread changes: it loses a row, and perhaps its
newest message (its place among the threads) or the gap that held its tops together.
That thread is laid out again by the same code as a full pass, on its containers alone,
and put back where its newest message places it; every other thread keeps its rows, with
the messages numbered again. What could reach beyond it is checked, and when it might,
the caller lays everything out (None):
- a loop among the links above a removed message (where break_cycles cuts a loop depends
  on the first walk entering it, which may have been the removed message's);
- a removed reference-less original whose subject a reference-less "Re:" message has
  (it may have been the original they are grouped under).
"""

from __future__ import annotations

from array import array

from tui_mail.core.store.thread_growth import (
    Laid,
    _rows,
    _spliced,
    ints,
    lay_out_part,
    looped,
    place_part,
)
from tui_mail.core.store.thread_links import REPLY
from tui_mail.core.store.thread_state import Linked, Removal
from tui_mail.core.store.threads import ThreadOrder, gc_paused


def shrink(laid: Laid, linked: Linked, removal: Removal) -> Laid | None:
    """`laid` (the order before `removal`) without the removed messages; None: lay it
    all out."""
    if not removal:
        return laid
    if len(laid.order) != len(removal.keep) or len(laid.gap_thread) != linked.gap_count():
        return None
    with gc_paused():
        if removal.originals and not set(removal.originals).isdisjoint(linked.reply_subjects()):
            return None
        for above in removal.parents:
            if looped(linked, above):
                return None
        threads = {laid.thread_of[number] for number in removal.numbers}
        return _shrunk(laid, linked, removal, threads)


def _shrunk(laid: Laid, linked: Linked, removal: Removal, threads: set[int]) -> Laid | None:
    old, keep = laid.order, removal.keep
    old_of: dict[int, int] = {}  # the touched threads' messages left: number after -> before
    for thread in threads:
        low, high = _rows(laid, thread)
        for number in old.numbers[low:high]:
            if keep[number]:
                old_of[removal.new(number)] = number
    messages = sorted(old_of)
    gaps = _gaps_above(linked, old_of)
    if gaps is None:
        return None
    local = {number: place for place, number in enumerate(messages)}
    local.update({-2 - gap: len(messages) + place for place, gap in enumerate(gaps)})
    parent = array("i", [-1]) * len(local)
    for container, place in local.items():
        above = linked.resolved(linked.raw_parent(container))
        if above == -1 and container >= 0 and linked.kind(container) == REPLY:
            grouped = old.parents[old_of[container]]  # the original it is grouped with
            above = removal.new(grouped) if grouped >= 0 else -1
            if above >= 0 and linked.raw_parent(above) != -1:
                return None  # first only through a loop cut
        if above != -1:
            if above not in local:
                return None  # (cannot happen: a thread holds its ancestors)
            parent[place] = local[above]
    part, index, made = lay_out_part(linked, messages, parent)

    shown = removal.renumbered(ints(old.parents), per_message=True)
    siblings = removal.renumbered(ints(old.next_siblings), per_message=True)
    depths = removal.dropped(ints(old.depths))
    thread_of = removal.renumbered(ints(laid.thread_of), per_message=True)
    gap_thread = removal.renumbered(laid.gap_thread)
    for gap, name in enumerate(laid.gap_thread):
        if name in threads:
            gap_thread[gap] = -1  # above nothing now, unless laid out again just below
    place_part(part, index, messages, gaps, (shown, siblings, depths, thread_of), gap_thread)
    # Spliced in the numbering before (where the old rows are), then numbered again.
    made_before = [(old_of[name], [old_of[number] for number in rows]) for name, rows in made]
    uid_of = {old_of[number]: linked.uids[number] for number in messages}
    numbers, uids = _spliced(laid, threads, made_before, uid_of.__getitem__)
    order = ThreadOrder(uids, removal.renumbered(numbers), shown, siblings, depths)
    return Laid(order, thread_of, gap_thread)


def _gaps_above(linked: Linked, messages: dict[int, int]) -> list[int] | None:
    """The gaps above these messages (sorted); None when a loop is among them or an
    ancestor is a message not among them."""
    state: dict[int, int] = {}
    for start in messages:
        walk = []
        node = start
        while node != -1 and state.get(node, 0) == 0:
            state[node] = 1
            walk.append(node)
            node = linked.resolved(linked.raw_parent(node))
        if node != -1 and state[node] == 1:
            return None
        for visited in walk:
            state[visited] = 2
    if any(node >= 0 and node not in messages for node in state):
        return None
    return sorted(-2 - node for node in state if node < -1)
