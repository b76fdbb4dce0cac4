"""Shared test set-up: no internet, no user files, and a clean settings environment."""

from __future__ import annotations

import fcntl
import ipaddress
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Property tests check behaviour, not speed (`make bench` measures the budgets). Hypothesis'
# per-example deadline (200 ms) failed them at random on a loaded 2-core machine.
settings.register_profile("issdash", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("issdash")

# ISSDASH_TEST_MONOTONIC_NEAR_ZERO=1: this process's monotonic clock reads from about zero, as on
# a freshly booted host (a fresh CI machine), where code or tests that take a fixed reading such
# as 1000 s for "long ago" go wrong. Read here, at import (before any test), because the
# isolated_settings fixture below clears ISSDASH_* for each test; under pytest-xdist every
# worker imports this file, so each worker's clock starts near zero. Subprocesses the tests
# start keep the host's clock.
MONOTONIC_NEAR_ZERO = os.environ.get("ISSDASH_TEST_MONOTONIC_NEAR_ZERO") == "1"
if MONOTONIC_NEAR_ZERO:
    _host_monotonic, _host_monotonic_ns = time.monotonic, time.monotonic_ns
    _shift_ns = _host_monotonic_ns()

    def _monotonic_near_zero() -> float:
        return (_host_monotonic_ns() - _shift_ns) / 1e9

    def _monotonic_ns_near_zero() -> int:
        return _host_monotonic_ns() - _shift_ns

    time.monotonic = _monotonic_near_zero
    time.monotonic_ns = _monotonic_ns_near_zero

_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", None}


def _loopback_only(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is None or not ip.is_loopback:
            raise ConnectionRefusedError(f"tests may not reach {host}: loopback only")
    return _real_connect(self, address)


def _local_names_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if name not in _LOCAL_NAMES:
        raise socket.gaierror(socket.EAI_NONAME, f"tests may not resolve {name}: loopback only")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "own_gazetteer: the test's cache starts without the session's gazetteer index "
        "(tests of the index itself, which build their own)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow (real processes and servers, tens of seconds each) run first.

    `make test` spreads the suite over one worker per core. Started last, one 30-60 s test kept
    a worker busy long after the other had run out of work (a minute of the suite's time);
    started first, the short tests fill in around them. The sort is stable, so a module's tests
    keep their order (and share their module fixtures) as before.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to resolve or connect beyond 127.0.0.1 fails loudly instead of going out."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    monkeypatch.setattr(socket, "getaddrinfo", _local_names_only)


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No ISSDASH_* from the developer's shell, no config or cache from their home."""
    for key in list(os.environ):
        if key.startswith("ISSDASH_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("ISSDASH_CACHE_DIR", str(tmp_path / "issdash-cache"))
    # The telemetry stream is live by default; tests that want it point it at tests/lsserver.
    monkeypatch.setenv("ISSDASH_FEEDS__TELEMETRY__ENABLED", "false")
    # The terminal pytest runs in must not change what is drawn: the Linux console switches
    # to console glyphs, a web session to lettered flags (issdash.model.terminal.capabilities).
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    yield


# Below issdash.config nothing reads the gazetteer (the layers forbid it), and the house tests
# check the tree: their cache dirs stay as they were, empty.
_NO_PLACES = tuple(Path(__file__).parent / name for name in ("feeds", "model", "house"))


# Not ISSDASH_*: isolated_settings and offline_env drop those.
_SESSION_GAZETTEER_VAR = "TESTS_SESSION_GAZETTEER"


@pytest.fixture(scope="session")
def session_gazetteer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged gazetteer's index (app/config/gazetteer.py), built once for the whole run.

    Each test has its own cache dir, so every test that resolved a place in a fresh process
    built the index again (1.5-3 s of CPU each). Built here once, in a folder the pytest-xdist
    workers of this run share (under a lock: the first builds, the others open it), exactly as
    `issdash` builds it for a user (`open_gazetteer` of the packaged sources).
    """
    from issdash.config.gazetteer import Sources, open_gazetteer

    # A pytest run inside a test (tests/commands/test_first_run.py runs one) takes its
    # parent's index rather than building another.
    given = os.environ.get(_SESSION_GAZETTEER_VAR)
    if given and Path(given).is_file():
        return Path(given)
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "session-gazetteer"
    with (shared / "session-gazetteer.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        open_gazetteer(Sources.packaged(), folder).close()
    (index,) = folder.glob("gazetteer-*.sqlite3")
    os.environ[_SESSION_GAZETTEER_VAR] = str(index)
    return index


@pytest.fixture(autouse=True)
def gazetteer_in_cache(
    request: pytest.FixtureRequest, isolated_settings: None, tmp_path: Path
) -> Iterator[None]:
    """The session's gazetteer index in this test's cache dir, where the place look-up reads
    it (platformdirs' user cache under XDG_CACHE_HOME): a hard link, so no copy per test.

    Nothing writes an index in place (it is opened read-only; a rebuild writes a new file and
    renames it over the link), and the check after the test makes sure of that: the shared
    file is the same file, unchanged. The gazetteer's own tests (marked own_gazetteer) start
    without it and build their own.
    """
    no_places = any(request.path.is_relative_to(folder) for folder in _NO_PLACES)
    if no_places or request.node.get_closest_marker("own_gazetteer"):
        yield
        return
    index: Path = request.getfixturevalue("session_gazetteer")
    cache = tmp_path / "cache" / "issdash"
    cache.mkdir(parents=True, exist_ok=True)
    try:
        os.link(index, cache / index.name)
    except OSError:  # another file system: a copy, as the code would read either
        import shutil

        shutil.copyfile(index, cache / index.name)
    before = index.stat()
    yield
    after = index.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns), (
        f"a test changed the session's gazetteer index {index} in place"
    )
