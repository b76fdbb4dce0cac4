"""Where feed bytes come from, chosen by URL scheme.

`http(s)://` goes through one shared `httpx.AsyncClient`; `file://` reads from disk. Both hand
the adapters the same `RawResponse`, so a live response, a file and (later) a recorded response
are parsed by exactly the same code.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
import socket
import sys
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import ParseResult, unquote, urljoin, urlparse

if TYPE_CHECKING:
    # httpx costs ~35 ms to import; a replay or a file never needs it, so it is imported
    # only when a network source is made.
    import httpx

from issdash.feeds.clock import Clock
from issdash.feeds.localfiles import LocalFileError, read_bounded_off_loop
from issdash.feeds.text import clean_text

USER_AGENT = "issdash/0.1 (terminal ISS dashboard; polite polling, cached)"
# A real ISS payload is a few kilobytes; anything near this is not what we asked for, and
# reading it all would let a misbehaving server fill memory. A feed may declare its own cap
# (`FeedDef.max_body_bytes`: NASA's trajectory is megabytes), never over the largest that a
# cache file or a recording's line holds (feeds/localfiles.py: LARGEST_BODY_BYTES).
DEFAULT_MAX_BODY_BYTES = 2_000_000
MAX_REDIRECTS = 5
# Names of the tasks requests run in (a leak check can leave requests in flight out).
FETCH_TASK_PREFIX = "http-fetch "
# How long after a request's own deadline the last-resort cancellation comes.
DEADLINE_GRACE_S = 1.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class RawResponse:
    """One answer from a source, before any parsing."""

    url: str
    status: int
    content_type: str
    body: str
    received_at: datetime
    # What identifies this answer to its server (HTTP ETag and Last-Modified), to ask next
    # time only for a changed one; and whether it is that earlier answer again (a 304).
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


class FeedError(Exception):
    """A fetch or parse failed. `reason` is short and fit to show on screen."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after_s: float | None = None,
        status: int | None = None,
        answered: bool | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s
        self.status = status
        # Whether the upstream answered (sent a status line) before this failed: only an
        # answer counts against its polite spacing (issdash.feeds.poller.RateGate), and an
        # answer after an outage says the network is back. A refused connection, a host with
        # no DNS answer or a request that never got its headers did not reach it.
        self.answered = status is not None if answered is None else answered


class Source(Protocol):
    async def fetch(self, url: str, timeout_s: float) -> RawResponse: ...


