"""The search language shared by `/` in the TUI and `tui-mail search`.

Words are ANDed. `from:`, `to:`, `cc:`, `subject:`, `body:` match those parts; `since:` and
`before:` take YYYY-MM-DD and compare the day written in the Date header, the date the list
shows (IMAP SENTSINCE/SENTBEFORE), not the day the message arrived (SINCE/BEFORE), which
the list never shows; `is:unread`, `is:read`, `is:flagged`, `is:answered` filter by flag;
any other word (or "quoted phrase") matches anywhere in the message (IMAP TEXT).
"""

from __future__ import annotations

import shlex
from datetime import date
from typing import Any

from tui_mail.core.errors import UsageError

_FIELDS = {"from": "FROM", "to": "TO", "cc": "CC", "subject": "SUBJECT", "body": "BODY"}
_DATES = {"since": "SENTSINCE", "before": "SENTBEFORE"}
_STATES = {
    "unread": "UNSEEN",
    "unseen": "UNSEEN",
    "read": "SEEN",
    "seen": "SEEN",
    "flagged": "FLAGGED",
    "starred": "FLAGGED",
    "answered": "ANSWERED",
    "replied": "ANSWERED",
}


SEARCH_HELP = (
    "Search (/): words are ANDed. from:alice to: cc: subject: body: match those parts; "
    "since:2026-01-31 and before:2026-02-28 compare the day in the Date header (the date "
    "the list shows), not when the message arrived; is:unread is:read is:flagged "
    'is:answered; other words or "quoted phrases" match anywhere in the message.'
)
"""The search language in one paragraph, for the help screen and `tui-mail search --help`."""


def parse_query(text: str) -> list[Any]:
    """A query string -> imapclient search criteria. Raises UsageError on bad syntax."""
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise UsageError(f"Cannot read the search {text!r}: {error}.") from None
    criteria: list[Any] = []
    for word in words:
        key, sep, value = word.partition(":")
        key = key.lower()
        if sep and key in _FIELDS and value:
            criteria += [_FIELDS[key], value]
        elif sep and key in _DATES:
            try:
                criteria += [_DATES[key], date.fromisoformat(value)]
            except ValueError:
                raise UsageError(f"{key}: takes a date as YYYY-MM-DD, not {value!r}.") from None
        elif sep and key == "is":
            state = _STATES.get(value.lower())
            if state is None:
                known = ", ".join(sorted(_STATES))
                raise UsageError(f"is:{value} is not a known state; use one of {known}.")
            criteria.append(state)
        else:
            criteria += ["TEXT", word]
    return criteria or ["ALL"]
