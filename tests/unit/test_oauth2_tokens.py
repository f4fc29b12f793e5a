"""OAuth2's pure parts: endpoints from presets and config, the stored token set."""

from __future__ import annotations

import pytest

from tui_mail.config import OAuth2Config
from tui_mail.core.auth.oauth2 import (
    PROVIDERS,
    DeviceAuthorization,
    Endpoints,
    TokenSet,
    endpoints_for,
)
from tui_mail.core.errors import UsageError


def test_microsoft_preset_endpoints_and_scopes() -> None:
    endpoints = endpoints_for(OAuth2Config(provider="microsoft", client_id="abc"), "work")

    assert endpoints.client_id == "abc"
    assert endpoints.token_endpoint.startswith("https://login.microsoftonline.com/")
    assert "https://outlook.office.com/IMAP.AccessAsUser.All" in endpoints.scopes
    assert "offline_access" in endpoints.scopes


def test_config_endpoints_and_scopes_win_over_the_preset() -> None:
    config = OAuth2Config(provider="google", client_id="abc", token_endpoint="https://t.example/",
                          scopes=("s1",))  # fmt: skip

    endpoints = endpoints_for(config, "work")

    assert endpoints.token_endpoint == "https://t.example/"
    assert (
        endpoints.device_authorization_endpoint == PROVIDERS["google"].device_authorization_endpoint
    )
    assert endpoints.scopes == ("s1",)


def test_missing_client_id_says_to_register_one() -> None:
    with pytest.raises(UsageError, match=r"no OAuth2 client_id.*register one at https://"):
        endpoints_for(OAuth2Config(provider="microsoft"), "work")


def test_missing_endpoints_say_what_to_set() -> None:
    with pytest.raises(UsageError, match='set provider = "google" or "microsoft"'):
        endpoints_for(OAuth2Config(client_id="abc"), "work")


def test_token_set_round_trips_and_hides_its_secrets() -> None:
    tokens = TokenSet("access-xyz", "refresh-xyz", 1000.0, "client-secret-xyz")

    assert TokenSet.from_json(tokens.to_json()) == tokens
    shown = repr(tokens) + repr(Endpoints("id", "https://t", None, (), "client-secret-xyz"))
    shown += repr(DeviceAuthorization("CODE", "https://v", None, 1.0, 5.0, "device-xyz"))
    assert "xyz" not in shown


def test_a_bare_token_is_not_a_token_set() -> None:
    assert TokenSet.from_json("ya29.bare-access-token") is None
    assert TokenSet.from_json('{"refresh_token": "r"}') is None
    assert TokenSet.from_json("[1, 2]") is None


def test_expiry_has_a_margin() -> None:
    tokens = TokenSet("a", expires_at=1000.0)

    assert not tokens.expired(now=800.0, margin=120)
    assert tokens.expired(now=881.0, margin=120)
    assert not TokenSet("a").expired(now=1e12)
