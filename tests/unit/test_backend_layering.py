"""The backend protocol and the cache stay apart: backends write the cache only through the
narrow SyncCache protocol, and the record of offline actions does not know the backends.
Every import counts, also those inside functions and under TYPE_CHECKING."""

from __future__ import annotations

import ast
from pathlib import Path

import tui_mail

PACKAGE = Path(tui_mail.__file__).parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _modules(*parts: str) -> list[Path]:
    target = PACKAGE.joinpath(*parts)
    return sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]


def _offending(paths: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    offending: dict[str, list[str]] = {}
    for path in paths:
        bad = sorted(m for m in _imports(path) if m.startswith(forbidden))
        if bad:
            offending[str(path.relative_to(PACKAGE))] = bad
    return offending


def test_the_backends_and_their_protocol_never_import_the_store() -> None:
    paths = [
        *_modules("core", "backend"),
        *_modules("core", "query"),
        *_modules("core", "imap"),
        *_modules("core", "maildir"),
        *_modules("core", "pop3"),
    ]
    assert len(paths) > 10
    assert _offending(paths, ("tui_mail.core.store",)) == {}


def test_the_store_knows_neither_the_backends_nor_the_account() -> None:
    paths = _modules("core", "store")
    assert any(p.name == "pending.py" for p in paths)
    forbidden = (
        "tui_mail.core.backend",
        "tui_mail.core.account",
        "tui_mail.core.imap",
        "tui_mail.core.maildir",
        "tui_mail.core.pop3",
    )
    assert _offending(paths, forbidden) == {}
