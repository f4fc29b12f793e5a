"""The configuration file: where it lives, what it may hold, and how to read and write it.

Everything a user can get wrong in the file becomes a `ConfigError` that names the file, the
account, the field, the value (never for secret-looking keys) and what was expected. Secrets
never live here: passwords come from the keyring or a `password_command` (see
`tui_mail.core.auth.credentials`).

Relative `ca_file` and `path` values are relative to the directory holding the file.

The package's parts: `models` (the dataclasses and constants), `paths` (where files live),
`reading` (load_config and its checks, with `table` and `wording` for the error messages,
and `sending` for the fields only sending reads: aliases, identities, signatures) and
`writing` (save_config), `saved_searches` (a saved search added or removed, the rest
of the file kept as written). Import from `tui_mail.config` itself; the parts may move.
"""

from tui_mail.config.models import (
    APP_NAME,
    AUTH_CHOICES,
    DEFAULT_BODY_CACHE_MAX_BYTES,
    DEFAULT_PORTS,
    MAX_IDLE_FOLDERS,
    MINIMAL_EXAMPLE,
    NOTIFY_CHOICES,
    OAUTH2_PROVIDER_CHOICES,
    SECURITY_CHOICES,
    SIGNATURE_POSITIONS,
    TYPE_CHOICES,
    AccountConfig,
    AccountType,
    AppConfig,
    AuthMethod,
    Identity,
    IdentityConfig,
    OAuth2Config,
    OAuth2Provider,
    Pop3Config,
    SavedSearchConfig,
    Security,
    ServerConfig,
    SignaturePosition,
)
from tui_mail.config.paths import config_path, data_path
from tui_mail.config.reading import load_config
from tui_mail.config.saved_searches import forget_saved_search, store_saved_search
from tui_mail.config.writing import save_config

__all__ = [
    "APP_NAME",
    "AUTH_CHOICES",
    "DEFAULT_BODY_CACHE_MAX_BYTES",
    "DEFAULT_PORTS",
    "MAX_IDLE_FOLDERS",
    "MINIMAL_EXAMPLE",
    "NOTIFY_CHOICES",
    "OAUTH2_PROVIDER_CHOICES",
    "SECURITY_CHOICES",
    "SIGNATURE_POSITIONS",
    "TYPE_CHOICES",
    "AccountConfig",
    "AccountType",
    "AppConfig",
    "AuthMethod",
    "Identity",
    "IdentityConfig",
    "OAuth2Config",
    "OAuth2Provider",
    "Pop3Config",
    "SavedSearchConfig",
    "Security",
    "ServerConfig",
    "SignaturePosition",
    "config_path",
    "data_path",
    "forget_saved_search",
    "load_config",
    "save_config",
    "store_saved_search",
]
