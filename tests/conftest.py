"""Suite-wide fixtures: real Dovecot servers (see tests/support/dovecot.py).

* ``dovecot`` (session): one started server shared by the whole run.
* ``dovecot_factory`` (session): ``dovecot_factory(ssl=False)``, ``dovecot_factory(
  capabilities="...")``, ...: a *new* started server per call, all stopped at the end.
* ``mail_user`` (function): a fresh user on ``dovecot``, so tests never share mailboxes.
* ``ada_keyring`` (function): a GnuPG home with Ada's key, GNUPGHOME set to it (other
  keyrings: ``keyring_with`` in tests/support/gnupg_keys.py).

Config, certificates and logs live under pytest's tmp dir (``dovecot-<name>N/dovecot.log``);
the users' maildirs go to tmpfs when there is one (``tmpfs_dir``), because creating
files on the VM's disk is slow and erratic.

A missing or broken Dovecot fails these fixtures loudly; it never skips.  Tests under
tests/integration get the ``integration`` marker automatically.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    # tests/ is not a package, so pytest puts tests/ (not the repository root) on
    # sys.path; the harness is imported as tests.support.dovecot everywhere, benchmarks too.
    sys.path.insert(0, str(_ROOT))

from tests.support.dovecot import (  # noqa: E402
    DovecotFactory,
    DovecotServer,
    MailUser,
    tmpfs_dir,
)
from tests.support.gnupg_keys import ADA, Keyring, keyring_with  # noqa: E402
from tests.support.smtp import SmtpServer, new_ca  # noqa: E402

_INTEGRATION_DIR = Path(__file__).resolve().parent / "integration"


# -- the run's own HOME: a test run never touches the user's config, data or cache --------

_PRIVATE_DIRS = {
    "HOME": "home",
    "XDG_CONFIG_HOME": "config",
    "XDG_DATA_HOME": "data",
    "XDG_CACHE_HOME": "cache",
    "XDG_STATE_HOME": "state",
    "XDG_RUNTIME_DIR": "runtime",
}
_WATCHED = pytest.StashKey[dict[Path, dict[str, tuple[int, int]] | None]]()


def _listing(root: Path) -> dict[str, tuple[int, int]] | None:
    """Every path under `root` with its mtime and size; None if `root` does not exist."""
    if not root.is_dir():
        return None
    found: dict[str, tuple[int, int]] = {}
    for directory, names, files in os.walk(root):
        for name in [*names, *files, ""]:
            path = Path(directory, name)
            with contextlib.suppress(OSError):
                info = path.lstat()
                found[str(path.relative_to(root))] = (info.st_mtime_ns, info.st_size)
    return found


@pytest.hookimpl(trylast=True)  # after pytest's tmp_path set-up, before any test runs
def pytest_configure(config: pytest.Config) -> None:
    import platformdirs  # noqa: PLC0415

    real = [
        platformdirs.user_data_path("tui-mail", appauthor=False),
        platformdirs.user_config_path("tui-mail", appauthor=False),
        platformdirs.user_cache_path("tui-mail", appauthor=False),
        platformdirs.user_state_path("tui-mail", appauthor=False),
    ]
    config.stash[_WATCHED] = {path: _listing(path) for path in real}
    base = config._tmp_path_factory.mktemp("user", numbered=False)  # type: ignore[attr-defined]
    for variable, name in _PRIVATE_DIRS.items():
        (base / name).mkdir(mode=0o700)
        os.environ[variable] = str(base / name)
    for variable in ("TUI_MAIL_CONFIG", "TUI_MAIL_DATA_DIR"):  # a developer's own overrides
        os.environ.pop(variable, None)
    # Not the user's keyring either (a desktop's Secret Service): tests that store secrets
    # choose a backend of their own (FileKeyring), as a headless CI machine's default is.
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


def pytest_sessionfinish(session: pytest.Session) -> None:
    watched = session.config.stash.get(_WATCHED, {})
    strays: list[str] = []
    for root, before in watched.items():
        after = _listing(root)
        if after == before:
            continue
        old, new = before or {}, after or {}
        strays += [
            f"{root / name}  ({'new' if name not in old else 'changed'})"
            for name in sorted(new)
            if new[name] != old.get(name)
        ]
        strays += [f"{root / name}  (removed)" for name in sorted(set(old) - set(new))]
    if strays:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        text = "\n".join(["The tests wrote into the user's own directories:", *strays])
        if reporter is not None:
            reporter.write_sep("=", "files written outside the run's HOME", red=True)
            reporter.write_line(text)
        else:
            print(text, file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    long_faults = bool(os.environ.get("TUI_MAIL_FAULTS_LONG"))
    for item in items:
        if item.path.is_relative_to(_INTEGRATION_DIR):
            item.add_marker(pytest.mark.integration)
        if "faults_long" in item.keywords and not long_faults:
            item.add_marker(pytest.mark.skip(reason="slow fault case: make test-faults-long"))


def _start(server: DovecotServer) -> DovecotServer:
    try:
        server.start()
    except Exception as exc:
        server.close()
        pytest.fail(f"Dovecot test server {server.name!r} failed to start:\n{exc}", pytrace=False)
    return server


@pytest.fixture(scope="session")
def _mail_scratch() -> Iterator[Path | None]:
    scratch = tmpfs_dir()
    yield scratch
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def _mail_root(scratch: Path | None, name: str) -> Path | None:
    return None if scratch is None else scratch / name


@pytest.fixture(scope="session")
def dovecot(
    tmp_path_factory: pytest.TempPathFactory, _mail_scratch: Path | None
) -> Iterator[DovecotServer]:
    server = DovecotServer(
        tmp_path_factory.mktemp("dovecot-main"),
        name="main",
        mail_root=_mail_root(_mail_scratch, "main"),
    )
    yield _start(server)
    server.close()


@pytest.fixture(scope="session")
def dovecot_factory(
    tmp_path_factory: pytest.TempPathFactory, _mail_scratch: Path | None
) -> Iterator[DovecotFactory]:
    servers: list[DovecotServer] = []

    def make(
        *,
        name: str | None = None,
        capabilities: str | None = None,
        ssl: bool = True,
        idle: bool = True,
        separator: str = "/",
        prefix: str = "",
        max_connections_per_user: int = 100,
        compress: bool = False,
    ) -> DovecotServer:
        name = name or f"extra{len(servers) + 1}"
        base_dir = tmp_path_factory.mktemp(f"dovecot-{name}")
        server = DovecotServer(
            base_dir,
            name=name,
            capabilities=capabilities,
            ssl=ssl,
            idle=idle,
            separator=separator,
            prefix=prefix,
            max_connections_per_user=max_connections_per_user,
            mail_root=_mail_root(_mail_scratch, base_dir.name),
            compress=compress,
        )
        servers.append(server)
        return _start(server)

    yield make
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def dovecot_deflate(
    tmp_path_factory: pytest.TempPathFactory, _mail_scratch: Path | None
) -> Iterator[DovecotServer]:
    """A server like ``dovecot`` that offers COMPRESS=DEFLATE (its imap_zlib plugin loaded),
    started on first use. A test file runs whole against both by overriding ``dovecot``
    with a parametrized fixture that returns one or the other (test_actions.py)."""
    server = DovecotServer(
        tmp_path_factory.mktemp("dovecot-deflate"),
        name="deflate",
        mail_root=_mail_root(_mail_scratch, "deflate"),
        compress=True,
    )
    yield _start(server)
    server.close()


@pytest.fixture
def mail_user(dovecot: DovecotServer) -> MailUser:
    return dovecot.add_user()


# -- a submission server (aiosmtpd, STARTTLS, AUTH) for the sending tests ------------------


@pytest.fixture(scope="module")
def smtp_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    """A CA of the SMTP test server's own; its PEM file is the second item (for ca_file)."""
    return new_ca(tmp_path_factory.mktemp("smtp-ca"))


@pytest.fixture
def smtp(smtp_ca: tuple[trustme.CA, Path], mail_user: MailUser) -> Iterator[SmtpServer]:
    """STARTTLS on a free loopback port, accepting the suite's mail user's login."""
    with SmtpServer(smtp_ca[0], "starttls", users={mail_user.name: mail_user.password}) as server:
        yield server


# -- OpenPGP ------------------------------------------------------------------------------


@pytest.fixture
def ada_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Keyring]:
    """A GnuPG home holding Ada's key pair, GNUPGHOME set to it: the gpg the app runs (and
    a CLI subprocess, which inherits it) is hers."""
    with keyring_with(tmp_path / "gnupg", ADA) as keys:
        monkeypatch.setenv("GNUPGHOME", str(keys.home))
        yield keys