class HttpSource:
    """HTTP(S) through one shared client: one connection pool, one User-Agent, and bounds on
    everything one answer can cost.

    - One deadline covers connect, headers, redirects and the whole body, so a body that drips
      or never ends stops at the deadline.
    - The size cap counts the bytes after decoding. httpx would inflate each wire chunk in one
      zlib call with no output limit (a few KB of `gzip` can become gigabytes in one call), so
      the raw bytes are read and inflated here, a bounded piece at a time. One layer of
      `gzip` or `deflate` is accepted; stacked layers and any other coding are refused.
    - Text is decoded only as UTF-8 (ASCII and Latin-1 are accepted as declared): a charset
      with a slow or exotic codec is an error, never seconds of decoding on the event loop.
    - Redirects are followed by hand, only to the same scheme, host and port.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        clock: Clock,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        validators: Validators | None = None,
    ) -> None:
        self._client = client
        self._clock = clock
        self._max_body_bytes = max_body_bytes
        self._max_redirects = max_redirects
        self._validators = validators

    async def fetch(self, url: str, timeout_s: float) -> RawResponse:
        import httpx

        progress = _Progress()
        try:
            # One deadline covers every redirect hop, connect, headers and the whole body. It
            # is enforced by httpx's own timeouts (each phase gets the time left) and a check
            # after every chunk, not by cancelling httpx: a request cancelled from outside
            # can leave its connection counted in the pool for good, and after eight of them
            # (an endless body a few times) every feed would time out forever. The outer
            # timeout, a little later, only backs this up.
            #
            # For the same reason the request runs in a task of its own that a caller's
            # cancellation (a poller stopped mid-request) does not reach: it ends by its own
            # deadline and hands its connection back to the pool.
            inner = asyncio.get_running_loop().create_task(
                self._fetch(url, timeout_s, progress), name=f"{FETCH_TASK_PREFIX}{url}"
            )
            inner.add_done_callback(_consume_outcome)
            async with asyncio.timeout(timeout_s + DEADLINE_GRACE_S):
                return await asyncio.shield(inner)
        except FeedError as exc:
            exc.answered = exc.answered or progress.answered
            raise
        except TimeoutError:
            raise FeedError(
                f"timed out after {timeout_s:g} s", answered=progress.answered
            ) from None
        except httpx.TimeoutException:
            raise FeedError(
                f"timed out after {timeout_s:g} s", answered=progress.answered
            ) from None
        except httpx.ConnectError as exc:
            raise FeedError(f"cannot connect: {_connect_reason(exc)}") from None
        except httpx.HTTPError as exc:
            raise FeedError(f"network error: {_short(exc)}", answered=progress.answered) from None
        except (ValueError, UnicodeError) as exc:
            # httpx refuses some malformed URLs and headers with plain ValueErrors.
            raise FeedError(f"bad answer: {_short(exc)}", answered=progress.answered) from None

    async def _fetch(self, url: str, timeout_s: float, progress: _Progress) -> RawResponse:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s

        def time_left() -> float:
            left = deadline - loop.time()
            if left <= 0:
                raise FeedError(f"timed out after {timeout_s:g} s")
            return left

        current = url
        validators = self._validators
        asked = validators.request_headers(url) if validators is not None else {}
        for _ in range(self._max_redirects + 1):
            async with self._client.stream(
                "GET", current, timeout=time_left(), follow_redirects=False, headers=asked
            ) as response:
                progress.answered = True
                status = response.status_code
                if status in REDIRECT_STATUSES:
                    current = redirect_target(current, response.headers.get("location"))
                    continue
                if status == 304 and asked and validators is not None and validators.last:
                    # Unchanged since the answer we hold: that answer again, fetched now (its
                    # data as old as it was). Never an empty body to parse.
                    return replace(
                        validators.last, received_at=self._clock.now(), not_modified=True
                    )
                if status >= 400:
                    raise FeedError(
                        f"HTTP {status} {clean_text(response.reason_phrase, 40)}".strip(),
                        retry_after_s=parse_retry_after(
                            response.headers.get("retry-after"), self._clock.now()
                        ),
                        status=status,
                    )
                if not 200 <= status < 300:
                    raise FeedError(
                        f"unexpected HTTP {status} {clean_text(response.reason_phrase, 40)}"
                    )
                content_type = response.headers.get("content-type", "")
                # Checked before reading a byte: a charset we will not decode, or a coding we
                # cannot bound, is refused without downloading the body.
                codec = text_codec(content_type)
                decoder = BoundedDecoder(
                    response.headers.get("content-encoding", ""), self._max_body_bytes
                )
                declared = response.headers.get("content-length")
                if (
                    decoder.identity
                    and declared
                    and declared.isdigit()
                    and int(declared) > self._max_body_bytes
                ):
                    raise FeedError(f"body too large ({int(declared)} bytes)")
                async for chunk in response.aiter_raw():
                    decoder.feed(chunk)
                    time_left()
                body = decoder.finish().decode(codec, errors="replace")
                raw = RawResponse(
                    url=url,
                    status=status,
                    content_type=clean_text(content_type, 120),
                    body=body,
                    received_at=self._clock.now(),
                    etag=_validator(response.headers.get("etag")),
                    last_modified=_validator(response.headers.get("last-modified")),
                )
                if validators is not None:
                    validators.last = raw
                return raw
        raise FeedError("too many redirects")


class Validators:
    """One feed's last answer over HTTP, whose ETag and Last-Modified make the next request
    conditional (If-None-Match, If-Modified-Since): a server with nothing new answers 304 and
    sends no body. Seeded from the cache at start, so the validators outlive a restart."""

    def __init__(self) -> None:
        self.last: RawResponse | None = None

    def request_headers(self, url: str) -> dict[str, str]:
        last = self.last
        if last is None or last.url != url:  # another URL: nothing of it is held
            return {}
        headers = {}
        if last.etag:
            headers["If-None-Match"] = last.etag
        if last.last_modified:
            headers["If-Modified-Since"] = last.last_modified
        return headers


def _validator(value: str | None) -> str | None:
    """A header's validator as sent back: printable ASCII only, bounded, or None."""
    if not value or len(value) > 200 or not all(32 <= ord(c) < 127 for c in value):
        return None
    return value


class _Progress:
    """How far one request got, for saying whether the upstream answered when it fails."""

    answered = False


