"""Reading the fields only signed and encrypted mail reads: pgp_sign and pgp_encrypt (the
defaults compose starts from), the S/MIME key and certificate.

Apart from reading.py so each stays small; errors follow the same pattern (file, account,
field, value, what was expected). PGP needs no setting: the user's own gpg, its
GNUPGHOME and its agent are used as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_mail.config.table import Table


def parse_crypto(table: Table, base: Path) -> dict[str, Any]:
    """smime_key and smime_cert of the account `table`: both or neither, existing files."""
    key, cert = table.path("smime_key", base), table.path("smime_cert", base)
    if (key is None) != (cert is None):
        given, missing = (
            ("smime_key", "smime_cert") if key is not None else ("smime_cert", "smime_key")
        )
        raise table.error(f"{given} is set but {missing} is not; S/MIME needs both PEM files")
    for name, path in (("smime_key", key), ("smime_cert", cert)):
        if path is not None and not path.is_file():
            raise table.error(f"{name} is {path}, which is not a file; expected a PEM file")
    names = ("pgp_sign", "pgp_encrypt", "autocrypt", "autocrypt_mutual", "wkd")
    flags = {name: table.data.get(name, False) for name in names}
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise table.wrong(name, f"true or false, e.g. {name} = true")
    return {"smime_key": key, "smime_cert": cert, **flags}
