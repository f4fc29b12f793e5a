"""Finding an address's mail servers, and turning what was found into a saved account.

The chain (`discover`): built-in presets by domain -> Thunderbird autoconfig over HTTPS ->
the provider behind the domain's MX -> RFC 6186/8314 SRV -> guesses probed in parallel.
A wizard drives the steps in order: `discover` -> show and edit an `AccountDraft` ->
choose authentication -> `tui_mail.core.doctor.diagnose_account` ("test settings") ->
`save_new_account` with the secret in the credential store. Everything here blocks; a UI
runs it in a thread worker.
"""

from tui_mail.core.discovery.chain import DiscoveryOptions, StepListener, discover
from tui_mail.core.discovery.model import (
    Discovery,
    ProviderPreset,
    ServerSuggestion,
    Source,
    StepOutcome,
    email_domain,
    is_outside,
)
from tui_mail.core.discovery.net import Network
from tui_mail.core.discovery.presets import PRESETS, preset_for_domain, preset_for_host

__all__ = [
    "PRESETS",
    "Discovery",
    "DiscoveryOptions",
    "Network",
    "ProviderPreset",
    "ServerSuggestion",
    "Source",
    "StepListener",
    "StepOutcome",
    "discover",
    "email_domain",
    "is_outside",
    "preset_for_domain",
    "preset_for_host",
]
