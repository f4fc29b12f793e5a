"""A query tree (core/query.py) as imapclient search criteria: the IMAP edge of search."""

from __future__ import annotations

from datetime import date

from tui_mail.core import seqset
from tui_mail.core.models import Flag
from tui_mail.core.query import (
    FieldContains,
    HasFlag,
    Header,
    LacksFlag,
    Query,
    SentBefore,
    SentSince,
    Term,
    Text,
    UidIn,
)

Criteria = list[str | date]
"""What imapclient's `search` takes: keys, each followed by its values."""

_FIELDS = {"from": "FROM", "to": "TO", "cc": "CC", "subject": "SUBJECT", "body": "BODY"}
# Flag -> the SEARCH keys for set and not set; $Forwarded is a keyword, not a system flag.
_FLAG_KEYS: dict[Flag, tuple[list[str], list[str]]] = {
    Flag.SEEN: (["SEEN"], ["UNSEEN"]),
    Flag.ANSWERED: (["ANSWERED"], ["UNANSWERED"]),
    Flag.FLAGGED: (["FLAGGED"], ["UNFLAGGED"]),
    Flag.DELETED: (["DELETED"], ["UNDELETED"]),
    Flag.DRAFT: (["DRAFT"], ["UNDRAFT"]),
    Flag.FORWARDED: (["KEYWORD", "$Forwarded"], ["UNKEYWORD", "$Forwarded"]),
}


def criteria(query: Query) -> Criteria:
    """The criteria asking the server for what `query` matches (ALL for no terms)."""
    found: Criteria = []
    for term in query.terms:
        found += _criteria(term)
    return found or ["ALL"]


def _criteria(term: Term) -> Criteria:
    match term:
        case FieldContains(field, text):
            return [_FIELDS[field], text]
        case Text(text):
            return ["TEXT", text]
        case Header(name, text):
            return ["HEADER", name, text]
        case SentSince(day):
            return ["SENTSINCE", day]
        case SentBefore(day):
            return ["SENTBEFORE", day]
        case HasFlag(flag):
            return [key for member in flag for key in _FLAG_KEYS[member][0]]
        case LacksFlag(flag):
            return [key for member in flag for key in _FLAG_KEYS[member][1]]
        case UidIn(uids):
            return ["UID", seqset.compact(sorted(set(uids)))]
