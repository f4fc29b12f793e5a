"""A test run has its own HOME and XDG directories, and the app writes only where it is told.

tests/conftest.py points HOME and XDG_* at the run's basetemp and fails the session if
anything under the user's own tui-mail directories changed; these tests pin both halves.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
import pytest

from tests.support.dovecot import make_message
from tui_mail.config import AccountConfig, config_path, data_path
from tui_mail.core.account.service import AccountService


def test_the_run_has_its_own_home_and_xdg_directories(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base = tmp_path_factory.getbasetemp()
    for variable in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        assert Path(os.environ[variable]).is_relative_to(base), variable
    assert Path.home().is_relative_to(base)
    for path in (
        data_path(),
        config_path(),
        platformdirs.user_cache_path("tui-mail", appauthor=False),
        platformdirs.user_state_path("tui-mail", appauthor=False),
    ):
        assert path.is_relative_to(base), path
    runtime = Path(os.environ["XDG_RUNTIME_DIR"])
    assert runtime.is_relative_to(base) and runtime.stat().st_mode & 0o777 == 0o700


async def test_a_maildir_account_keeps_its_index_in_the_data_dir_it_was_given(
    tmp_path: Path,
) -> None:
    root = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "cur" / "1700000001.M1P1.host:2,S").write_bytes(make_message(1))
    account = AccountConfig(name="local", email="me@example.org", type="maildir", path=root)
    data_dir = tmp_path / "data"
    service = AccountService(account, data_dir)  # the backend the app itself would make
    try:
        await service.sync("INBOX")
    finally:
        await service.close()
    assert [p.name for p in (data_dir / "local").iterdir()] == ["local-25bf8e1a.sqlite3"]
    assert not (data_path() / "local").exists()  # not the user data directory
