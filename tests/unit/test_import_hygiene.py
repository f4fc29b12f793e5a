"""The core and the CLI must stay usable without Textual (see docs/ARCHITECTURE.md)."""

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return set(output.split())


def test_core_does_not_import_textual() -> None:
    modules = _modules_after(
        "import tui_mail.core.account.service, tui_mail.core.imap.sync, "
        "tui_mail.core.message.mime, tui_mail.core.auth.credentials, tui_mail.config"
    )
    assert "tui_mail.core.account.service" in modules
    assert not any(name == "textual" or name.startswith("textual.") for name in modules)


def test_cli_does_not_import_textual_or_the_network_stack_up_front() -> None:
    modules = _modules_after("import tui_mail.cli")
    assert "textual" not in modules
    assert "imapclient" not in modules
    assert "keyring" not in modules
