"""One resolver for an account's secret, and a Secret that never shows its value."""

from __future__ import annotations

import logging
import traceback

import keyring
import keyring.core
import pytest

from tests.unit.test_credentials import MemoryKeyring, account, oauth_account
from tui_mail.core.auth.credentials import KEYRING_SERVICE
from tui_mail.core.auth.secrets import Secret, resolve_secret, secret_source
from tui_mail.core.errors import CredentialsUnavailable

VALUE = "hunter2-very-secret"


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    # Undone afterwards: the next test sees the suite's failing keyring again.
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


# Secret


def test_secret_repr_and_str_hide_the_value() -> None:
    secret = Secret(VALUE)
    assert secret.value == VALUE
    assert VALUE not in repr(secret)
    assert VALUE not in str(secret)
    assert VALUE not in f"{secret} {secret!r} {[secret]} { ({'s': secret}) }"
    assert repr(secret) == "Secret(***)"


def test_secret_in_a_traceback_with_locals_is_hidden() -> None:
    def log_in(secret: Secret) -> None:
        raise CredentialsUnavailable(f"the server refused {secret}")

    try:
        log_in(Secret(VALUE))
    except CredentialsUnavailable as error:
        shown = "".join(
            traceback.TracebackException.from_exception(error, capture_locals=True).format()
        )
    assert "secret = Secret(***)" in shown  # the local is there, shown by its repr
    assert VALUE not in shown


def test_secret_in_a_log_record_is_hidden(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("tui_mail.test").info("login with %s / %r", Secret(VALUE), Secret(VALUE))
    assert VALUE not in caplog.text


def test_secret_has_no_attribute_dict_to_dump() -> None:
    # vars() (and so a debugger's or a dataclass-style dump of __dict__) finds nothing.
    with pytest.raises(TypeError):
        vars(Secret(VALUE))


def test_secret_truth_and_equality_follow_the_value() -> None:
    assert not Secret()
    assert Secret(VALUE)
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret("other")
    assert Secret(VALUE) != VALUE  # a Secret is never equal to the bare string


# resolve_secret


def test_resolves_the_password_command() -> None:
    assert resolve_secret(account(password_command="printf 'from-cmd\\n'")).value == "from-cmd"


def test_resolves_the_password_from_the_keyring(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, "work:me@example.org", "from-keyring")
    secret = resolve_secret(account())
    assert secret.value == "from-keyring"
    assert "from-keyring" not in repr(secret)


def test_resolves_an_oauth2_token_not_the_password(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, "work:me@example.org", "the-password")
    memory_keyring.set_password(KEYRING_SERVICE, "work:me@example.org:oauth2", "tok-789")
    assert resolve_secret(account(auth="oauth2")).value == "tok-789"
    assert resolve_secret(account()).value == "the-password"


def test_resolves_the_oauth2_token_command() -> None:
    assert resolve_secret(oauth_account("printf 'tok-cmd\\n'")).value == "tok-cmd"


def test_secret_source_asks_anew_each_time(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, "work:me@example.org", "first")
    source = secret_source(account())
    assert source() == "first"
    memory_keyring.set_password(KEYRING_SERVICE, "work:me@example.org", "second")
    assert source() == "second"


def test_nothing_stored_says_what_to_set() -> None:
    # The suite's keyring is the failing one: the usual sentence, naming the command setting.
    with pytest.raises(CredentialsUnavailable, match="password_command"):
        resolve_secret(account())
