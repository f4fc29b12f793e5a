"""The suite's GnuPG keyrings are made in one place (tests/support/gnupg_keys.py:
`keyring_with`, and the `ada_keyring` fixture of tests/conftest.py), so every test's
gpg-agent is stopped however the test ends, and no test file grows its own copy again."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
MAKERS = ("new_keyring(", ".make_key(", "--quick-gen-key", "--gen-key")
"""What making a keyring (or a key in one) by hand looks like."""


def test_no_test_file_makes_a_keyring_of_its_own() -> None:
    own = TESTS / "support" / "gnupg_keys.py"
    found = [
        f"{path.relative_to(TESTS)}: {maker}"
        for path in sorted(TESTS.rglob("*.py"))
        if path not in (own, Path(__file__).resolve())
        for maker in MAKERS
        if maker in path.read_text(encoding="utf-8")
    ]
    assert found == []
