"""The layering of docs/ARCHITECTURE.md, held by reading every import in the source.

Every import counts: at module level, inside functions (the lazy imports that keep start-up
fast) and under `TYPE_CHECKING`, because each of them is a dependency a reader has to
follow and a cycle waiting to happen.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tui_mail"

BASE = {"errors", "models", "query", "seqset", "process_group", "backend", "sort"}
"""The shared vocabulary directly in core/: what every package may use."""

ALLOWED: dict[str, set[str]] = {
    # group: groups it may import besides BASE and itself
    "base": {"message"},  # models keeps text from servers safe with message.sanitize
    "message": set(),
    "net": {"message"},
    "folders": {"message"},
    "store": {"message", "folders"},
    "auth": {"net", "message"},
    "imap": {"net", "message", "folders", "auth"},
    "maildir": {"net", "message", "folders", "auth"},
    # POP3 keeps what it downloads in a local Maildir and serves it from there.
    "pop3": {"net", "message", "folders", "auth", "maildir"},
    "discovery": {"net", "message", "auth"},
    "doctor": {"net", "message", "auth", "discovery", "imap", "pop3"},
    "demo": {"message", "maildir"},
    # The user's gpg (and openssl) for signed and encrypted mail; sanitises what they say.
    "crypto": {"message"},
    "account": {
        "net",
        "message",
        "folders",
        "store",
        "auth",
        "imap",
        "pop3",
        "maildir",
    },
    # Sending files the Sent copy and reopens drafts through the account's service.
    "sending": {"net", "message", "folders", "auth", "account", "crypto"},
}
"""Which core package may import which: protocols never import each other (POP3's local
Maildir aside), nothing below `account` imports it, and only `account` knows every backend."""


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


@cache
def imports(module: str) -> frozenset[str]:
    """Every module `module` imports, wherever the import statement stands."""
    tree = ast.parse(modules()[module].read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                # `from tui_mail.core.store import cache` imports the module store.cache
                full = f"{node.module}.{alias.name}"
                names.add(full if full in modules() else node.module)
    return frozenset(names)


def group(module: str) -> str | None:
    """The core package a module belongs to ("imap", "store", "base"), None outside core."""
    parts = module.split(".")
    if parts[:2] != ["tui_mail", "core"] or len(parts) == 2:
        return None
    return "base" if parts[2] in BASE else parts[2]


def edges(prefix: str) -> Iterator[tuple[str, str]]:
    for module in sorted(modules()):
        if module == prefix or module.startswith(prefix + "."):
            for target in sorted(imports(module)):
                yield module, target


def test_the_rules_see_the_code() -> None:
    """A rule over no imports would pass for ever: the reader must find real ones."""
    service = imports("tui_mail.core.account.service")
    assert any(name.startswith("tui_mail.core.store") for name in service)
    assert group("tui_mail.core.imap.session") == "imap"
    assert group("tui_mail.core.models") == "base"
    assert set(ALLOWED) | {"base"} >= {group(m) for m in modules() if group(m)}


def test_core_never_imports_the_ui_the_cli_or_textual() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, target in edges("tui_mail.core")
        if target.split(".")[0] == "textual" or target.startswith(("tui_mail.ui", "tui_mail.cli"))
    ]
    assert not wrong, "\n".join(wrong)


def test_config_depends_only_on_the_errors() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, target in edges("tui_mail.config")
        if target.startswith("tui_mail.")
        and not target.startswith("tui_mail.config")
        and target != "tui_mail.core.errors"
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("front", ["tui_mail.ui", "tui_mail.cli"])
def test_the_front_ends_talk_to_the_service_not_to_the_cache_or_a_protocol(front: str) -> None:
    """The UI and the CLI get mail through AccountService: never the cache, a protocol
    session or a backend directly (the CLI's `add-account` tests a login through the
    doctor, which is the doctor's job)."""
    hidden = ("store", "imap", "pop3", "maildir", "net")
    wrong = [
        f"{module} imports {target}" for module, target in edges(front) if group(target) in hidden
    ]
    assert not wrong, "\n".join(wrong)


def test_core_packages_import_only_what_their_layer_allows() -> None:
    wrong = []
    for module, target in edges("tui_mail.core"):
        source, dest = group(module), group(target)
        if source is None or dest is None or dest in {source, "base"}:
            continue
        if dest not in ALLOWED[source]:
            wrong.append(f"{module} ({source}) imports {target} ({dest})")
    assert not wrong, "\n".join(wrong)


def test_the_cache_does_not_know_the_backend_protocol() -> None:
    """Backends write the cache through the narrow SyncCache protocol (backend.py); the
    record of offline actions is replayed onto a backend by account/replay.py, so the store
    needs neither (the cycle store -> pending -> backend -> store is gone for good)."""
    wrong = [
        f"{module} imports {target}"
        for module, target in edges("tui_mail.core.store")
        if target == "tui_mail.core.backend"
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles_in_core() -> None:
    """Tarjan's strongly connected components over every import between core modules."""
    core = sorted(m for m in modules() if m.startswith("tui_mail.core"))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(imports(node)):
            if target not in core or target == node:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in core:
        if module not in index:
            visit(module)
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


def test_no_module_grows_past_500_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > 500
    }
    assert long == {}
