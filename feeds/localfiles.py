"""Reading local files (cache, recordings, config) with limits.

A path given by a user or left in a cache folder may be anything: a FIFO that never answers,
/dev/zero that never ends, a 100 MB file. Every local read goes through `read_bounded`, which
opens without blocking, accepts only a regular file, and never reads more than a cap.
`read_bounded_off_loop` is the same read for a coroutine (and `run_off_loop` any such work,
as the cache's start-up read): in a thread of its own and under a deadline, so neither a slow
disk nor anything else in the file system holds the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

# The caps, stated in README ("Limits on local files").
CONFIG_MAX_BYTES = 1_000_000
# The largest answer any feed may have (the registry's `FeedDef.max_body_bytes`, checked on
# every way an answer comes in: HTTP, files, the cache, recordings, the bus): NASA's trajectory.
LARGEST_BODY_BYTES = 8_000_000
# The longest line (a recording's, the bus's) or cache file that holds one answer: written as
# UTF-8 JSON, a text body's escapes (newline, quote, backslash: two bytes) at most double it.
# A body of control characters could grow more: its line is then skipped on reading, said,
# like any line over the cap, and its cache file set aside.
ANSWER_LINE_MAX_BYTES = 2 * LARGEST_BODY_BYTES + 1_000_000
CACHE_MAX_BYTES = ANSWER_LINE_MAX_BYTES
RECORDING_MAX_BYTES = 256_000_000  # on disk, and again after decompression
# Every ISS element set since 1998 as OMM JSON is about 30 MB.
HISTORY_MAX_BYTES = 64_000_000


T = TypeVar("T")


class LocalFileError(Exception):
    """A local file cannot be used; the message is one line naming the file."""

    def __init__(self, what: str, path: Path, reason: str) -> None:
        super().__init__(f"{what} {path}: {reason}")
        self.reason = reason


def describe_os_error(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def open_regular(path: Path, what: str, max_bytes: int) -> int:
    """An fd open for reading on `path`, which must be a regular file of at most `max_bytes`.

    O_NONBLOCK so that opening a FIFO with no writer returns at once instead of hanging (it is
    then refused as not a regular file); the flag is cleared again for the actual reads. The
    path is looked at (stat) before it is opened too: opening a device can have effects of its
    own (a tape rewinds, a terminal becomes ours), so one is refused without being opened.
    """
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise LocalFileError(what, path, "cannot read: no such file") from None
    except OSError as exc:
        raise LocalFileError(what, path, f"cannot read: {describe_os_error(exc)}") from None
    if stat.S_ISDIR(before.st_mode):
        raise LocalFileError(what, path, "is a folder, not a file")
    if not stat.S_ISREG(before.st_mode):
        raise LocalFileError(what, path, f"not a regular file ({_kind(before.st_mode)})")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise LocalFileError(what, path, "cannot read: no such file") from None
    except IsADirectoryError:
        raise LocalFileError(what, path, "is a folder, not a file") from None
    except OSError as exc:
        raise LocalFileError(what, path, f"cannot read: {describe_os_error(exc)}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise LocalFileError(what, path, "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise LocalFileError(what, path, f"not a regular file ({_kind(info.st_mode)})")
        if info.st_size > max_bytes:
            raise LocalFileError(
                what, path, f"too large: {info.st_size:,} bytes, over the {max_bytes:,}-byte limit"
            )
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bounded(path: Path, what: str, max_bytes: int) -> bytes:
    """The whole content of a regular file of at most `max_bytes`, or `LocalFileError`.

    The size is checked before reading and again while reading (a file that grows while it
    is read is cut off at the cap and refused, never read without end).
    """
    fd = open_regular(path, what, max_bytes)
    try:
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise LocalFileError(what, path, f"cannot read: {describe_os_error(exc)}") from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise LocalFileError(what, path, f"too large: over the {max_bytes:,}-byte limit")
        return b"".join(chunks)
    finally:
        os.close(fd)


async def read_bounded_off_loop(path: Path, what: str, max_bytes: int, timeout_s: float) -> bytes:
    """`read_bounded` in a thread, for at most `timeout_s`: `LocalFileError`, or TimeoutError
    when the file system has not answered by then."""
    return await run_off_loop(lambda: read_bounded(path, what, max_bytes), what, timeout_s)


async def run_off_loop(work: Callable[[], T], what: str, timeout_s: float) -> T:
    """`work()` (file-system work, bounded in bytes) in a thread, for at most `timeout_s`:
    its result or its exception, or TimeoutError when it has not ended by then.

    A daemon thread of its own rather than the loop's executor: a read stuck in the kernel (a
    dead network mount) cannot be cancelled, and a stuck executor thread would hold the
    program's exit (asyncio.run waits for the executor); a daemon thread does not. The work
    itself is bounded in bytes, so a thread that outlives its deadline ends by itself.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: tuple[T] | BaseException) -> None:
        if future.done():  # the caller gave up (deadline, cancellation): nobody to tell
            return
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome[0])

    def run() -> None:
        outcome: tuple[T] | BaseException
        try:
            outcome = (work(),)
        except Exception as exc:  # handed to the caller, whatever it is
            outcome = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: the program is ending
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(target=run, name=f"read {what}", daemon=True).start()
    async with asyncio.timeout(timeout_s):
        return await future


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"
