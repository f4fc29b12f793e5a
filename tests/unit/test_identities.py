"""Identities: the config tables, the identity a reply is written as, and its signature
placed above or below the quote, swapped when the From changes."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.dovecot import make_message
from tui_mail.config import AccountConfig, IdentityConfig, load_config, save_config
from tui_mail.core.errors import ConfigError, UsageError
from tui_mail.core.sending.compose import build_message, compose_forward, compose_new, compose_reply
from tui_mail.core.sending.identities import choose_from, swap_signature, use_identity

ACCOUNT = AccountConfig(
    name="work",
    email="me@example.org",
    display_name="Ada Lovelace",
    signature="Ada\nAnalytical Engines Ltd",
    aliases=("ada@alias.example",),
    identities=(
        IdentityConfig("ada@home.example", "Ada at home", "Love, A."),
        IdentityConfig("noreply@example.org", "Robot", ""),
        IdentityConfig("plain@example.org"),
    ),
)
WORK_SIG = "-- \nAda\nAnalytical Engines Ltd\n"
HOME_SIG = "-- \nLove, A.\n"


def original(**headers: str) -> bytes:
    settings = {"from_": "Bob <bob@example.com>", "to": "me@example.org",
                "date": "Tue, 02 Jan 2024 10:15:00 +0100", "body": "Hello there.\n"}  # fmt: skip
    settings.update(headers)
    return make_message(0, **settings)


QUOTE = "On Tue, 02 Jan 2024 at 10:15, Bob <bob@example.com> wrote:\n> Hello there.\n"

# -- the config file ----------------------------------------------------------------------

WORK = """
[[accounts]]
name = "work"
email = "me@example.org"
display_name = "Ada Lovelace"
signature = "Ada"
{extra}
[accounts.imap]
host = "imap.example.org"
{tables}
"""


def write(tmp_path: Path, extra: str = "", tables: str = "") -> Path:
    path = tmp_path / "config.toml"
    text = WORK.format(extra=extra, tables=textwrap.dedent(tables))
    path.write_text(text, encoding="utf-8")
    return path


def test_identities_load_resolve_and_survive_a_save(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        extra='aliases = ["ada@alias.example"]\nsignature_position = "above"\n'
        'address_book_command = "khard email --parsable %s"\n',
        tables="""
        [[accounts.identities]]
        email = "ada@home.example"
        display_name = "Ada at home"
        signature = "Love,\\nA."

        [[accounts.identities]]
        email = "robot@example.org"
        signature = ""
        """,
    )
    account = load_config(path).accounts[0]
    assert account.signature_position == "above"
    assert account.address_book_command == "khard email --parsable %s"
    assert [(i.email, i.display_name, i.signature) for i in account.every_identity] == [
        ("me@example.org", "Ada Lovelace", "Ada"),
        ("ada@alias.example", "Ada Lovelace", "Ada"),  # an alias: the account's name and sig
        ("ada@home.example", "Ada at home", "Love,\nA."),
        ("robot@example.org", "Ada Lovelace", ""),  # unset name: the account's; "" sig: none
    ]
    save_config(load_config(path))
    assert "[[accounts.identities]]" in path.read_text()
    assert load_config(path).accounts[0] == account


def test_without_the_new_keys_nothing_changes(tmp_path: Path) -> None:
    account = load_config(write(tmp_path)).accounts[0]
    assert (account.identities, account.signature_position, account.address_book_command) == (
        (),
        "below",
        None,
    )
    assert [i.email for i in account.every_identity] == ["me@example.org"]


@pytest.mark.parametrize(
    ("extra", "tables", "expected"),
    [
        ('identities = "x@example.org"', "",
         'identities is "x@example.org"; expected [[accounts.identities]] tables'),
        ("", "[[accounts.identities]]\ndisplay_name = \"A\"\n",
         "identities[0].email is missing; expected the address"),
        ("", '[[accounts.identities]]\nemail = "not an address"\n',
         'identities[0].email is "not an address"; expected an address like'),
        ("", '[[accounts.identities]]\nemail = "x@example.org"\nsignatur = "A"\n',
         "unknown key \"identities[0].signatur\" (did you mean \"identities[0].signature\"?)"),
        ("", '[[accounts.identities]]\nemail = "x@example.org"\nsignature = 3\n',
         "identities[0].signature is 3 (a number); expected a string"),
        ("", '[[accounts.identities]]\nemail = "ME@example.org"\n',
         "identities[0].email \"ME@example.org\" is already the account's email; set "
         "display_name and signature on the account itself"),
        ('aliases = ["x@example.org"]', '[[accounts.identities]]\nemail = "x@example.org"\n',
         'identities[0].email "x@example.org" is already in aliases; list each address once'),
        ("", '[[accounts.identities]]\nemail = "x@example.org"\n'
             '[[accounts.identities]]\nemail = "X@example.org"\n',
         'identities[1].email "X@example.org" is already in identities[0]'),
        ('signature_position = "top"', "",
         'signature_position is "top"; expected one of "below", "above"'),
        ('address_book_command = ""', "", "address_book_command is \"\"; expected a non-empty"),
        ("", '[[accounts.identities]]\nemail = "x@example.org"\npassword = "hunter2"\n',
         "identities[0].password is set, but secrets don't belong in the config file"),
    ],
)  # fmt: skip
def test_identity_mistakes_say_what_is_expected(
    tmp_path: Path, extra: str, tables: str, expected: str
) -> None:
    path = write(tmp_path, extra=extra + "\n", tables=tables)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f'{path}: account "work": '), message
    assert expected in message
    assert "hunter2" not in message


# -- which identity -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"to": "me@example.org"}, "Ada Lovelace <me@example.org>"),
        ({"to": "Ada <ADA@home.example>"}, "Ada at home <ada@home.example>"),
        ({"to": "me@example.org, ada@home.example"}, "Ada at home <ada@home.example>"),
        ({"to": "list@lists.example", "cc": "ada@alias.example"},
         "Ada Lovelace <ada@alias.example>"),
        ({"to": "list@lists.example", "delivered_to": "ada@home.example"},
         "Ada at home <ada@home.example>"),
        ({"to": "undisclosed-recipients:;", "x_original_to": "noreply@example.org"},
         "Robot <noreply@example.org>"),
        ({"to": "stranger@example.com"}, "Ada Lovelace <me@example.org>"),
        # The user's own message, answered again: as the identity it was sent from.
        ({"from_": "Ada at home <ada@home.example>", "to": "bob@example.com"},
         "Ada at home <ada@home.example>"),
    ],
)  # fmt: skip
def test_a_reply_is_from_the_identity_the_message_was_sent_to(
    headers: dict[str, str], expected: str
) -> None:
    reply = compose_reply(ACCOUNT, original(**headers), folder="INBOX", uid=1)
    forward = compose_forward(ACCOUNT, original(**headers), folder="INBOX", uid=1)
    assert reply.from_addr == forward.from_addr == expected


def test_a_reply_uses_the_identity_name_and_signature_and_reply_all_leaves_all_ours_out() -> None:
    raw = original(to="ada@home.example, carol@example.com",
                   cc="me@example.org, ada@alias.example, Robot <NOREPLY@example.org>")  # fmt: skip
    draft = compose_reply(ACCOUNT, raw, folder="INBOX", uid=1, reply_all=True, text="Yes.")
    assert draft.from_addr == "Ada at home <ada@home.example>"
    assert (draft.to, draft.cc) == ("Bob <bob@example.com>, carol@example.com", "")
    assert draft.body == QUOTE + "\nYes.\n\n" + HOME_SIG
    message = build_message(ACCOUNT, draft)
    assert message["From"] == "Ada at home <ada@home.example>"


def test_signature_below_goes_after_the_quote_and_above_goes_before_it() -> None:
    below = compose_reply(ACCOUNT, original(), folder="INBOX", uid=1, text="Thanks.")
    assert below.body == QUOTE + "\nThanks.\n\n" + WORK_SIG
    on_top = replace(ACCOUNT, signature_position="above")
    above = compose_reply(on_top, original(), folder="INBOX", uid=1, text="Thanks.")
    assert above.body == "Thanks.\n\n" + WORK_SIG + "\n" + QUOTE
    empty = compose_reply(on_top, original(), folder="INBOX", uid=1)
    assert empty.body == "\n\n" + WORK_SIG + "\n" + QUOTE  # a blank line on top to write in
    robot = compose_reply(on_top, original(to="noreply@example.org"), folder="INBOX", uid=1)
    assert robot.body == "\n\n" + QUOTE  # no signature, no separator


def test_a_forward_signs_above_the_forwarded_message_either_way() -> None:
    for position in ("below", "above"):
        account = replace(ACCOUNT, signature_position=position)
        draft = compose_forward(account, original(), folder="INBOX", uid=1, text="FYI.")
        assert draft.body.startswith("FYI.\n\n" + WORK_SIG + "\n---------- Forwarded message")


# -- switching From -----------------------------------------------------------------------

HOME = "Ada at home <ada@home.example>"
WORK_FROM = "Ada Lovelace <me@example.org>"
ROBOT = "Robot <noreply@example.org>"


@pytest.mark.parametrize("position", ["below", "above"])
def test_switching_from_swaps_the_signature_and_back(position: str) -> None:
    account = replace(ACCOUNT, signature_position=position)
    draft = compose_reply(account, original(), folder="INBOX", uid=1, text="Thanks.")
    home = swap_signature(account, draft.body, draft.from_addr, HOME)
    assert home is not None and HOME_SIG in home and WORK_SIG not in home
    robot = swap_signature(account, home, HOME, ROBOT)
    assert robot is not None and "-- \n" not in robot and "Thanks." in robot and QUOTE in robot
    back = swap_signature(account, robot, ROBOT, WORK_FROM)
    assert back == draft.body  # removing then adding gives the body as composed


def test_a_new_message_and_a_forward_get_the_new_signature_in_the_right_place() -> None:
    new = compose_new(ACCOUNT, text="Hi Bob.")
    assert swap_signature(ACCOUNT, new.body, new.from_addr, HOME) == "Hi Bob.\n\n" + HOME_SIG
    assert swap_signature(ACCOUNT, new.body, new.from_addr, ROBOT) == "Hi Bob.\n"
    forward = compose_forward(ACCOUNT, original(to="noreply@example.org"), folder="I", uid=1,
                              text="FYI.")  # fmt: skip
    signed = swap_signature(ACCOUNT, forward.body, forward.from_addr, HOME)
    assert signed is not None
    assert signed.startswith("FYI.\n\n" + HOME_SIG + "\n---------- Forwarded message")


def test_an_edited_signature_is_left_alone() -> None:
    draft = compose_new(ACCOUNT, text="Hi.")
    edited = draft.body.replace("Analytical Engines Ltd", "Analytical Engines plc")
    assert swap_signature(ACCOUNT, edited, draft.from_addr, HOME) is None
    # Same signature on both sides (an alias): nothing to do, edited or not.
    same = swap_signature(ACCOUNT, edited, draft.from_addr, "ada@alias.example")
    assert same == edited


def test_from_on_the_command_line_takes_any_identity() -> None:
    assert choose_from(ACCOUNT, "ADA@home.example") == HOME
    assert choose_from(ACCOUNT, "Ada H <ada@home.example>") == "Ada H <ada@home.example>"
    assert choose_from(ACCOUNT, "plain@example.org") == "Ada Lovelace <plain@example.org>"
    with pytest.raises(UsageError) as caught:
        choose_from(ACCOUNT, "ceo@example.com")
    assert str(caught.value) == (
        "From: 'ceo@example.com' is not an address of account 'work' (me@example.org, "
        "ada@alias.example, ada@home.example, noreply@example.org, plain@example.org). "
        "Add it to aliases or as an [[accounts.identities]] table."
    )


def test_every_identity_may_be_sent_from_and_no_other() -> None:
    draft = compose_new(ACCOUNT, to="bob@example.com", subject="x")
    for address in ("noreply@example.org", "Plain@Example.org", "ada@alias.example"):
        draft.from_addr = address
        assert build_message(ACCOUNT, draft)["From"] == address
    draft.from_addr = "ceo@example.com"
    with pytest.raises(UsageError, match=r"ada@home\.example, noreply@example\.org"):
        build_message(ACCOUNT, draft)


def test_an_empty_reply_has_a_line_to_write_on_above_the_signature() -> None:
    draft = compose_reply(ACCOUNT, original(), folder="INBOX", uid=1)
    assert draft.body == QUOTE + "\n\n\n" + WORK_SIG
    lines = draft.body.split("\n")
    last_quoted = max(i for i, line in enumerate(lines) if line.startswith(">"))
    # Where the compose screen puts the cursor (two lines under the quote): blank, and
    # blank lines around it, so what is typed is neither quoted nor in the signature.
    assert lines[last_quoted + 1 : last_quoted + 4] == ["", "", ""]


def test_use_identity_sets_from_and_signature_or_keeps_an_edited_one() -> None:
    draft = compose_new(ACCOUNT, text="Hi.")
    assert use_identity(ACCOUNT, draft, "ada@home.example")
    assert (draft.from_addr, draft.body) == (HOME, "Hi.\n\n" + HOME_SIG)
    draft.body = draft.body.replace("Love", "Hugs")
    assert not use_identity(ACCOUNT, draft, "me@example.org")
    assert (draft.from_addr, draft.body) == (WORK_FROM, "Hi.\n\n-- \nHugs, A.\n")
    with pytest.raises(UsageError):
        use_identity(ACCOUNT, draft, "ceo@example.com")
    assert draft.from_addr == WORK_FROM
