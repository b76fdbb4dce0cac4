"""`file://` feeds go through the gate every local read has (issue 24, case 1): only a regular
file is read, at most the feed's byte cap, in a thread under the feed's timeout; anything else
is a feed error in words. `/dev/zero` once grew `status` to 7.5 GB and a FIFO hung it."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issdash.feeds.clock import FrozenClock
from issdash.feeds.localfiles import LocalFileError, read_bounded_off_loop
from issdash.feeds.sources import FeedError, FileSource, RawResponse, SourceRouter

NOW = datetime(2025, 4, 8, 8, 0, tzinfo=UTC)
CAP = 1000
# A generous deadline for each fetch's whole answer: every case answers at once; this only
# turns a hang into a failure instead of a stuck suite.
HANG_S = 20.0

KINDS = (
    "regular",
    "empty",
    "at the cap",
    "too big",
    "folder",
    "fifo",
    "fifo with a writer",
    "socket",
    "/dev/zero",
    "/dev/null",
    "link to /dev/zero",
    "link to a fifo",
    "link to a folder",
    "dangling link",
    "missing",
    "unreadable",
    "inside a file",
)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """One of each kind of path, made once (hypothesis draws among them)."""
    root = tmp_path_factory.mktemp("kinds")
    paths = {kind: root / kind.replace(" ", "_").replace("/", "_") for kind in KINDS}
    paths["regular"].write_text('{"ok": true}')
    paths["empty"].write_bytes(b"")
    paths["at the cap"].write_bytes(b"x" * CAP)
    paths["too big"].write_bytes(b"x" * (CAP + 1))
    paths["folder"].mkdir()
    os.mkfifo(paths["fifo"])
    os.mkfifo(paths["fifo with a writer"])
    # A writer that never writes: with it, a blocking open would succeed and the read hang.
    reader = os.open(paths["fifo with a writer"], os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(paths["fifo with a writer"], os.O_WRONLY)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(paths["socket"]))
    paths["/dev/zero"] = Path("/dev/zero")
    paths["/dev/null"] = Path("/dev/null")
    paths["link to /dev/zero"].symlink_to("/dev/zero")
    paths["link to a fifo"].symlink_to(paths["fifo"])
    paths["link to a folder"].symlink_to(paths["folder"])
    paths["dangling link"].symlink_to(root / "nowhere")
    paths["unreadable"].write_text("{}")
    paths["unreadable"].chmod(0)
    paths["inside a file"] = paths["regular"] / "x.json"
    yield paths
    server.close()
    os.close(writer)
    os.close(reader)


EXPECTED = {
    "regular": '{"ok": true}',
    "empty": "",
    "at the cap": "x" * CAP,
    "too big": "too large: 1,001 bytes, over the 1,000-byte limit",
    "folder": "is a folder, not a file",
    "fifo": "not a regular file (a FIFO)",
    "fifo with a writer": "not a regular file (a FIFO)",
    "socket": "not a regular file (a socket)",
    "/dev/zero": "not a regular file (a character device)",
    "/dev/null": "not a regular file (a character device)",
    "link to /dev/zero": "not a regular file (a character device)",
    "link to a fifo": "not a regular file (a FIFO)",
    "link to a folder": "is a folder, not a file",
    "dangling link": "cannot read: no such file",
    "missing": "cannot read: no such file",
    "inside a file": "cannot read: Not a directory",
}


def fetch(url: str, cap: int = CAP, timeout_s: float = 2.0) -> RawResponse | FeedError:
    """The answer to one fetch: the response, or the FeedError it raised (anything else
    escapes and fails the test)."""
    source = SourceRouter(None, FileSource(FrozenClock(NOW), max_body_bytes=cap))

    async def run() -> RawResponse | FeedError:
        try:
            async with asyncio.timeout(HANG_S):
                return await source.fetch(url, timeout_s)
        except FeedError as exc:
            return exc

    return asyncio.run(run())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=st.sampled_from(KINDS), quoted=st.booleans())
def test_any_file_behind_a_file_url_is_data_or_a_feed_error(
    place: dict[str, Path], kind: str, quoted: bool
) -> None:
    path = place[kind]
    url = path.as_uri() if quoted else f"file://{path}"
    answer = fetch(url)
    if kind == "unreadable":
        # Root reads it anyway; anyone else is refused in words.
        assert isinstance(answer, RawResponse) or "Permission denied" in answer.reason
        return
    expected = EXPECTED[kind]
    if isinstance(answer, FeedError):
        assert answer.reason == f"file {path}: {expected}"
    else:
        assert answer.body == expected
        assert answer.received_at == NOW


def test_dev_zero_with_the_default_cap_is_refused_without_reading() -> None:
    answer = fetch("file:///dev/zero", cap=2_000_000)
    assert isinstance(answer, FeedError)
    assert answer.reason == "file /dev/zero: not a regular file (a character device)"


def test_a_read_that_does_not_answer_in_time_is_a_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file system that does not answer (a dead network mount) stands in as a read that
    # waits on an event; the fetch gives up at its timeout and the thread ends later.
    release = threading.Event()

    def stuck(path: Path, what: str, max_bytes: int) -> bytes:
        release.wait(HANG_S)
        return b"late"

    monkeypatch.setattr("issdash.feeds.localfiles.read_bounded", stuck)
    path = tmp_path / "slow.json"
    path.write_text("{}")
    answer = fetch(path.as_uri(), timeout_s=0.05)
    release.set()
    assert isinstance(answer, FeedError)
    assert answer.reason == f"file {path}: timed out after 0.05 s"


def test_off_loop_read_raises_the_gate_error(tmp_path: Path) -> None:
    with pytest.raises(LocalFileError, match="not a regular file \\(a character device\\)"):
        asyncio.run(read_bounded_off_loop(Path("/dev/zero"), "file", 10, 2.0))
    (tmp_path / "a").write_bytes(b"abc")
    assert asyncio.run(read_bounded_off_loop(tmp_path / "a", "file", 10, 2.0)) == b"abc"
