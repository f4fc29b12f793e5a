"""One-click unsubscription (RFC 8058) for the front ends, which may not reach core.net:
the account's TLS trust (system CAs plus its `ca_file`), and the POST off the event loop."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tui_mail.core.errors import TlsError
from tui_mail.core.net.one_click import OneClickResult, post_one_click
from tui_mail.core.net.tls import client_context

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig

__all__ = ["OneClickResult", "one_click_unsubscribe"]


async def one_click_unsubscribe(account: AccountConfig, url: str) -> OneClickResult:
    """POST `List-Unsubscribe=One-Click` to `url` (https only) in a thread; never raises
    for a network or TLS failure: the result's sentence says what happened."""
    try:
        context = client_context(account.ca_file)
    except TlsError as error:
        return OneClickResult(False, f"Not unsubscribed: {error}")
    return await asyncio.to_thread(post_one_click, url, context)
