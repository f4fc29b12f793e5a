"""A folder's list order kept in step with a few changed messages, without reading it again.

A reload of a million-message list after new mail, a flag or an expunge read the whole
order again (0.3-0.8 s on a background thread, its JSON parsing holding the GIL in
chunks). The store's journal (core/store/changes.py) says which UIDs were touched since
the order was read; each is taken out of the order and put back where its sort key puts
it (a binary search: about 20 look-ups of a key by UID for a million rows), or left out
when it is gone or no longer shown (read, in an unread-only list).

Finding a touched message in the order: under a key its flags do not move, at the place
its key says; otherwise (a message gone from the cache, a key of flags) by a scan of the
order, once for all of them (20-60 ms for a million UIDs). Rows the list dropped itself
(`forget`, after a move or a delete) are known to be gone and cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from tui_mail.core.models import Flag
from tui_mail.core.sort import SortSpec
from tui_mail.core.store.ordering import MOVES_WITH_FLAGS, Keys

MOST = 2000
"""Touched messages applied in place; more (a sync's big batch) read the order again."""

Place = tuple[str | int, ...]


class Applied(Exception):
    """The order cannot be brought in step here (a key missing): read it again."""


def apply_changes(
    order: list[int],
    touched: set[int],
    *,
    keys: Callable[[list[int]], Keys],
    sort: SortSpec,
    shown: Callable[[int, int], bool],
    highest: int,
    dropped: set[int],
) -> None:
    """Bring `order` (UIDs in `sort`'s order) in step with the touched UIDs, in place.

    `keys` reads (flags, place) of UIDs from the store; `shown(uid, flags)` says whether
    a message belongs in the list (unread only, a limit); `highest` is the highest UID
    the order has ever held (a UID above it is new); `dropped` the UIDs the list took out
    itself since. Raises Applied when the order must be read again instead."""
    # What a full read would show of the rows the list dropped itself is asked too: a
    # move that failed leaves its messages in the cache, and they come back.
    asked = touched | dropped
    known = dict(keys(sorted(asked)))
    found = _Finder(order, keys, known, sort)
    stable = sort.key not in MOVES_WITH_FLAGS
    maybe_in = [uid for uid in touched if uid <= highest and uid not in dropped]
    # Where a message's place is unknown (gone from the cache) or may have moved (a key
    # of flags), one scan takes them all out; the others are found by their place.
    lost = {uid for uid in maybe_in if not stable or uid not in known}
    if lost:
        order[:] = [uid for uid in order if uid not in lost]
    for uid in maybe_in:
        if uid in lost:
            continue
        position = found.position(known[uid][1])
        if position > 0 and order[position - 1] == uid:
            del order[position - 1]
    for uid in sorted(asked):
        if uid in known and shown(uid, known[uid][0]):
            order.insert(found.position(known[uid][1]), uid)


class _Finder:
    """Binary search of `order` by place, reading the places of the UIDs it probes."""

    def __init__(
        self, order: list[int], keys: Callable[[list[int]], Keys], known: Keys, sort: SortSpec
    ) -> None:
        self._order = order
        self._keys = keys
        self._known = known
        self._reverse = sort.reverse

    def _place(self, uid: int) -> Place:
        found = self._known.get(uid)
        if found is None:
            found = self._keys([uid]).get(uid)
            if found is None:  # a row of the order that is not in the cache
                raise Applied(uid)
            self._known[uid] = found
        return found[1]

    def position(self, place: Place) -> int:
        """Where a message of this place goes: after every row that comes before it."""
        low, high = 0, len(self._order)
        while low < high:
            middle = (low + high) // 2
            other = self._place(self._order[middle])
            comes_before = other > place if self._reverse else other < place
            if comes_before or other == place:
                low = middle + 1
            else:
                high = middle
        return low


def unread_only(shown: Callable[[int, int], bool]) -> Callable[[int, int], bool]:
    """`shown`, for an unread-only list: and not seen."""
    return lambda uid, flags: not flags & Flag.SEEN and shown(uid, flags)