def _consume_outcome(task: asyncio.Future[RawResponse]) -> None:
    # Nobody may be waiting any more (the caller was cancelled): the outcome is read here so
    # asyncio does not report it as never retrieved.
    if not task.cancelled():
        task.exception()


def redirect_target(current: str, location: str | None) -> str:
    """Where a redirect leads, if it stays on the same scheme, host and port; else
    `FeedError` saying where it wanted to go."""
    if not location:
        raise FeedError("redirect without a Location")
    target = urljoin(current, location.strip())
    here, there = urlparse(current), urlparse(target)
    try:
        same = (
            there.scheme.lower() == here.scheme.lower()
            and (there.hostname or "") == (here.hostname or "")
            and _port(there) == _port(here)
        )
    except ValueError:  # a port that is not a number
        same = False
    if not same:
        shown = clean_text(f"{there.scheme}://{there.netloc}", 60)
        raise FeedError(f"redirect to another site refused ({shown})")
    return target


def _port(url: ParseResult) -> int | None:
    return url.port or {"http": 80, "https": 443}.get(url.scheme.lower())


def text_codec(content_type: str) -> str:
    """The codec for a body of this Content-Type: UTF-8 unless ASCII or Latin-1 is declared;
    any other declared charset is refused."""
    match = _CHARSET.search(content_type)
    if match is None:
        return "utf-8"
    declared = match.group(1).strip().strip("\"'").lower()
    codec = _CODECS.get(declared)
    if codec is None:
        raise FeedError(f"unsupported charset {clean_text(declared, 30)!r} (only UTF-8)")
    return codec


_CHARSET = re.compile(r";\s*charset\s*=\s*([^;]*)", re.IGNORECASE)
# Names as they appear in Content-Type, to the codec used. Decoding stays a C fast path.
_CODECS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "us-ascii": "utf-8",  # ASCII is UTF-8; decoding as UTF-8 accepts the same bytes
    "ascii": "utf-8",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "latin-1": "latin-1",
    "latin1": "latin-1",
}


class BoundedDecoder:
    """Undoes at most one content coding (gzip or deflate), never producing more than
    `max_bytes` of output, and never more than `STEP_BYTES` in one zlib call, so neither
    memory nor the time of one call depends on how well the input compresses."""

    STEP_BYTES = 65_536

    def __init__(self, content_encoding: str, max_bytes: int) -> None:
        codings = [
            c.strip().lower()
            for c in content_encoding.split(",")
            if c.strip() and c.strip().lower() != "identity"
        ]
        if len(codings) > 1:
            raise FeedError(
                f"stacked content encodings refused ({clean_text(', '.join(codings), 40)})"
            )
        self.coding = codings[0] if codings else "identity"
        if self.coding in ("gzip", "x-gzip"):
            self._zlib: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            # "deflate" is meant to be zlib-wrapped, but some servers send it raw: which one
            # is decided by the first bytes (see `_start_deflate`).
            self._zlib = None
        elif self.coding == "identity":
            self._zlib = None
        else:
            raise FeedError(f"unsupported content encoding {clean_text(self.coding, 30)!r}")
        self._max = max_bytes
        self._wire = 0
        self._size = 0
        self._parts: list[bytes] = []
        self._pending = b""  # deflate: the first bytes, until the wrapping is known

    @property
    def identity(self) -> bool:
        return self.coding == "identity"

    def feed(self, data: bytes) -> None:
        self._wire += len(data)
        if self._wire > self._max:
            raise FeedError(f"body too large (over {self._max} bytes)")
        if self.identity:
            self._keep(data)
            return
        if self._zlib is None:
            self._pending += data
            if len(self._pending) < 2:
                return
            data, self._pending = self._pending, b""
            self._zlib = _deflate_decompressor(data)
        self._inflate(data)

    def _inflate(self, data: bytes) -> None:
        assert self._zlib is not None
        try:
            while data:
                if self._zlib.eof:
                    return  # trailing bytes after the compressed stream are ignored
                out = self._zlib.decompress(data, self.STEP_BYTES)
                self._keep(out)
                data = self._zlib.unconsumed_tail
        except zlib.error:
            raise FeedError(f"corrupt {self.coding} body") from None

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._max:
            raise FeedError(f"body too large (over {self._max} bytes once decoded)")
        if data:
            self._parts.append(data)

    def finish(self) -> bytes:
        if not self.identity:
            if self._zlib is None and self._pending:
                self._zlib = _deflate_decompressor(self._pending)
                self._inflate(self._pending)
            if self._zlib is not None and not self._zlib.eof:
                raise FeedError(f"truncated {self.coding} body")
        return b"".join(self._parts)


