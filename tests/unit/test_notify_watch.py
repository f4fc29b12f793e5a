"""The NOTIFY watcher's pure parts: the command it sends, the STATUS it reads, and which
STATUS answers become a change (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from imapclient.imapclient import _parse_untagged_response

from tui_mail.config import AccountConfig, ServerConfig, load_config, save_config
from tui_mail.core.errors import ConfigError, ServerError
from tui_mail.core.imap.notify_watch import AccountWatcher, notify_command, status_response


def test_the_notify_command_covers_the_inbox_the_subscribed_folders_and_idle_folders() -> None:
    events = "(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)"
    assert notify_command() == (
        "NOTIFY SET STATUS (selected (MessageNew (UID FLAGS) MessageExpunge FlagChange)) "
        f"(subscribed {events}) (personal (MailboxName SubscriptionChange))"
    )
    # RFC 5465's grammar: one parenthesised list of names, then the events; names quoted
    # and in modified UTF-7; INBOX is already the selected folder.
    assert notify_command(["Lists/work", 'Say "hi"', "Grüße", "inbox"]).endswith(
        f'(mailboxes ("Lists/work" "Say \\"hi\\"" "Gr&APwA3w-e") {events}) '
        "(personal (MailboxName SubscriptionChange))"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            b"* STATUS Lists (MESSAGES 2 UIDNEXT 3 UNSEEN 2 HIGHESTMODSEQ 3)",
            ("Lists", {"MESSAGES": 2, "UIDNEXT": 3, "UNSEEN": 2, "HIGHESTMODSEQ": 3}),
        ),
        (b'* STATUS "Sent Items" (UNSEEN 1)', ("Sent Items", {"UNSEEN": 1})),
        (b"* STATUS Gr&APwA3w-e (MESSAGES 1)", ("Grüße", {"MESSAGES": 1})),
        (b"* STATUS 2024 (MESSAGES 1)", ("2024", {"MESSAGES": 1})),
        (b"* 3 EXISTS", None),
        (b'* LIST (\\Subscribed) "/" New', None),
    ],
)
def test_status_responses_are_read_as_idle_check_parses_them(
    line: bytes, expected: tuple[str, dict[str, int]] | None
) -> None:
    assert status_response(_parse_untagged_response(line)) == expected


def watcher(changes: list[str]) -> AccountWatcher:
    server = ServerConfig(host="imap.example.org", port=993, security="tls")
    account = AccountConfig(name="a", email="me@example.org", imap=server)
    return AccountWatcher(account, lambda: "secret", changes.append)


def take(watcher: AccountWatcher, *lines: bytes) -> bool:
    return watcher._take_lines(list(lines))


def test_a_folder_is_announced_when_its_status_changes_after_the_first_answers() -> None:
    changes: list[str] = []
    seen = watcher(changes)
    # NOTIFY SET STATUS's first answers are only remembered (the folder list is fresh).
    take(seen, b"* STATUS Lists (MESSAGES 1 UIDNEXT 2 UNSEEN 1 HIGHESTMODSEQ 2)")
    seen._primed = True
    # Dovecot repeats it a moment later: no change.
    take(seen, b"* STATUS Lists (MESSAGES 1 UIDNEXT 2 UNSEEN 1 HIGHESTMODSEQ 2)")
    assert changes == []
    take(seen, b"* STATUS Lists (UNSEEN 0 HIGHESTMODSEQ 4)")  # a \Seen elsewhere
    take(seen, b"* STATUS Lists (HIGHESTMODSEQ 5)")  # a \Flagged: only the modseq moves
    take(seen, b"* STATUS Archive (MESSAGES 1 UIDNEXT 2 UNSEEN 1)")  # new to us
    assert changes == ["Lists", "Lists", "Archive"]


def test_the_inbox_changes_through_its_own_responses_not_its_status() -> None:
    changes: list[str] = []
    seen = watcher(changes)
    seen._primed = True
    assert not take(seen, b"* STATUS INBOX (MESSAGES 5)")
    assert take(seen, b"* 5 EXISTS")
    assert changes == []  # the INBOX's change is the caller's to announce (IdleWatcher)


def test_status_interval_is_read_saved_and_bounded(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    base = '[[accounts]]\nname = "work"\nemail = "me@example.org"\n'
    imap = '[accounts.imap]\nhost = "imap.example.org"\n'
    path.write_text(base + "status_interval_seconds = 300\n" + imap)
    loaded = load_config(path).accounts[0]
    assert loaded.status_interval_seconds == 300
    save_config(load_config(path))
    assert load_config(path).accounts[0] == loaded
    path.write_text(base + "status_interval_seconds = 1\n" + imap)
    with pytest.raises(ConfigError, match=r"status_interval_seconds .* from 5 to 86400"):
        load_config(path)


class FakeSession:
    """What _prepare and _status_round use of ImapSession, with a scripted server."""

    def __init__(self, capabilities: str, answers: dict[bytes, list[bytes] | Exception]) -> None:
        self.capabilities = frozenset(capabilities.split())
        self.answers = answers
        self.sent: list[bytes] = []
        self.server = ServerConfig(host="imap.example.org", port=993, security="tls")

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def raw_command(self, command: bytes) -> list[bytes]:
        self.sent.append(command)
        verb = command.split(b" ", 1)[0]
        answer = self.answers.get(verb, [])
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_refused_notify_falls_back_to_list_status_on_the_same_connection() -> None:
    changes: list[str] = []
    seen = watcher(changes)
    session = FakeSession(
        "IMAP4rev1 IDLE NOTIFY LIST-STATUS CONDSTORE",
        {
            b"NOTIFY": ServerError("NOTIFY refused: NO [NOTIFICATIONOVERFLOW]"),
            b"LIST": [
                b'* LIST (\\Subscribed) "/" Lists',
                b"* STATUS Lists (MESSAGES 2 UNSEEN 1 UIDNEXT 3 HIGHESTMODSEQ 9)",
            ],
        },
    )
    seen._prepare(session)  # type: ignore[arg-type]
    assert seen.notifying is False
    assert session.sent[1:] == [
        b'LIST "" "*"',  # the names, to notice folders made or removed elsewhere
        b'LIST (SUBSCRIBED) "" "*" RETURN (STATUS (MESSAGES UNSEEN UIDNEXT HIGHESTMODSEQ))',
    ]
    assert changes == []  # the first round is remembered only
    session.answers[b"LIST"] = [b"* STATUS Lists (MESSAGES 3 UNSEEN 2 UIDNEXT 4 HIGHESTMODSEQ 10)"]
    seen._between_idles(session)  # type: ignore[arg-type]
    assert changes == []  # not due yet: one round per status_interval
    seen._next_round = 0.0
    seen._between_idles(session)  # type: ignore[arg-type]
    assert changes == ["Lists"]
