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

MOST = 200
"""Touched messages applied in place (on the UI's thread: 200 new messages of a million
take tens of milliseconds); more (a sync's batch) read the order again, off it."""

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
    # of flags), one scan takes them all out; the others are found by their place, and
    # stay there while shown (a flag changed under a key of dates: nothing moves).
    lost = {uid for uid in maybe_in if not stable or uid not in known}
    staying: set[int] = set()
    placed = [uid for uid in maybe_in if uid not in lost]
    for uid, position in zip(placed, found.positions([known[u][1] for u in placed]), strict=True):
        if position > 0 and order[position - 1] == uid:
            if shown(uid, known[uid][0]):
                staying.add(uid)
            else:
                lost.add(uid)
    if lost:
        order[:] = [uid for uid in order if uid not in lost]
    coming = [
        uid for uid in asked if uid in known and uid not in staying and shown(uid, known[uid][0])
    ]
    places = [known[uid][1] for uid in coming]
    arriving = list(zip(found.positions(places), places, coming, strict=True))
    arriving.sort(key=lambda item: item[1], reverse=sort.reverse)
    arriving.sort(key=lambda item: item[0])  # stable: by place where positions tie
    _insert(order, [(position, uid) for position, _place, uid in arriving])


FEW = 16
"""Insertions made one by one (each moves the rest of the list: 0.3 ms at a million);
more are spliced in one pass."""


def _insert(order: list[int], arriving: list[tuple[int, int]]) -> None:
    """Put UIDs in at positions of the order as it is, sorted by position."""
    if len(arriving) <= FEW:
        for position, uid in reversed(arriving):  # the later first: positions stay true
            order.insert(position, uid)
        return
    merged: list[int] = []
    last = 0
    for position, uid in arriving:
        merged += order[last:position]
        merged.append(uid)
        last = position
    merged += order[last:]
    order[:] = merged


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

    def positions(self, places: list[Place]) -> list[int]:
        """Where messages of these places go: after every row that comes before each.
        The binary searches run side by side, so each of their ~20 steps reads the
        places it probes in one query (not one per probe: 200 new messages of random
        dates took 90 ms of look-ups one by one)."""
        low = [0] * len(places)
        high = [len(self._order)] * len(places)
        while True:
            going = [i for i in range(len(places)) if low[i] < high[i]]
            if not going:
                return low
            middles = {i: (low[i] + high[i]) // 2 for i in going}
            self._read([self._order[middle] for middle in middles.values()])
            for i, middle in middles.items():
                other = self._place(self._order[middle])
                comes_before = other > places[i] if self._reverse else other < places[i]
                if comes_before or other == places[i]:
                    low[i] = middle + 1
                else:
                    high[i] = middle

    def _read(self, uids: list[int]) -> None:
        missing = [uid for uid in uids if uid not in self._known]
        if missing:
            self._known.update(self._keys(missing))


def unread_only(shown: Callable[[int, int], bool]) -> Callable[[int, int], bool]:
    """`shown`, for an unread-only list: and not seen."""
    return lambda uid, flags: not flags & Flag.SEEN and shown(uid, flags)
