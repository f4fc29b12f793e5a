"""Suite-wide fixtures: real Dovecot servers (see tests/support/dovecot.py).

* ``dovecot`` (session): one started server shared by the whole run.
* ``dovecot_factory`` (session): ``dovecot_factory(ssl=False)``, ``dovecot_factory(
  capabilities="...")``, ...: a *new* started server per call, all stopped at the end.
* ``mail_user`` (function): a fresh user on ``dovecot``, so tests never share mailboxes.

Config, certificates and logs live under pytest's tmp dir (``dovecot-<name>N/dovecot.log``);
the users' maildirs go to tmpfs when there is one (``tmpfs_dir``), because creating
files on the VM's disk is slow and erratic.

A missing or broken Dovecot fails these fixtures loudly; it never skips.  Tests under
tests/integration get the ``integration`` marker automatically.
"""

from __future__ import annotations

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
from tests.support.smtp import SmtpServer, new_ca  # noqa: E402

_INTEGRATION_DIR = Path(__file__).resolve().parent / "integration"


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
        max_connections_per_user: int = 100,
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
            max_connections_per_user=max_connections_per_user,
            mail_root=_mail_root(_mail_scratch, base_dir.name),
        )
        servers.append(server)
        return _start(server)

    yield make
    for server in servers:
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
