"""Fixtures for a test module that runs each of its tests on the plain server and on one
that compresses (COMPRESS=DEFLATE): `from tests.support.both_wires import dovecot, wire`."""

from __future__ import annotations

import pytest

from tests.support.dovecot import DovecotServer


@pytest.fixture(params=["plain", "deflate"])
def wire(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dovecot(request: pytest.FixtureRequest, wire: str, dovecot: DovecotServer) -> DovecotServer:
    """The module's `dovecot`, on each wire. (The parameter has a name of its own: on
    `dovecot` itself pytest would start the session's server anew for each value.)"""
    if wire == "plain":
        return dovecot
    server: DovecotServer = request.getfixturevalue("dovecot_deflate")
    return server
