"""The UI's rules, read from its source (tui_mail/ui/__init__.py states them).

Background work reaches the UI one way only: no `call_from_thread`, and workers
(`@work`, `run_worker`) are started only by widgets and screens, on themselves. The UI
reaches the cache only through AccountService: no `.store` attribute, no import of
`tui_mail.core.store`. The main screen's helpers (ui/main) hold no screen: only screen.py
(and the app) name MainScreen, and no helper anywhere in the UI keeps a screen in an
attribute; and no code in ui/main sets another object's attributes (a widget changes its
own, through its methods).
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


# -- the main screen's helpers hold no screen; widgets own their attributes -------------

MAIN = UI / "main"

ALLOWED_ASSIGNMENTS = {
    # The service's callback hooks (an AccountService, not a widget): AccountSync routes
    # them to the screen as posted messages.
    ("tui_mail.ui.main.account_sync", "service.on_event"),
    ("tui_mail.ui.main.account_sync", "service.notifier.bell"),
    # The line between two panes exists to resize the pane before it: Textual's inline
    # styles of its target are what it sets.
    ("tui_mail.ui.main.splitter", "self.target.styles.height"),
    ("tui_mail.ui.main.splitter", "self.target.styles.max_width"),
    ("tui_mail.ui.main.splitter", "self.target.styles.width"),
}
"""Assignments to another object's attribute that the rule below lets through, and why."""


SCREEN_NAMES = {"screen", "main_screen", "main", "owner", "host"}
"""Names under which a helper would keep the screen (`self._screen = screen`)."""


def _root_and_depth(target: ast.Attribute) -> tuple[str | None, int]:
    """`self.a.b` -> ("self", 2); `screen.messages.x` -> ("screen", 2)."""
    depth, node = 0, target
    while isinstance(node, ast.Attribute):
        depth, node = depth + 1, node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return None, depth  # self.query_one(...).x: another widget, looked up
    return (node.id if isinstance(node, ast.Name) else None), depth


def _assigned(node: ast.AST) -> list[ast.Attribute]:
    if isinstance(node, ast.Assign):
        targets = [
            t
            for target in node.targets
            for t in (target.elts if isinstance(target, ast.Tuple | ast.List) else [target])
        ]
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    else:
        return []
    return [t for t in targets if isinstance(t, ast.Attribute)]


class _Owners(ast.NodeVisitor):
    """Each attribute assignment with the class it is made in (None: a function)."""

    def __init__(self) -> None:
        self.classes: list[str] = []
        self.found: list[tuple[str | None, ast.Attribute, ast.expr | None]] = []
        """(class or None, target, the value assigned when there is one)."""

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def generic_visit(self, node: ast.AST) -> None:
        owner = self.classes[-1] if self.classes else None
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        self.found += [(owner, target, value) for target in _assigned(node)]
        super().generic_visit(node)


def _is_widget(module_name: str, owner: str | None) -> bool:
    cls = getattr(importlib.import_module(module_name), owner, None) if owner else None
    return isinstance(cls, type) and issubclass(cls, Widget)


MAY_NAME_MAIN_SCREEN = {"tui_mail.ui.main.screen", "tui_mail.ui.app"}
"""The screen itself, and the app that shows it."""


def screen_references(modules: list[tuple[str, ast.Module]]) -> list[str]:
    """Where a module other than the screen's and the app's names MainScreen, or a class
    that is not a widget keeps a screen in an attribute."""
    wrong = []
    for name, tree in modules:
        if name in MAY_NAME_MAIN_SCREEN:
            continue
        for node in ast.walk(tree):
            named = (
                (isinstance(node, ast.Name) and node.id == "MainScreen")
                or (isinstance(node, ast.Attribute) and node.attr == "MainScreen")
                or (isinstance(node, ast.alias) and node.name == "MainScreen")
            )
            if named:
                wrong.append(f"{name}:{getattr(node, 'lineno', '?')} names MainScreen")
        owners = _Owners()
        owners.visit(tree)
        for owner, target, value in owners.found:
            root, depth = _root_and_depth(target)
            keeps_screen = (
                root == "self"
                and depth == 1
                and (
                    target.attr.lstrip("_") in SCREEN_NAMES
                    or (isinstance(value, ast.Name) and value.id in SCREEN_NAMES)
                )
            )
            if keeps_screen and not _is_widget(name, owner):
                wrong.append(
                    f"{name}:{target.lineno} {owner} keeps a screen: {ast.unparse(target)}"
                )
    return wrong


def foreign_assignments(modules: list[tuple[str, ast.Module]]) -> list[str]:
    """Where code sets an attribute of an object it does not own: a helper (not a widget)
    may set only its own (`self.x`); a widget may set its own and its local objects', not
    another widget's through an attribute of its own (`self.messages.cursor = 0`)."""
    wrong = []
    for name, tree in modules:
        owners = _Owners()
        owners.visit(tree)
        for owner, target, _value in owners.found:
            text = ast.unparse(target)
            if (name, text) in ALLOWED_ASSIGNMENTS:
                continue
            root, depth = _root_and_depth(target)
            if root == "self" and depth == 1:
                continue  # its own
            if _is_widget(name, owner) and (
                root not in ("self", None) or text.startswith("self.styles.")
            ):
                continue  # its own styles, or its own child or node held in a local name
            wrong.append(f"{name}:{target.lineno} {owner or 'a function'} sets {text}")
    return wrong


def test_the_main_screens_helpers_hold_no_screen() -> None:
    modules = _modules()
    assert len([m for m in modules if m[0].startswith("tui_mail.ui.main.")]) > 10
    assert screen_references(modules) == []


def test_no_code_in_ui_main_sets_another_objects_attributes() -> None:
    modules = _modules(MAIN)
    assert foreign_assignments(modules) == []
    # The scan does see assignments, and tells a helper's own from another object's.
    seen = [t for _, tree in modules for t in ast.walk(tree) if _assigned(t)]
    assert len(seen) > 50


def test_the_scans_catch_a_helper_that_holds_the_screen_or_sets_a_widget() -> None:
    helper = ast.parse(
        "from tui_mail.ui.main.screen import MainScreen\n"
        "class Helper:\n"
        "    def __init__(self, screen: MainScreen) -> None:\n"
        "        self.screen = screen\n"
        "    def show(self) -> None:\n"
        "        self.screen.messages.cursor = 0\n"
    )
    found = screen_references([("tests.unit.test_ui_rules", helper)])
    assert len(found) == 3  # the import, the annotation, the attribute
    assert foreign_assignments([("tests.unit.test_ui_rules", helper)]) == [
        "tests.unit.test_ui_rules:6 Helper sets self.screen.messages.cursor"
    ]
