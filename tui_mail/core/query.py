"""The search language shared by `/` in the TUI and `tui-mail search`, as a typed tree.

Words are ANDed. `from:`, `to:`, `cc:`, `subject:`, `body:` match those parts; `since:` and
`before:` take YYYY-MM-DD, or a span back from today (`7d`, `2w`, `3m`, `1y`: days,
weeks, months, years; what a saved search "from my team this week" needs, counted when
the query is read), and compare the day written in the Date header, the date the list
shows (IMAP SENTSINCE/SENTBEFORE), not the day the message arrived (SINCE/BEFORE), which
the list never shows; `is:unread`, `is:read`, `is:flagged`, `is:answered` filter by flag;
any other word (or "quoted phrase") matches anywhere in the message (IMAP TEXT).

`parse_query` turns the words into a `Query`: a tuple of terms, all of which must hold.
The tree says what is wanted, not how a server is asked: IMAP translates it at its edge
(core/imap/search.py), a maildir evaluates it on its files with `matcher`, and so can any
other place that can show a message's parts (a local index, a view limited to a query).
Besides the terms the language has, `Header` and `UidIn` are what the core itself asks
(a message by its Message-ID, which of these UIDs are still there).
"""

from __future__ import annotations

import calendar
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol

from tui_mail.core.errors import UsageError
from tui_mail.core.models import Flag

Field = Literal["from", "to", "cc", "subject", "body"]
"""A part of the message a word can be aimed at; all but "body" are header fields."""


@dataclass(frozen=True, slots=True)
class FieldContains:
    """`field` contains `text` (case-insensitive; header values decoded)."""

    field: Field
    text: str


@dataclass(frozen=True, slots=True)
class Text:
    """`text` appears anywhere in the message: any header value or any text part."""

    text: str


@dataclass(frozen=True, slots=True)
class Header:
    """The header field `name` (any field) contains `text`."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class SentSince:
    """The day written in the Date header is `day` or later."""

    day: date


@dataclass(frozen=True, slots=True)
class SentBefore:
    """The day written in the Date header is before `day`."""

    day: date


@dataclass(frozen=True, slots=True)
class HasFlag:
    """Every flag in `flag` is set."""

    flag: Flag


@dataclass(frozen=True, slots=True)
class LacksFlag:
    """No flag in `flag` is set."""

    flag: Flag


@dataclass(frozen=True, slots=True)
class UidIn:
    """The message's UID is one of `uids` (never empty: IMAP cannot ask for no UID)."""

    uids: tuple[int, ...]


Term = FieldContains | Text | Header | SentSince | SentBefore | HasFlag | LacksFlag | UidIn


@dataclass(frozen=True, slots=True)
class Query:
    """Terms that must all hold; no terms at all matches every message (IMAP ALL)."""

    terms: tuple[Term, ...] = ()

    @classmethod
    def of(cls, *terms: Term) -> Query:
        return cls(terms)


ALL = Query()
"""The query every message matches."""

_FIELDS: dict[str, Field] = {
    "from": "from",
    "to": "to",
    "cc": "cc",
    "subject": "subject",
    "body": "body",
}
_DATES: dict[str, type[SentSince | SentBefore]] = {"since": SentSince, "before": SentBefore}
_STATES: dict[str, HasFlag | LacksFlag] = {
    "unread": LacksFlag(Flag.SEEN),
    "unseen": LacksFlag(Flag.SEEN),
    "read": HasFlag(Flag.SEEN),
    "seen": HasFlag(Flag.SEEN),
    "flagged": HasFlag(Flag.FLAGGED),
    "starred": HasFlag(Flag.FLAGGED),
    "answered": HasFlag(Flag.ANSWERED),
    "replied": HasFlag(Flag.ANSWERED),
}


SEARCH_HELP = (
    "Search (/): words are ANDed. from:alice to: cc: subject: body: match those parts; "
    "since:2026-01-31 and before:2026-02-28 compare the day in the Date header (the date "
    "the list shows), not when the message arrived (since:7d, 2w, 3m, 1y: back from "
    'today); is:unread is:read is:flagged is:answered; other words or "quoted phrases" '
    "match anywhere in the message."
)
"""The search language in one paragraph, for the help screen and `tui-mail search --help`."""


def parse_query(text: str) -> Query:
    """A query string -> its tree. Raises UsageError on bad syntax."""
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise UsageError(f"Cannot read the search {text!r}: {error}.") from None
    return Query(tuple(_term(word) for word in words))


