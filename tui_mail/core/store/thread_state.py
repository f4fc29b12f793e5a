"""Who answers whom in one folder, kept so that new mail extends it instead of a rebuild.

Linking is the costly half of threading (reading and reducing every message's headers:
several seconds for a million messages); laying the threads out from the links is the
cheap half. Linked holds the links of the messages read so far, and `extend` links
messages newer than all of them, with exactly the result that linking everything again
would give: containers of ids only referenced ("gaps") keep their own numbering, and a
gap whose message arrives later becomes that message (an alias), which is what a full
pass would have made of it from the start (the message's parent, until its own headers
are read, is what others implied for it either way). `remove` takes out messages no other
message's links name, with exactly what linking the rest would give; an older message
arriving, or another removal, means a rebuild (see core/account/thread_memory.py).

Containers are encoded in one integer: n >= 0 is message n, -1 none, -2 - g gap g.

`parts` and `from_parts` turn the links into arrays and back, for the cache to keep them
between sessions (core/store/thread_saved.py): the keys in them are the same in every
process (thread_links.key).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate, compress
from typing import TypeVar

from tui_mail.core.store.thread_links import (
    ORIGINAL,
    REFERENCED,
    REPLY,
    Headers,
    ThreadFields,
    break_cycles,
    group_by_subject,
    read_headers,
)


@dataclass
class Growth:
    """What one `extend` changed: the messages from `first` on are new, gaps from `gaps`
    on too; `touched`: older containers (encoded) that gained a parent; `aliased`: gaps
    that turned out to be a new message."""

    first: int
    gaps: int
    touched: list[int] = field(default_factory=list)
    aliased: list[int] = field(default_factory=list)


_Values = TypeVar("_Values", "array[int]", bytearray)


@dataclass
class Removal:
    """What one `remove` took out: the messages (their numbers before, ascending), the
    parents their links gave them (in the numbering after), and the renumbering."""

    numbers: list[int]
    parents: list[int]
    keep: bytearray
    """Number before -> 1 for a message still here."""
    originals: list[int] = field(default_factory=list)
    """The subject keys of the reference-less originals among them."""
    table: array[int] = field(default_factory=lambda: array("i"))
    offset: int = 0

    def __len__(self) -> int:
        return len(self.numbers)

    def new(self, container: int) -> int:
        """A kept container's number after (gaps and -1 are as they were)."""
        return self.table[container + self.offset]

    def dropped(self, values: _Values) -> _Values:
        """One value per message before, the removed ones' left out. Removals are mostly
        among the newest: the part before the first one is copied whole (memcpy)."""
        low = self.numbers[0]
        kept = values[:low]
        kept.extend(compress(values[low:], self.keep[low:]))
        return kept

    def renumbered(self, values: array[int], *, per_message: bool = False) -> array[int]:
        """Containers (message numbers, -1, encoded gaps) in the numbering after;
        `per_message`: one value per message, the removed ones' left out. Values below
        the first removed message keep their number: a part holding no other (its
        largest, found at C speed) is copied whole."""
        low = self.numbers[0]
        table, offset = self.table, self.offset
        head, tail = (values[:low], values[low:]) if per_message else (values, values[:0])
        head = array("i", head)
        if head and max(head) >= low:
            head = array("i", map(table.__getitem__, map(offset.__add__, head)))
        if per_message:
            head.extend(
                map(table.__getitem__, map(offset.__add__, compress(tail, self.keep[low:])))
            )
        return head


PART_TYPES = "qBqqqiqiqiiiiBB"
"""The array types of Linked.parts, in order."""


