"""Mailing-list header fields (RFC 2369, 2919, 8058, 6068) and the drafts made from them:
the RFCs' own examples, then what a hostile sender could put there (no network)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.dovecot import make_message
from tui_mail.config import AccountConfig
from tui_mail.core.message.lists import (
    MAX_NAME_CHARS,
    MAX_URIS,
    MailingList,
    Mailto,
    list_headers,
    parse_list_fields,
    parse_mailto,
    parse_url_list,
    unsubscribe_plan,
)
from tui_mail.core.sending.lists import NoListAddress, compose_list_reply, compose_unsubscribe

ME = AccountConfig(name="work", email="me@example.org", display_name="Me")
CORPUS = Path(__file__).parent.parent / "data" / "hostile"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def fields(**values: str) -> MailingList:
    return parse_list_fields({k.replace("_", "-"): v for k, v in values.items()})


# -- RFC 2369 examples --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<mailto:list@host.com>", ("mailto:list@host.com",)),
        ("<mailto:moderator@host.com> (Postings are Moderated)", ("mailto:moderator@host.com",)),
        (
            "<mailto:moderator@host.com?subject=list%20posting>",
            ("mailto:moderator@host.com?subject=list%20posting",),
        ),
        (
            "<http://www.host.com/list.cgi?cmd=unsub&lst=list>,\r\n"
            " <mailto:list-request@host.com?subject=unsubscribe>",
            (
                "http://www.host.com/list.cgi?cmd=unsub&lst=list",
                "mailto:list-request@host.com?subject=unsubscribe",
            ),
        ),
        # A long URL folded inside its brackets: the whitespace is not part of it.
        (
            "<https://lists.example.org/unsub/\r\n\t abc?x=1>",
            ("https://lists.example.org/unsub/abc?x=1",),
        ),
        # Parentheses inside the brackets belong to the URL, a comment outside does not.
        ("(first <mailto:no@x.org>) <https://x.org/a(b)>", ("https://x.org/a(b)",)),
        ("", ()),
        ("mailto:list@host.com", ()),  # no brackets: not an RFC 2369 URL list
    ],
)
def test_url_lists(value: str, expected: tuple[str, ...]) -> None:
    assert parse_url_list(value) == expected


@pytest.mark.parametrize(
    "value", ["NO", "no", "NO (posting not allowed on this list)", " (announce only) NO "]
)
def test_list_post_no(value: str) -> None:
    info = fields(list_post=value)
    assert info.posting_refused and info.post == () and info.post_address is None
    with pytest.raises(NoListAddress, match=r"^This list does not take posts \(List-Post: NO\)\.$"):
        compose_list_reply(ME, make_message(0, list_post=value), folder="INBOX", uid=1)


def test_list_id_names_the_list() -> None:
    info = fields(list_id="List Header Mailing List <list-header.nisto.com>")
    assert (info.list_id, info.name) == ("list-header.nisto.com", "List Header Mailing List")
    assert fields(list_id="<commonspace-users.list-id.within.com>").name == (
        "commonspace-users.list-id.within.com"
    )
    encoded = fields(list_id='"=?utf-8?q?Entwickler_=C3=BCber_alles?=" <dev.example.de>')
    assert encoded.name == "Entwickler über alles"
    assert not fields(list_id="no brackets here").is_list


def test_one_click_needs_exactly_the_rfc_8058_value() -> None:
    url = "<https://example.com/unsubscribe/opaquepart>"
    assert fields(
        list_unsubscribe=url, list_unsubscribe_post="List-Unsubscribe=One-Click"
    ).one_click
    for other in ("List-Unsubscribe=One-Click&x=1", "yes", "List-Unsubscribe=one-click", ""):
        assert not fields(list_unsubscribe=url, list_unsubscribe_post=other).one_click


# -- mailto: (RFC 6068) -------------------------------------------------------------------


def test_mailto_takes_to_cc_subject_and_body_and_nothing_else() -> None:
    mailto = parse_mailto(
        "mailto:list-request@example.org,second@example.org?Subject=unsubscribe%20me"
        "&body=please%0D%0Aremove%20%C3%BCs&cc=copy@example.org&bcc=spy@example.net"
        "&in-reply-to=%3Cx@y%3E&to=third@example.org"
    )
    assert mailto == Mailto(
        to=("list-request@example.org", "second@example.org", "third@example.org"),
        cc=("copy@example.org",),
        subject="unsubscribe me",
        body="please\nremove üs",
    )


@pytest.mark.parametrize(
    "url",
    ["https://example.org", "mailto", "javascript:alert(1)", "mailto:" + "a" * 3000 + "@x.org"],
)
def test_not_mailto(url: str) -> None:
    assert parse_mailto(url) is None


def test_mailto_drops_what_is_not_an_address_and_sanitises_text() -> None:
    mailto = parse_mailto(
        "mailto:%3Cevil%3E,ok@example.org,no-at-sign?subject=a%1B%5B31mred%0Aline&body=x%1B]0;t%07y"
    )
    assert mailto is not None
    assert mailto.to == ("ok@example.org",)
    assert mailto.subject == "ared line"  # the colour escape gone whole, the line break a space
    assert mailto.body == "xy"


# -- deciding how to unsubscribe --------------------------------------------------------


def test_one_click_over_https_comes_first() -> None:
    plan = unsubscribe_plan(
        fields(
            list_id="Python Dev <python-dev.python.org>",
            list_unsubscribe="<mailto:leave@python.org>, <https://mail.python.org:8443/u/1>",
            list_unsubscribe_post="List-Unsubscribe=One-Click",
        )
    )
    assert (plan.how, plan.host, plan.url) == (
        "one-click", "mail.python.org:8443", "https://mail.python.org:8443/u/1",
    )  # fmt: skip
    assert plan.list_name == "Python Dev"


def test_mailto_before_a_web_page_and_a_web_page_without_one_click() -> None:
    both = fields(list_unsubscribe="<https://x.org/u>, <mailto:leave@x.org?subject=bye>")
    plan = unsubscribe_plan(both)
    assert plan.how == "mailto" and plan.mailto == Mailto(("leave@x.org",), subject="bye")
    page = unsubscribe_plan(fields(list_unsubscribe="<https://x.org/u>"))
    assert (page.how, page.host) == ("browser", "x.org")


def test_plain_http_is_refused_with_the_reason() -> None:
    plan = unsubscribe_plan(
        fields(
            list_unsubscribe="<http://x.org/u>",
            list_unsubscribe_post="List-Unsubscribe=One-Click",
        )
    )
    assert plan.how == "refused" and plan.host == "x.org"
    assert "plain http" in plan.sentence and "unencrypted" in plan.sentence
    nothing = unsubscribe_plan(MailingList())
    assert nothing.sentence == (
        "This message has no List-Unsubscribe header: it names no way to unsubscribe."
    )


# -- hostile input ----------------------------------------------------------------------


def test_hostile_values_are_bounded_and_safe() -> None:
    many = ", ".join(f"<mailto:l{i}@x.org>" for i in range(500))
    assert len(parse_url_list(many)) == MAX_URIS
    assert parse_url_list("<https://x.org/" + "a" * 5000 + ">") == ()
    # Non-ASCII or control characters make a URL unusable, not a different URL.
    assert parse_url_list("<https://exämple.org/u>, <https://x.org/\x1b[2Ju>") == ()
    assert parse_url_list("<" * 10000 + ">") == ()
    evil = fields(list_id="\x1b]0;pwned\x07\u202eevil\u202c " + "x" * 500 + " <ok.example.org>")
    assert "\x1b" not in evil.name and "\u202e" not in evil.name
    assert "⟨RLO⟩" in evil.name and len(evil.name) == MAX_NAME_CHARS
    assert fields(list_id="<bad id with spaces>").list_id == ""
    # Encoded words do not smuggle URLs into an RFC 2369 field.
    assert parse_url_list("=?utf-8?q?=3Cmailto=3Aa=40x=2Eorg=3E?=") == ()
    # An unterminated comment swallows what follows rather than leaking it.
    assert parse_url_list("(comment <mailto:a@x.org>") == ()


def test_list_headers_from_a_whole_message_first_field_wins() -> None:
    raw = (
        b"From: a@x.org\r\nList-Post: <mailto:first@x.org>\r\nList-Post: <mailto:second@x.org>"
        b"\r\nList-Id: Folded\r\n name <folded.x.org>\r\nSubject: s\r\n\r\nbody\r\n"
    )
    info = list_headers(raw)
    assert info.post_address == "first@x.org"
    assert info.name == "Folded name"
    assert not list_headers(b"From: a@x.org\r\n\r\nbody").is_list


# -- drafts -----------------------------------------------------------------------------


def test_reply_to_the_list_goes_to_list_post_only_quoted_and_threaded() -> None:
    raw = make_message(
        0, from_="Alice <alice@example.com>", to="python-dev@python.org", cc="bob@example.com",
        subject="[Python-Dev] PEP 999", message_id="<pep@example.com>", body="Thoughts?\n",
        list_post="<mailto:python-dev@python.org>", reply_to="alice@private.example",
    )  # fmt: skip
    draft = compose_list_reply(ME, raw, folder="Lists/python-dev", uid=7)
    assert (draft.to, draft.cc) == ("python-dev@python.org", "")
    assert draft.subject == "Re: [Python-Dev] PEP 999"
    assert draft.in_reply_to == "<pep@example.com>"
    assert draft.references.endswith("<pep@example.com>")
    assert "> Thoughts?" in draft.body


def test_reply_to_a_message_without_list_post_says_what_would_work() -> None:
    with pytest.raises(NoListAddress) as raised:
        compose_list_reply(ME, make_message(0), folder="INBOX", uid=1)
    assert str(raised.value) == (
        "This message has no List-Post header; r replies to the sender, R to everyone."
    )
    web_only = make_message(0, list_post="<https://forum.example.org/new>")
    with pytest.raises(NoListAddress, match="web page"):
        compose_list_reply(ME, web_only, folder="INBOX", uid=1)


def test_unsubscribe_message_from_mailto() -> None:
    draft = compose_unsubscribe(ME, Mailto(("leave@x.org",), subject="unsubscribe", body="bye"))
    assert (draft.to, draft.subject, draft.body) == ("leave@x.org", "unsubscribe", "bye")
    assert compose_unsubscribe(ME, Mailto(("leave@x.org",))).subject == "unsubscribe"


# -- whatever a sender writes -------------------------------------------------------------

_PIECES = (
    *'<>(),;:@?&=%\\" \t\r\nNOaz.-/',
    *(
        "mailto:",
        "https://",
        "=?utf-8?q?",
        "\x1b[",
        "\x07",
        "\u202e",
        "\udc80",
        "é",
        "%0D%0A",
        "%07",
    ),
)
_LIST_FIELD_TEXT = st.lists(st.sampled_from(_PIECES), max_size=120).map("".join)


@given(post=_LIST_FIELD_TEXT, unsub=_LIST_FIELD_TEXT, list_id=_LIST_FIELD_TEXT)
@settings(max_examples=300, deadline=None)
def test_any_field_values_parse_to_safe_bounded_values(post: str, unsub: str, list_id: str) -> None:
    info = fields(list_post=post, list_unsubscribe=unsub, list_id=list_id)
    for url in (*info.post, *info.unsubscribe):
        assert url.isascii() and url.isprintable() and " " not in url
    assert CONTROL.search(info.name) is None and "\u202e" not in info.name
    assert len(info.name) <= MAX_NAME_CHARS
    plan = unsubscribe_plan(info)
    assert plan.host.isascii() and plan.host.isprintable()
    for mailto in (parse_mailto(u) for u in info.unsubscribe):
        if mailto is not None:
            for address in (*mailto.to, *mailto.cc):
                assert address.isascii() and address.isprintable() and "@" in address
            assert CONTROL.search(mailto.subject) is None and "\n" not in mailto.subject
            assert CONTROL.search(mailto.body.replace("\n", "").replace("\t", "")) is None


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda p: p.stem)
def test_the_hostile_corpus_reads_as_no_list_or_a_safe_one(path: Path) -> None:
    info = list_headers(path.read_bytes())
    assert CONTROL.search(info.name) is None