def _deflate_decompressor(first: bytes) -> zlib._Decompress:
    # A zlib header: CMF byte 0x?8 and (CMF*256 + FLG) divisible by 31.
    wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] * 256 + first[1]) % 31 == 0
    return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)


class FileSource:
    """`file://` URLs: the same adapters read a payload saved on disk.

    Through the same gate as every local read (feeds/localfiles.py) and with HTTP's cap: only
    a regular file (a FIFO, /dev/zero or a folder is refused, never opened for a read that
    blocks or never ends), at most `max_body_bytes`, read in a thread under the feed's
    timeout. Every refusal is a `FeedError` in words, shown like any feed failure.
    """

    def __init__(self, clock: Clock, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self._clock = clock
        self._max_body_bytes = max_body_bytes

    async def fetch(self, url: str, timeout_s: float) -> RawResponse:
        path = file_url_path(url)
        shown = clean_text(str(path), 120)
        try:
            data = await read_bounded_off_loop(path, "file", self._max_body_bytes, timeout_s)
        except LocalFileError as exc:
            raise FeedError(f"file {shown}: {exc.reason}") from None
        except TimeoutError:
            raise FeedError(f"file {shown}: timed out after {timeout_s:g} s") from None
        body = data.decode("utf-8", errors="replace")
        content_type = "application/json" if path.suffix == ".json" else "text/plain"
        return RawResponse(url, 200, content_type, body, self._clock.now())


def body_size_problem(body: str, max_bytes: int) -> str | None:
    """ "body too large (N bytes)" when `body` is over `max_bytes` as UTF-8, else None."""
    if len(body) * 4 <= max_bytes:  # no text of this many characters can be over
        return None
    size = len(body) if len(body) > max_bytes else len(body.encode("utf-8", errors="replace"))
    return f"body too large ({size} bytes)" if size > max_bytes else None


class BoundedSource:
    """Another source's answers held to a feed's body cap: for sources that read no bytes of
    their own (a replay hands back what a recording holds, whatever cap it was made under)."""

    def __init__(self, inner: Source, max_body_bytes: int) -> None:
        self._inner = inner
        self._max_body_bytes = max_body_bytes

    async def fetch(self, url: str, timeout_s: float) -> RawResponse:
        raw = await self._inner.fetch(url, timeout_s)
        if (problem := body_size_problem(raw.body, self._max_body_bytes)) is not None:
            raise FeedError(problem)
        return raw


class SourceRouter:
    """Picks the source for a URL by its scheme."""

    def __init__(self, http: Source | None, file: Source, replay: Source | None = None) -> None:
        self._http = http
        self._file = file
        self._replay = replay

    async def fetch(self, url: str, timeout_s: float) -> RawResponse:
        scheme = urlparse(url).scheme.lower()
        if scheme == "file":
            return await self._file.fetch(url, timeout_s)
        if scheme == "replay":
            if self._replay is None:
                raise FeedError("no recording is loaded")
            return await self._replay.fetch(url, timeout_s)
        if scheme in ("http", "https"):
            if self._http is None:
                raise FeedError("network sources are off in this mode")
            return await self._http.fetch(url, timeout_s)
        raise FeedError(f"unsupported URL scheme {scheme or '(none)'!r}")


def make_http_client(max_connections: int = 8) -> httpx.AsyncClient:
    """The one HTTP client the whole program shares."""
    # httpx imports its own command-line client (click, rich.syntax, pygments: half of its
    # import time) whenever those happen to be installed; nothing here runs it. A None in
    # sys.modules makes that one import fail, and httpx then defines a stub `main` instead.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    import httpx

    return httpx.AsyncClient(
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/json, text/plain;q=0.9",
            # Only what BoundedDecoder can undo with bounded output.
            "Accept-Encoding": "gzip, deflate",
        },
        # Redirects are followed by HttpSource itself, only within the same site.
        follow_redirects=False,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=4),
    )


def file_url_path(url: str) -> Path:
    parsed = urlparse(url)
    return Path(unquote(parsed.netloc + parsed.path) if parsed.netloc else unquote(parsed.path))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _connect_reason(exc: BaseException) -> str:
    """Say what lies beneath httpx's "All connection attempts failed"."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "no DNS answer for the host"
        seen = seen.__cause__ or seen.__context__
    return _short(exc)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "…"
