"""Where feed bytes come from, chosen by URL scheme.

`http(s)://` goes through one shared `httpx.AsyncClient`; `file://` reads from disk. Both hand
the adapters the same `RawResponse`, so a live response, a file and (later) a recorded response
are parsed by exactly the same code.
"""

from __future__ import annotations

import asyncio
import email.utils
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    # httpx costs ~35 ms to import; a replay or a file never needs it, so it is imported
    # only when a network source is made.
    import httpx

from feeds.clock import Clock

USER_AGENT = "issdash/0.1 (terminal ISS dashboard; polite polling, cached)"
# A real ISS payload is a few kilobytes; anything near this is not what we asked for, and
# reading it all would let a misbehaving server fill memory.
DEFAULT_MAX_BODY_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class RawResponse:
    """One answer from a source, before any parsing."""

    url: str
    status: int
    content_type: str
    body: str
    received_at: datetime


class FeedError(Exception):
    """A fetch or parse failed. `reason` is short and fit to show on screen."""

    def __init__(
        self, reason: str, *, retry_after_s: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s
        self.status = status


class Source(Protocol):
    async def fetch(self, url: str, timeout_s: float) -> RawResponse: ...


class HttpSource:
    """HTTP(S) through one shared client: one connection pool, one User-Agent, a body cap."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        clock: Clock,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._client = client
        self._clock = clock
        self._max_body_bytes = max_body_bytes

    async def fetch(self, url: str, timeout_s: float) -> RawResponse:
        import httpx

        try:
            # The overall deadline also covers a body that drips in slower than any single
            # read timeout would notice.
            async with asyncio.timeout(timeout_s):
                return await self._fetch(url, timeout_s)
        except TimeoutError:
            raise FeedError(f"timed out after {timeout_s:g} s") from None
        except httpx.TimeoutException:
            raise FeedError(f"timed out after {timeout_s:g} s") from None
        except httpx.TooManyRedirects:
            raise FeedError("too many redirects") from None
        except httpx.ConnectError as exc:
            raise FeedError(f"cannot connect: {_connect_reason(exc)}") from None
        except httpx.HTTPError as exc:
            raise FeedError(f"network error: {_short(exc)}") from None

    async def _fetch(self, url: str, timeout_s: float) -> RawResponse:
        async with self._client.stream("GET", url, timeout=timeout_s) as response:
            if response.status_code >= 400:
                raise FeedError(
                    f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                    retry_after_s=parse_retry_after(
                        response.headers.get("retry-after"), self._clock.now()
                    ),
                    status=response.status_code,
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self._max_body_bytes:
                raise FeedError(f"body too large ({int(declared)} bytes)")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_body_bytes:
                    raise FeedError(f"body too large (over {self._max_body_bytes} bytes)")
                chunks.append(chunk)
            body = b"".join(chunks).decode(response.encoding or "utf-8", errors="replace")
            return RawResponse(
                url=url,
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=body,
                received_at=self._clock.now(),
            )


class FileSource:
    """`file://` URLs: the same adapters read a payload saved on disk."""

    def __init__(self, clock: Clock, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self._clock = clock
        self._max_body_bytes = max_body_bytes

    async def fetch(self, url: str, timeout_s: float) -> RawResponse:
        path = file_url_path(url)
        try:
            size = path.stat().st_size
            if size > self._max_body_bytes:
                raise FeedError(f"file too large ({size} bytes)")
            body = path.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            raise FeedError(f"no such file: {path}") from None
        except OSError as exc:
            raise FeedError(f"cannot read {path}: {exc.strerror or exc}") from None
        content_type = "application/json" if path.suffix == ".json" else "text/plain"
        return RawResponse(url, 200, content_type, body, self._clock.now())


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
    import httpx

    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept": "application/json, text/plain;q=0.9"},
        follow_redirects=True,
        max_redirects=5,
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
