"""Sign-in to an account's OAuth2 provider, by the flow the provider or the settings call for.

Its own module so that the two flows stay one-way: the loopback flow (oauth2_loopback.py)
builds on oauth2.py's endpoints and token requests, and only this module knows both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_mail.core.auth.oauth2 import device_sign_in, endpoints_for

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig
    from tui_mail.core.auth.oauth2 import TokenSet


def sign_in(
    account: AccountConfig,
    show: Callable[[str], None],
    *,
    client_secret: str | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> TokenSet:
    """The account's sign-in, by the flow its provider or settings call for: `show` gets the
    instructions for the user (a code to enter, or a URL to open), then this blocks."""
    endpoints = endpoints_for(account.oauth2, account.name, client_secret=client_secret)
    if endpoints.uses_loopback:
        from tui_mail.core.auth.oauth2_loopback import loopback_sign_in  # noqa: PLC0415

        return loopback_sign_in(account, show, client_secret=client_secret, cancelled=cancelled)
    return device_sign_in(account, lambda code: show(code.instructions()),
                          client_secret=client_secret, cancelled=cancelled)  # fmt: skip