class Linked:
    """The links of a folder's messages, in chronological order (message number = rank)."""

    def __init__(self, messages: Iterable[ThreadFields]) -> None:
        headers = read_headers(messages)
        self.uids = headers.uids
        self._kinds = headers.kinds
        self._subjects = headers.subjects
        self.last = headers.last
        # Message-ID key -> number, the first (oldest) message of a duplicated id winning:
        # a stable sort keeps equal keys in number order, and bisect_left finds the first.
        # Arrays rather than a dict: a dict of a million ints costs about 100 MB, the
        # arrays 12 bytes a message.
        by_key = sorted(range(len(headers)), key=headers.own.__getitem__)
        self._keys = array("q", map(headers.own.__getitem__, by_key))
        self._numbers = array("i", by_key)
        del by_key
        self._late: dict[int, int] = {}
        """Message-ID key -> number of the messages added by `extend`."""
        self._gaps: dict[int, int] = {}
        """Id key -> encoded gap container."""
        self._gap_parent = array("i")
        self._alias = array("i")
        """Gap -> the message it turned out to be, -1 while none has."""
        self._parent = array("i", [-1]) * len(headers)
        self._reached = bytearray(len(headers))
        """Message -> 1 when a walk met its id (or a later copy of its id came): others
        may depend on it being a message, so removing it is not shown exact."""
        self._spread = bytearray(len(headers))
        """Message -> 1 when its own walk gave a parent to another container."""
        self._link(headers, 0)

    def __len__(self) -> int:
        return len(self.uids)

    def parts(self) -> list[array[int]]:
        """The links as arrays in PART_TYPES' order, what `from_parts` takes: the links'
        own arrays, not copies (write them out before the next `extend`)."""
        late, gaps = self._late, self._gaps
        return [
            self.uids,
            array("B", self._kinds),
            self._subjects,
            array("q", self.last),
            self._keys,
            self._numbers,
            array("q", late.keys()),
            array("i", late.values()),
            array("q", gaps.keys()),
            array("i", gaps.values()),
            self._gap_parent,
            self._alias,
            self._parent,
            array("B", self._reached),
            array("B", self._spread),
        ]

    @classmethod
    def from_parts(cls, parts: list[array[int]]) -> Linked:
        """Links made by `parts` (in this process or another); ValueError when the arrays
        cannot be such links (their types or lengths disagree)."""
        if [part.typecode for part in parts] != list(PART_TYPES):
            raise ValueError("not the parts of links")
        uids, kinds, subjects, last, keys, numbers, *rest = parts
        late_keys, late_numbers, gap_keys, gap_codes, gap_parent, alias, parent, *roles = rest
        reached, spread = roles
        if not (
            len(uids) == len(kinds) == len(subjects) == len(parent) == len(reached) == len(spread)
            and len(last) == 2
            and len(keys) == len(numbers)
            and len(late_keys) == len(late_numbers)
            and len(gap_keys) == len(gap_codes)
            and len(gap_parent) == len(alias)
        ):
            raise ValueError("the parts of links disagree in length")
        linked = cls.__new__(cls)
        linked.uids = uids
        linked._kinds = bytearray(kinds)
        linked._subjects = subjects
        linked.last = (last[0], last[1])
        linked._keys, linked._numbers = keys, numbers
        linked._late = dict(zip(late_keys, late_numbers, strict=True))
        linked._gaps = dict(zip(gap_keys, gap_codes, strict=True))
        linked._gap_parent, linked._alias, linked._parent = gap_parent, alias, parent
        linked._reached, linked._spread = bytearray(reached), bytearray(spread)
        return linked

    def extend(self, messages: Iterable[ThreadFields]) -> Growth:
        """Link messages newer than all before (raises OutOfOrder, leaving self unusable,
        when one is not); what it changed, for laying out only that (thread_growth.py)."""
        headers = read_headers(messages, self.last)
        first = len(self.uids)
        growth = Growth(first, len(self._alias))
        # Only containers the new messages name can gain a parent: their parents now.
        named = {self._container(key) for key in set(headers.chains)}
        named.discard(-1)
        before = {container: self.raw_parent(container) for container in named}
        self.uids.extend(headers.uids)
        self._kinds.extend(headers.kinds)
        self._subjects.extend(headers.subjects)
        self._parent.extend(array("i", [-1]) * len(headers))
        self._reached.extend(bytes(len(headers)))
        self._spread.extend(bytes(len(headers)))
        self.last = headers.last
        late, gaps = self._late, self._gaps
        for offset, key in enumerate(headers.own):
            winner = self._message(key) if key else -1
            if winner >= 0:  # a later copy of an id (the first message keeps it)
                self._reached[winner] = 1  # (its removal would hand the id over: not shown)
            if key == 0 or winner >= 0:
                continue
            number = first + offset
            late[key] = number
            gap = gaps.pop(key, None)
            if gap is not None:  # an id referenced before its message came
                self._alias[-2 - gap] = number
                self._reached[number] = 1
                self._parent[number] = self._gap_parent[-2 - gap]
                growth.aliased.append(-2 - gap)
        self._link(headers, first)
        growth.touched.extend(c for c, was in before.items() if self.raw_parent(c) != was)
        return growth

    def remove(self, uids: Iterable[int]) -> Removal | None:
        """Take out those of these messages that are here, where that is shown to give
        exactly what linking the rest from scratch would: what was taken out; None
        (self unchanged) where it is not shown, and the caller links the folder again.

        Shown exact for a message whose id no walk met (nobody's link names it, nor was
        a walk's break decided by it) and whose own walk set only its own parent: its
        only trace in the links is its own parent link, which goes with it, so the
        links of the rest are what linking them alone makes. Cutting loops and grouping
        by subject are made from the links at each lay-out (parents()), so they follow.
        A gap only it named stays, naming nothing: it is laid out as no row, and a later
        message naming it finds it with no parent, as a new gap would be (gaps are laid
        out after every message, so their numbering shows in no row). `last` stays: a
        message arriving between it and the newest left is taken as out of order, and
        the folder is linked again."""
        wanted = set(uids)
        numbers = []
        if wanted:
            numbers = list(compress(range(len(self.uids)), map(wanted.__contains__, self.uids)))
        if any(self._reached[number] or self._spread[number] for number in numbers):
            return None
        parents = [self.resolved(self.raw_parent(number)) for number in numbers]
        removal = Removal(numbers, parents, bytearray(b"\1") * len(self.uids))
        removal.originals = [self._subjects[n] for n in numbers if self._kinds[n] == ORIGINAL]
        if numbers:
            self._take_out(removal)
            removal.parents = [removal.new(above) for above in parents]
        return removal

    def _take_out(self, removal: Removal) -> None:
        """Drop the messages and number the rest again, in order. Every pass is at C
        speed (compress, map over arrays): 0.1-0.2 s for a million messages."""
        keep = removal.keep
        for number in removal.numbers:
            keep[number] = 0
        # Encoded value + offset -> its new value: gaps and -1 stay, messages move down.
        offset = 1 + len(self._alias)
        table = array("i", range(-offset, 0))
        table.extend(map((-1).__add__, accumulate(keep)))  # (kept ones only are asked)
        removal.table, removal.offset = table, offset
        self.uids = removal.dropped(self.uids)
        self._kinds = removal.dropped(self._kinds)
        self._subjects = removal.dropped(self._subjects)
        self._reached = removal.dropped(self._reached)
        self._spread = removal.dropped(self._spread)
        self._parent = removal.renumbered(self._parent, per_message=True)
        self._gap_parent = removal.renumbered(self._gap_parent)
        self._alias = removal.renumbered(self._alias)
        kept_keys = bytearray(map(keep.__getitem__, self._numbers))
        self._keys = array("q", compress(self._keys, kept_keys))
        self._numbers = removal.renumbered(array("i", compress(self._numbers, kept_keys)))
        late = self._late.items()
        self._late = {key: table[number + offset] for key, number in late if keep[number]}

    def _container(self, key: int) -> int:
        """The container an id names now: a message, a gap (encoded), -1 none yet."""
        found = self._message(key)
        return found if found >= 0 else self._gaps.get(key, -1)

    def raw_parent(self, container: int) -> int:
        """A container's parent as linked (encoded; a gap that became a message answers
        for the message), before cycles are cut and replies grouped by subject."""
        if container >= 0:
            return self._parent[container]
        became = self._alias[-2 - container]
        return self._parent[became] if became >= 0 else self._gap_parent[-2 - container]

    def resolved(self, container: int) -> int:
        """The container itself, or the message a gap turned out to be."""
        if container < -1 and self._alias[-2 - container] >= 0:
            return self._alias[-2 - container]
        return container

    def gap_parent(self, gap: int) -> int:
        """What the links made a gap's parent (kept when a message turns out to be it)."""
        return self._gap_parent[gap]

    def gap_count(self) -> int:
        """Gaps ever made (those that became a message included): Growth.gaps' count."""
        return len(self._alias)

    def live_gaps(self) -> list[int]:
        """The gaps no message turned out to be, in the order parents() numbers them."""
        return [gap for gap, became in enumerate(self._alias) if became < 0]

    def with_subject(self, subject: int) -> Iterator[int]:
        """The messages whose subject key is this one, oldest first (found at C speed)."""
        subjects, at = self._subjects, -1
        while True:
            try:
                at = subjects.index(subject, at + 1)
            except ValueError:
                return
            yield at

    def kind(self, number: int) -> int:
        return self._kinds[number]

    def subject(self, number: int) -> int:
        return self._subjects[number]

    def reply_subjects(self) -> set[int]:
        """Subject keys of every reference-less "Re:" message: more than grouping by
        subject may attach (those with a parent stay, unless a cut loop frees one)."""
        found: set[int] = set()
        kinds, at = self._kinds, self._kinds.find(REPLY)
        while at >= 0:
            found.add(self._subjects[at])
            at = kinds.find(REPLY, at + 1)
        return found

    def _message(self, key: int) -> int:
        at = bisect_left(self._keys, key)
        if at < len(self._keys) and self._keys[at] == key:
            return self._numbers[at]
        return self._late.get(key, -1)

    def _link(self, headers: Headers, first: int) -> None:
        # One loop over every message's chain, its look-ups inlined: the hot path.
        keys, numbers, size = self._keys, self._numbers, len(self._keys)
        late, gaps, parent, gap_parent = self._late, self._gaps, self._parent, self._gap_parent
        alias, reached, spread = self._alias, self._reached, self._spread
        chains, chain_ends, kinds = headers.chains, headers.chain_ends, headers.kinds
        begin = 0
        for offset, end in enumerate(chain_ends):
            if kinds[offset] != REFERENCED:
                continue
            # The message's own headers name its parent (overriding what others implied).
            # The references before it are chained to each other, newest first, until one
            # that already has a parent: everything above it is known (first link wins).
            child = message = first + offset
            for position in range(end - 1, begin - 1, -1):
                key = chains[position]
                at = bisect_left(keys, key)
                if at < size and keys[at] == key:
                    found = numbers[at]
                    reached[found] = 1
                else:
                    found = late.get(key, -1)
                    if found >= 0:
                        reached[found] = 1
                    else:
                        found = gaps.get(key, 0)
                        if found == 0:
                            found = gaps[key] = -2 - len(gap_parent)
                            gap_parent.append(-1)
                            alias.append(-1)
                if found == child:
                    continue  # a message naming itself, or an id repeated
                if child == message:
                    parent[child] = found
                else:
                    spread[message] = 1
                    if child >= 0:
                        parent[child] = found
                    else:
                        gap_parent[-2 - child] = found
                child = found
                if (parent[child] if child >= 0 else gap_parent[-2 - child]) != -1:
                    break
            begin = end

    def parents(self) -> array[int]:
        """Each container's parent (-1: none), cycles cut and reference-less replies
        grouped by subject. Containers 0..count-1 are the messages, then the gaps no
        message turned out to be, in the order first met (as threads.py lays them out)."""
        count = len(self.uids)
        number_of = array("i")  # gap -> container number
        live = count
        for became in self._alias:
            if became >= 0:
                number_of.append(became)
            else:
                number_of.append(live)
                live += 1
        parent = array("i", self._parent)
        parent.extend(array("i", [-1]) * (live - count))
        for number, above in enumerate(self._parent):
            if above < -1:
                parent[number] = number_of[-2 - above]
        for gap, above in enumerate(self._gap_parent):
            container = number_of[gap]
            if container >= count:
                parent[container] = number_of[-2 - above] if above < -1 else above
        break_cycles(parent)
        group_by_subject(self._kinds, self._subjects, parent)
        return parent
