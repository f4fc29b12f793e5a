"""The UI's rules, read from its source (tui_mail/ui/__init__.py states them).

Background work reaches the UI one way only: no `call_from_thread`, and workers
(`@work`, `run_worker`) are started only by widgets and screens, on themselves. The UI
reaches the cache only through AccountService: no `.store` attribute, no import of
`tui_mail.core.store`.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from textual.app import App
from textual.widget import Widget

import tui_mail.cli
import tui_mail.ui

UI = Path(tui_mail.ui.__file__).parent
CLI = Path(tui_mail.cli.__file__).parent


def _modules(package: Path = UI) -> list[tuple[str, ast.Module]]:
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(UI.parent.parent).with_suffix("")
        name = ".".join(relative.parts).removesuffix(".__init__")
        found.append((name, ast.parse(path.read_text(encoding="utf-8"), str(path))))
    return found


def _is_work(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "work") or (
        isinstance(target, ast.Attribute) and target.attr == "work"
    )


class _Workers(ast.NodeVisitor):
    """Where workers start: (class or None, what starts one, line)."""

    def __init__(self) -> None:
        self.classes: list[str] = []
        self.found: list[tuple[str | None, str, int]] = []
        self.foreign: list[int] = []
        """Lines that start a worker on another object (`self.screen.run_worker`)."""

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        owner = self.classes[-1] if self.classes else None
        if any(_is_work(d) for d in node.decorator_list):
            self.found.append((owner, f"@work {node.name}", node.lineno))
        self.generic_visit(node)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "run_worker":
            owner = self.classes[-1] if self.classes else None
            self.found.append((owner, "run_worker", node.lineno))
            if not (isinstance(func.value, ast.Name) and func.value.id == "self"):
                self.foreign.append(node.lineno)
        self.generic_visit(node)


def test_nothing_in_the_ui_calls_call_from_thread() -> None:
    calls = [
        f"{name}:{node.lineno}"
        for name, tree in _modules()
        for node in ast.walk(tree)
        if (isinstance(node, ast.Attribute) and node.attr == "call_from_thread")
        or (isinstance(node, ast.Name) and node.id == "call_from_thread")
    ]
    assert calls == []


def test_only_widgets_and_screens_start_workers_and_only_on_themselves() -> None:
    starts = 0
    wrong: list[str] = []
    for name, tree in _modules():
        visitor = _Workers()
        visitor.visit(tree)
        wrong += [f"{name}:{line} starts a worker on another object" for line in visitor.foreign]
        module = importlib.import_module(name)
        for owner, what, line in visitor.found:
            starts += 1
            cls = getattr(module, owner, None) if owner else None
            if not (isinstance(cls, type) and issubclass(cls, (Widget, App))):
                wrong.append(f"{name}:{line} {what} in {owner or 'a function'}, not a widget")
    assert wrong == []
    assert starts > 10  # the scan does see the UI's workers


def test_the_ui_reaches_the_cache_only_through_the_service() -> None:
    wrong = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "store":
                wrong.append(f"{name}:{node.lineno} .store")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "tui_mail.core.store"
            ):
                wrong.append(f"{name}:{node.lineno} imports {node.module}")
            elif isinstance(node, ast.Import):
                wrong += [
                    f"{name}:{node.lineno} imports {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("tui_mail.core.store")
                ]
    assert wrong == []


def test_the_cli_does_not_reach_through_the_service_to_its_store() -> None:
    wrong = [
        f"{name}:{node.lineno}"
        for name, tree in _modules(CLI)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "store"
    ]
    assert wrong == []
