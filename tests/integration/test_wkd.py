"""Web Key Directory against a real HTTPS server on loopback (test CA): the spec's hash,
only HTTPS, only a key carrying the address, and encryption to the key found."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from tests.support.gnupg_keys import Keyring, keyring_with
from tests.support.setup_servers import LocalCA, WebServer
from tui_mail.core.crypto.autocrypt import AutocryptStore, Recommendation
from tui_mail.core.crypto.gnupg import GnuPG
from tui_mail.core.crypto.protect import MissingKeys, protect
from tui_mail.core.crypto.secured import open_secured
from tui_mail.core.crypto.wkd import fetch_wkd, wkd_locations
from tui_mail.core.net.tls import client_context

ADA = "ada@localhost"


def test_the_drafts_example_hash() -> None:
    [(host, path), (direct, direct_path)] = wkd_locations("Joe.Doe@Example.ORG")
    assert host == "openpgpkey.example.org"
    assert (
        path == "/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"
    )
    assert (direct, direct_path) == (
        "example.org", "/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"
    )  # fmt: skip


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[tuple[Keyring, Keyring]]:
    with (
        keyring_with(tmp_path / "me", "Me <me@example.org>") as me,
        keyring_with(tmp_path / "ada", f"Ada <{ADA}>") as ada,
    ):
        yield me, ada


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[WebServer, LocalCA]]:
    ca = LocalCA(tmp_path / "ca")
    server = WebServer(ca.server_context("localhost", "127.0.0.1"))
    yield server, ca
    server.close()


def test_a_published_key_is_fetched_over_https_and_used(
    keys: tuple[Keyring, Keyring], web: tuple[WebServer, LocalCA], tmp_path: Path
) -> None:
    me, ada = keys
    server, ca = web
    _host, path = wkd_locations(ADA)[1]
    published = ada.gpg("--export", ADA)
    server.routes[path.split("?")[0]] = lambda request: (200, {}, published)
    look_up = functools.partial(fetch_wkd, context=client_context(ca.pem), port=server.port)
    assert look_up(ADA) == published
    assert fetch_wkd(ADA, client_context(None), port=server.port) is None  # untrusted: nothing

    message = EmailMessage(policy=SMTP)
    message["From"], message["To"], message["Subject"] = "me@example.org", ADA, "hello"
    message.set_content("found you\n")
    store = AutocryptStore(tmp_path / "autocrypt")
    with pytest.raises(MissingKeys):
        protect(message, GnuPG(home=me.home), sign=False, encrypt=True, autocrypt=store)
    raw = protect(message, GnuPG(home=me.home), sign=False, encrypt=True, autocrypt=store,
                  look_up=look_up)  # fmt: skip
    assert open_secured(raw, GnuPG(home=ada.home)).report.lines()[0][1].startswith("Encrypted;")
    assert store.recommend([ADA]) is Recommendation.AVAILABLE  # found, not a preference


def test_a_key_for_another_address_is_not_taken(
    keys: tuple[Keyring, Keyring], tmp_path: Path
) -> None:
    me, _ada = keys
    store = AutocryptStore(tmp_path / "autocrypt")
    assert not store.remember_found(ADA, me.gpg("--export", "me@example.org"))
    assert store.peer(ADA) is None
