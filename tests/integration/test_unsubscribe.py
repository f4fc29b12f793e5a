"""RFC 8058 one-click unsubscription against a real HTTPS server on loopback (certificate
from a test CA): what the server receives, and what the user is told."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_cli import Run, cli, config_text
from tests.support.dovecot import DovecotServer, MailUser, make_message
from tests.support.setup_servers import LocalCA, Request, WebServer, free_port
from tui_mail.config import AccountConfig
from tui_mail.core.account.unsubscribe import one_click_unsubscribe
from tui_mail.core.net.one_click import post_one_click
from tui_mail.core.net.tls import client_context

__all__ = ["cli"]  # the CLI test's fixture, used here too

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def ca(tmp_path: Path) -> LocalCA:
    return LocalCA(tmp_path / "ca")


@pytest.fixture
def web(ca: LocalCA) -> Iterator[WebServer]:
    server = WebServer(ca.server_context("localhost", "127.0.0.1"))
    server.routes["/unsub/abc"] = lambda request: (200, {}, b"bye")
    yield server
    server.close()


def posts(web: WebServer) -> list[Request]:
    return [r for r in web.requests if r.method == "POST"]


def test_one_post_with_the_rfc_8058_body(web: WebServer, ca: LocalCA) -> None:
    url = f"https://localhost:{web.port}/unsub/abc"

    result = post_one_click(url, client_context(ca.pem), timeout=5)

    assert (result.ok, result.sentence) == (
        True,
        f"Unsubscribed: localhost:{web.port} answered 200.",
    )
    [request] = web.requests
    assert (request.method, request.path, request.body) == (
        "POST", "/unsub/abc", "List-Unsubscribe=One-Click",
    )  # fmt: skip
    assert request.content_type == "application/x-www-form-urlencoded"


async def test_through_the_account_trusting_its_ca_file(web: WebServer, ca: LocalCA) -> None:
    account = AccountConfig(name="work", email="me@example.org", ca_file=ca.pem)
    result = await one_click_unsubscribe(account, f"https://localhost:{web.port}/unsub/abc")
    assert result.ok
    assert len(posts(web)) == 1


def test_an_untrusted_certificate_sends_nothing(web: WebServer) -> None:
    result = post_one_click(f"https://localhost:{web.port}/unsub/abc", client_context(None))
    assert not result.ok
    assert result.sentence.startswith("Not unsubscribed: The certificate of localhost:")
    assert "not trusted" in result.sentence
    assert web.requests == []


async def test_an_account_ca_file_that_cannot_be_read_sends_nothing(
    web: WebServer, tmp_path: Path
) -> None:
    account = AccountConfig(name="w", email="me@example.org", ca_file=tmp_path / "missing.pem")
    result = await one_click_unsubscribe(account, f"https://localhost:{web.port}/unsub/abc")
    assert not result.ok and "Cannot load ca_file" in result.sentence
    assert web.requests == []


def test_plain_http_is_never_posted_to() -> None:
    plain = WebServer()
    try:
        result = post_one_click(
            f"http://localhost:{plain.port}/unsub/abc", client_context(None), timeout=5
        )
        assert not result.ok and "is not an https: URL; nothing sent" in result.sentence
        assert plain.requests == []
    finally:
        plain.close()


def test_a_refusal_is_reported_with_its_status(web: WebServer, ca: LocalCA) -> None:
    web.routes["/gone"] = lambda request: (410, {}, b"")
    result = post_one_click(f"https://localhost:{web.port}/gone", client_context(ca.pem))
    assert (result.ok, result.sentence) == (
        False, f"Not unsubscribed: localhost:{web.port} answered 410.",
    )  # fmt: skip


def test_redirects_only_on_the_same_host(web: WebServer, ca: LocalCA) -> None:
    web.routes["/moved"] = lambda request: (308, {"Location": "/unsub/abc"}, b"")
    web.routes["/away"] = lambda request: (
        307, {"Location": f"https://127.0.0.1:{web.port}/unsub/abc"}, b"",
    )  # fmt: skip
    context = client_context(ca.pem)

    same = post_one_click(f"https://localhost:{web.port}/moved", context)
    assert same.ok
    assert [(r.path, r.body) for r in web.requests] == [
        ("/moved", "List-Unsubscribe=One-Click"),
        ("/unsub/abc", "List-Unsubscribe=One-Click"),
    ]
    web.requests.clear()

    away = post_one_click(f"https://localhost:{web.port}/away", context)
    assert not away.ok
    assert "a redirect to 127.0.0.1, which tui-mail does not follow" in away.sentence
    assert [r.path for r in web.requests] == ["/away"]


def test_nobody_listening(ca: LocalCA) -> None:
    port = free_port()
    result = post_one_click(f"https://localhost:{port}/u", client_context(ca.pem), timeout=3)
    assert not result.ok
    assert result.sentence.startswith(f"Not unsubscribed: cannot reach localhost:{port} (")


# -- the headless CLI against the suite's Dovecot --------------------------------------


def list_mail(**headers: str) -> bytes:
    return make_message(
        0, from_="Alice <alice@example.com>", to="dev@lists.example.org",
        subject="[dev] Release plan", message_id="<plan@example.com>",
        list_id="Developers <dev.lists.example.org>", **headers,
    )  # fmt: skip


def test_cli_reply_to_the_list(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [list_mail(list_post="<mailto:dev@lists.example.org>")])
    body = tmp_path / "body.txt"
    body.write_text("Sounds good.\n")

    done = cli("reply", "--list", "--dry-run", "--body-file", str(body), "1")

    assert done.returncode == 0, done.stderr
    assert "\nTo: dev@lists.example.org\n" in done.stdout
    assert "\nSubject: Re: [dev] Release plan\n" in done.stdout
    assert "\nIn-Reply-To: <plan@example.com>\n" in done.stdout
    refused = cli("reply", "--list", "--dry-run", "--body-file", str(body), "2")
    assert refused.returncode == 2  # no such message: a usage error, as for any reply


def test_cli_reply_to_a_list_that_takes_no_posts(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    dovecot.deliver(mail_user, [list_mail(list_post="NO")])
    body = tmp_path / "body.txt"
    body.write_text("x\n")
    done = cli("reply", "--list", "--dry-run", "--body-file", str(body), "1")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith("tui-mail: This list does not take posts (List-Post: NO).\n")


def test_cli_unsubscribe_asks_for_yes_then_posts_once(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser, web: WebServer, ca: LocalCA
) -> None:
    url = f"https://localhost:{web.port}/unsub/abc"
    dovecot.deliver(mail_user, [list_mail(list_unsubscribe=f"<{url}>",
                                          list_unsubscribe_post=ONE_CLICK)])  # fmt: skip
    secret = cli.secret_file  # type: ignore[attr-defined]
    trusting = config_text(dovecot, mail_user, secret, ca_file=ca.bundle_with(dovecot.ca_pem))

    looked = cli("unsubscribe", "1", config_override=trusting)

    assert looked.returncode == 0, looked.stderr
    assert f"to localhost:{web.port}: {url}" in looked.stderr
    assert "Nothing done: run again with --yes to do it." in looked.stderr
    assert web.requests == []

    done = cli("unsubscribe", "--yes", "1")

    assert done.returncode == 0, done.stderr
    assert done.stderr.endswith(f"Unsubscribed: localhost:{web.port} answered 200.\n")
    [request] = web.requests
    assert (request.method, request.body) == ("POST", ONE_CLICK)


def test_cli_unsubscribe_refuses_plain_http(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [list_mail(list_unsubscribe="<http://x.example/u>")])
    done = cli("unsubscribe", "--yes", "1")
    assert done.returncode == 2
    assert "only over plain http (x.example)" in done.stderr


def test_cli_unsubscribe_by_mail_or_web_page_says_what_it_would_do(
    cli: Run, dovecot: DovecotServer, mail_user: MailUser
) -> None:
    dovecot.deliver(mail_user, [
        list_mail(list_unsubscribe="<mailto:dev-leave@lists.example.org?subject=bye>"),
        list_mail(list_unsubscribe="<https://lists.example.org/leave/dev>"),
    ])  # fmt: skip

    by_mail = cli("unsubscribe", "1")
    page = cli("unsubscribe", "2")

    assert by_mail.returncode == 0, by_mail.stderr
    assert (
        "Unsubscribe from Developers by sending a message to dev-leave@lists.example.org "
        "(subject: 'bye')." in by_mail.stderr
    )
    assert "Nothing done: run again with --yes to do it." in by_mail.stderr
    assert (page.returncode, page.stdout) == (
        0,
        "This list (Developers) unsubscribes on a web page; open it in your browser: "
        "https://lists.example.org/leave/dev\n",
    )
