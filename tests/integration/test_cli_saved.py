"""`tui-mail saved-searches`: each saved search with its counts, from the cache, offline."""

from __future__ import annotations

import json

from tests.integration.test_cli import Run, cli, config_text
from tests.support.dovecot import DovecotServer, MailUser, make_message

__all__ = ["cli"]  # the fixture, shared with test_cli.py

SAVED = """
[[saved_searches]]
name = "Flagged everywhere"
query = "is:flagged"

[[saved_searches]]
name = "From Bob"
query = "from:bob"
accounts = ["work"]

[[saved_searches]]
name = "Broken"
query = "since:someday"
"""


def test_saved_searches_lists_counts_from_the_cache(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(
        mail_user,
        [make_message(0, subject="a", from_="Bob <bob@example.org>"),
         make_message(1, subject="b", from_="Bob <bob@example.org>"),
         make_message(2, subject="c", from_="Ann <ann@example.org>")],
        flags=lambda i: ["F", "FS", "S"][i],
    )  # fmt: skip
    assert cli("sync").returncode == 0
    offline = config_text(dovecot, mail_user, cli.secret_file, port=1) + SAVED  # type: ignore[attr-defined]

    listed = cli("saved-searches", "--json", config_override=offline)

    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {"name": "Flagged everywhere", "query": "is:flagged", "accounts": ["work"],
         "unread": 1, "total": 2},
        {"name": "From Bob", "query": "from:bob", "accounts": ["work"], "unread": 1, "total": 2},
    ]  # fmt: skip
    assert "Saved search 'Broken' is left out" in listed.stderr
    plain = cli("saved-searches", config_override=offline)
    assert plain.stdout.splitlines()[0] == "Flagged everywhere\t1 unread\t2 total\tis:flagged"
