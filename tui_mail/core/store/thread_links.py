"""Who answers whom: the linking half of threading (core/store/threads.py lays the result out).

Messages are taken in chronological order and reduced at once to a few integers each, in
arrays: the hash of their Message-ID, the hashes of the ids their References (else
In-Reply-To) name, and for a message naming none the hash of its subject without "Re:".
No string is kept, so a million messages take tens of megabytes instead of the gigabyte
the headers themselves would (measured: 975 MB peak before, see docs/BENCHMARKS.md).

Ids are compared by `key`, a 61-bit number. Not Python's hash of the string: that one is
seeded anew in each process, and the links are kept in the cache for the next session
(core/store/thread_saved.py), so a key must mean the same in every process. `key` is the
int hash (fixed by the language, sys.hash_info: the number modulo 2**61 - 1) of the id's
UTF-8 bytes read as one number, with their CRC-32 put in front: the modulus alone would let
two ids that differ by +2 and -1 in two bytes 38 places apart meet, the CRC differs for
any two ids that differ in so few bits. Other pairs meet about once in 2**61, a one in a
million chance for a million-message folder, at worst putting one message in the wrong
conversation. Linking 100,000 messages takes 0.45 s with it, 0.39 s with the string's
hash (blake2b: 0.55 s).

Linking itself (who answers whom, kept to be extended as mail arrives) is in
core/store/thread_state.py; breaking cycles and grouping by subject are here.
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from tui_mail.core.message.headers import strip_reply_prefix

ThreadFields = tuple[int, int, str, str, str, str]
"""(uid, date, message_id, in_reply_to, references, subject), as Store.thread_fields
gives them; threads.ThreadInput names the same fields."""

_from_bytes = int.from_bytes
_crc32 = zlib.crc32


def key(value: str) -> int:
    """The key of an id or a subject, the same in every process ("" -> 0: none)."""
    data = value.encode()
    return hash(_from_bytes(data) ^ _crc32(data) << 8 * len(data))


_ID = re.compile(r"<([^<>\s]+)>")
_IS_REPLY = re.compile(r"^\s*(?:re|aw|sv|antw|vs)(?:\[\d+\])?\s*:", re.I)

# What a message without References / In-Reply-To may do in grouping by subject.
REFERENCED = 0
ORIGINAL = 1  # may be the first message of a subject
REPLY = 2  # "Re: X": joins the thread that began with "X"


def ids(value: str) -> list[str]:
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


@dataclass(slots=True)
class Headers:
    """What linking needs of the messages, as arrays indexed by message number (the
    message's chronological rank)."""

    uids: array[int]
    own: array[int]
    """Key of the Message-ID (key("") is 0: none)."""
    chain_ends: array[int]
    """Message n's chain is chains[chain_ends[n - 1]:chain_ends[n]]."""
    chains: array[int]
    """Keys of the ids a message names, oldest first: References, else In-Reply-To's last."""
    kinds: bytearray
    subjects: array[int]
    """Key of the subject without reply prefixes, for messages naming no id (else 0)."""
    last: tuple[int, int]
    """(date, uid) of the newest message."""

    def __len__(self) -> int:
        return len(self.uids)


class OutOfOrder(Exception):
    """A message older than one read before it: what was read cannot be extended."""


def read_headers(
    messages: Iterable[ThreadFields], after: tuple[int, int] = (-(2**63), -1)
) -> Headers:
    """Reduce messages, given in chronological order and after `after`, to Headers."""
    found = Headers(array("q"), array("q"), array("i"), array("q"), bytearray(), array("q"), after)
    # Methods bound once and the usual id parsed inline: this loop runs once a message.
    add_uid, add_own, add_end = found.uids.append, found.own.append, found.chain_ends.append
    chains, add_kind, add_subject = found.chains, found.kinds.append, found.subjects.append
    last_date, last_uid = after
    for uid, date, raw_id, in_reply_to, references, subject in messages:
        if date < last_date or (date == last_date and uid < last_uid):
            raise OutOfOrder(uid)
        last_date, last_uid = date, uid
        add_uid(uid)
        message_id = raw_id.strip()
        if message_id[:1] != "<" or message_id[-1:] != ">" or " " in message_id:
            named = ids(message_id) if message_id else []
            message_id = named[0] if named else ""
        add_own(key(message_id))  # "" -> 0: "none"
        chain = ids(references) if references else []
        if not chain and in_reply_to:
            chain = ids(in_reply_to)[-1:]
        if chain:
            chains.extend(map(key, chain))
            add_kind(REFERENCED)
            add_subject(0)
        else:
            add_kind(REPLY if _IS_REPLY.match(subject) else ORIGINAL)
            add_subject(key(strip_reply_prefix(subject).casefold()))
        add_end(len(chains))
    found.last = (last_date, last_uid)
    return found


def break_cycles(parent: array[int]) -> None:
    """Each container has one parent, so following parents either ends or loops: one
    linear pass cuts each loop (no per-link ancestor walk while linking)."""
    # state 0 = not seen, 1 = on the current walk, 2 = done.
    state = bytearray(len(parent))
    for start in range(len(parent)):
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


def group_by_subject(kinds: bytearray, subjects: array[int], parent: array[int]) -> None:
    """Attach reference-less "Re: X" messages to the thread that began with "X"."""
    if kinds.find(REPLY) < 0:
        return
    replies = [n for n in range(len(kinds)) if kinds[n] == REPLY and parent[n] < 0]
    wanted = {subjects[n] for n in replies}
    first_by_subject: dict[int, int] = {}
    for number in range(len(kinds)):  # chronological: the first one wins
        if kinds[number] == ORIGINAL and parent[number] < 0 and subjects[number] in wanted:
            first_by_subject.setdefault(subjects[number], number)
    for number in replies:
        original = first_by_subject.get(subjects[number])
        if original is not None:
            parent[number] = original
