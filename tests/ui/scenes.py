"""The scenes shown in screenshots/ and checked by the SVG snapshot tests: the demo mailbox,
a fixed clock and fixed keys, so every run draws the same picture."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tui_mail.core.demo import demo_config
from tui_mail.core.demo.messages import NOW
from tui_mail.ui.app import MailApp
from tui_mail.ui.main import message_list, status


@dataclass(frozen=True)
class Scene:
    name: str
    size: tuple[int, int]
    keys: tuple[str, ...] = ()
    theme: str | None = None
    description: str = ""
    screen: str = ""
    """The screen the keys end on (class name), when it is not the main one."""
    environment: tuple[tuple[str, str | None], ...] = ()
    """Variables the app starts with (None: unset): the terminal's colours, NO_COLOR."""


SCENES = (
    Scene("main", (120, 40), description="Folders, the message list and the reader"),
    Scene("main-80x24", (80, 24), description="The same at 80x24"),
    Scene("reader", (120, 40), ("j", "enter"), description="Reading a message"),
    Scene("help", (120, 40), ("question_mark",), description="Every key, as bound now"),
    Scene("light", (120, 40), ("enter",), theme="tui-mail-light", description="Light theme"),
    Scene("high-contrast", (120, 40), ("enter",), theme="tui-mail-high-contrast",
          description="High contrast (16 colours)"),
    Scene("threads", (80, 24), ("T",), description="Conversations as threads (T), at 80x24"),
    Scene("reader-80x24", (80, 24), ("j", "enter"), description="Reading a message at 80x24"),
    Scene("beside", (120, 40), ("enter", "w"), description="The reader beside the list (w)"),
    Scene("help-80x24", (80, 24), ("question_mark",), description="The help at 80x24"),
    Scene("light-80x24", (80, 24), ("j", "enter"), theme="tui-mail-light",
          description="Light theme at 80x24"),
    Scene("xterm-16", (80, 24), ("j", "enter"),
          environment=(("TERM", "xterm"), ("COLORTERM", None)),
          description="A 16-colour terminal (TERM=xterm)"),
    Scene("no-color", (80, 24), ("j", "enter"), environment=(("NO_COLOR", "1"),),
          description="NO_COLOR: the terminal's own colours"),
    Scene("compose", (120, 40), ("r",), screen="ComposeScreen",
          description="Replying (in the demo, sending only files the message in Sent)"),
    Scene("account-setup", (100, 50),
          ("A", *"ada@gmail.com", "tab", *"Ada", "space", *"Lovelace", "enter"),
          screen="AccountSetup",
          description="Adding an account: the Gmail preset found, OAuth2 offered"),
)  # fmt: skip


@contextmanager
def fixed_world(data_dir: Path) -> Iterator[None]:
    """UTC, the demo's 'now', and every file under `data_dir`."""
    saved = {k: os.environ.get(k) for k in ("TZ", "TUI_MAIL_DATA_DIR")}
    os.environ["TZ"] = "UTC"
    os.environ["TUI_MAIL_DATA_DIR"] = str(data_dir)
    time.tzset()
    clock = message_list.clock
    message_list.clock = NOW.timestamp
    # Status messages clear after a few seconds: a picture must not depend on how long
    # the machine took to get there.
    seconds = status.MESSAGE_SECONDS
    status.MESSAGE_SECONDS = 3600
    try:
        yield
    finally:
        message_list.clock = clock
        status.MESSAGE_SECONDS = seconds
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        time.tzset()


def scene_app(scene: Scene, data_dir: Path) -> MailApp:
    config = demo_config(data_dir)
    if scene.theme:
        config = replace(config, theme=scene.theme)
    # The app reads the terminal's colours and NO_COLOR once, when it is made; a
    # truecolor terminal unless the scene says otherwise, whatever runs the tests.
    environment = (("COLORTERM", "truecolor"), ("TERM", "xterm-256color"), *scene.environment)
    saved = {key: os.environ.get(key) for key, _ in environment}
    try:
        for key, value in environment:
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        return MailApp(config, data_dir=data_dir)
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


async def play(scene: Scene, pilot: Pilot[Any]) -> None:
    """Wait for the demo to load, then press the scene's keys and let it settle."""
    from tests.ui.conftest import settled  # noqa: PLC0415

    app = pilot.app
    assert isinstance(app, MailApp)
    await settled(pilot, app)
    for key in scene.keys:
        await pilot.press(key)
    if scene.screen:
        from tests.ui.conftest import wait_for  # noqa: PLC0415

        await wait_for(pilot, lambda: type(app.screen).__name__ == scene.screen)
        await wait_for(pilot, lambda: all(w.is_finished for w in app.screen.workers
                                          if w.group == "discovery"))  # fmt: skip
        await pilot.pause(0.2)
        return
    await settled(pilot, app) if not scene.keys or scene.keys[-1] != "question_mark" else None
    await pilot.pause(0.2)