def _term(word: str) -> Term:
    key, sep, value = word.partition(":")
    key = key.lower()
    if sep and key in _FIELDS and value:
        return FieldContains(_FIELDS[key], value)
    if sep and key in _DATES:
        try:
            return _DATES[key](_day(value))
        except ValueError:
            raise UsageError(f"{key}: takes a date as YYYY-MM-DD, not {value!r}.") from None
    if sep and key == "is":
        state = _STATES.get(value.lower())
        if state is None:
            known = ", ".join(sorted(_STATES))
            raise UsageError(f"is:{value} is not a known state; use one of {known}.")
        return state
    return Text(word)


_SPAN = re.compile(r"(\d{1,4})([dwmy])")


def _day(value: str, today: date | None = None) -> date:
    """YYYY-MM-DD, or `value` (7d, 2w, 3m, 1y) back from `today`; ValueError otherwise."""
    span = _SPAN.fullmatch(value.lower())
    if span is None:
        return date.fromisoformat(value)
    count, unit = int(span[1]), span[2]
    today = today or date.today()
    if unit in "dw":
        return today - timedelta(days=count * (7 if unit == "w" else 1))
    months = today.year * 12 + today.month - 1 - count * (12 if unit == "y" else 1)
    year, month = divmod(months, 12)
    if year < 1:
        raise ValueError(value)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(today.day, last))


# -- evaluating a query where the messages are at hand -----------------------------------


class Candidate(Protocol):
    """One message as a query looks at it. An implementation reads each part only when
    asked (`matcher` asks for the cheap parts first), and may raise OSError when the
    message cannot be read: it then does not match."""

    @property
    def uid(self) -> int: ...

    def flags(self) -> Flag: ...

    def header(self, name: str) -> str:
        """The decoded value of header field `name` (lower case); "" when absent."""

    def sent_day(self) -> date | None:
        """The day written in the Date header, its own time zone kept (as IMAP's
        SENTSINCE compares it). Without a usable Date an IMAP server takes the day the
        message arrived; None when that is not known either."""

    def body(self) -> str:
        """The decoded text of every text part."""

    def text(self) -> str:
        """Every decoded header value and the body: what `Text` searches."""


def _cost(term: Term) -> int:
    """0: known without reading the message; 1: its header; 2: its body."""
    if isinstance(term, UidIn | HasFlag | LacksFlag):
        return 0
    if isinstance(term, Text) or (isinstance(term, FieldContains) and term.field == "body"):
        return 2
    return 1


def reads_body(query: Query) -> bool:
    """Whether evaluating `query` needs more of a message than its header."""
    return any(_cost(term) == 2 for term in query.terms)


def matches(query: Query, message: Candidate) -> bool:
    """Whether `message` matches `query` (for many messages, `matcher` sorts only once)."""
    return matcher(query)(message)


def matcher(query: Query) -> Callable[[Candidate], bool]:
    """A test of messages against `query`: substrings compared case-insensitively, as IMAP
    SEARCH does; the cheapest terms first, so most messages are rejected without reading
    much of them."""
    tests = [_test(term) for term in sorted(query.terms, key=_cost)]

    def test(message: Candidate) -> bool:
        try:
            return all(holds(message) for holds in tests)
        except OSError:
            return False  # gone meanwhile: it is not there to be found

    return test


def _test(term: Term) -> Callable[[Candidate], bool]:
    """One term as a test, decided once per query rather than once per message."""
    match term:
        case UidIn(uids):
            wanted = frozenset(uids)
            return lambda m: m.uid in wanted
        case HasFlag(flag):  # as ints: enum arithmetic costs ten times more, per message
            bits = flag.value
            return lambda m: (int(m.flags()) & bits) == bits
        case LacksFlag(flag):
            bits = flag.value
            return lambda m: not int(m.flags()) & bits
        case FieldContains("body", text):
            needle = text.casefold()
            return lambda m: needle in m.body().casefold()
        case FieldContains(field, text):
            return _in_header(field, text)
        case Header(name, text):
            return _in_header(name.lower(), text)
        case Text(text):
            needle = text.casefold()
            return lambda m: needle in m.text().casefold()
        case SentSince(day):
            return lambda m: (sent := m.sent_day()) is not None and sent >= day
        case SentBefore(day):
            return lambda m: (sent := m.sent_day()) is not None and sent < day


def _in_header(name: str, text: str) -> Callable[[Candidate], bool]:
    needle = text.casefold()
    return lambda m: needle in m.header(name).casefold()
