"""Load the served dashboard in headless Chromium, wait for it, and take a PNG screenshot.

    python scripts/browser_check.py [--port 8123] [--out screenshots/browser.png]

Starts `issdash serve --demo` on 127.0.0.1, starts the system's Chromium headless (Debian's
`chromium`; installed with apt-get when absent and we are root), drives it over the DevTools
protocol (with aiohttp, which textual-serve already brings), and checks that the dashboard's
own text reached the page: the terminal is drawn on a canvas, so the check reads the text the
page received over its websocket. Used by the test suite and to refresh the README screenshot.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1400,900",
]


def find_or_install_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(
            "Chromium is not installed and cannot be installed here (need root and apt-get)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "chromium"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError("apt-get installed chromium but it is not on PATH")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout_s} s")


class DevTools:
    """The few DevTools-protocol calls this check needs."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._next = 0
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        msg_id = self._next
        await self.ws.send_json({"id": msg_id, "method": method, "params": params})
        while True:
            msg = await self.ws.receive_json(timeout=30)
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            self.events.append(msg)

    async def drain(self, seconds: float) -> None:
        """Collect events for `seconds` (a live page never goes quiet, so time-boxed)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.events.append(await self.ws.receive_json(timeout=left))
            except TimeoutError:
                return


def received_text(events: list[dict[str, Any]]) -> str:
    """All websocket payloads the page received, decoded as far as possible."""
    chunks = []
    for event in events:
        if event.get("method") != "Network.webSocketFrameReceived":
            continue
        response = event["params"]["response"]
        data = response.get("payloadData", "")
        if response.get("opcode") == 2:
            data = base64.b64decode(data).decode("utf-8", errors="replace")
        chunks.append(data)
    return "".join(chunks)


async def check(url: str, out: Path, expect: list[str], timeout_s: float = 40.0) -> str:
    chromium = find_or_install_chromium()
    # Chromium's helpers (crash handler, GPU, renderers) can still be writing to the profile
    # for a moment after the browser is gone: they are stopped with it (one process group),
    # and what they leave behind never fails the check.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 20
            while not port_file.exists() or not port_file.read_text().strip():
                if time.monotonic() > deadline:
                    raise TimeoutError("Chromium did not open its DevTools port")
                await asyncio.sleep(0.1)
            devtools_port = int(port_file.read_text().split()[0])
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{devtools_port}/json/list") as resp:
                    pages = [t for t in await resp.json() if t.get("type") == "page"]
                async with session.ws_connect(
                    pages[0]["webSocketDebuggerUrl"], max_msg_size=0
                ) as ws:
                    tools = DevTools(ws)
                    await tools.call("Network.enable")
                    await tools.call("Page.enable")
                    await tools.call("Page.navigate", url=url)
                    text = ""
                    deadline = time.monotonic() + timeout_s
                    while time.monotonic() < deadline:
                        await tools.drain(1.0)
                        text = received_text(tools.events)
                        if all(e in text for e in expect):
                            break
                    missing = [e for e in expect if e not in text]
                    if missing:
                        raise AssertionError(f"the page never received {missing}")
                    await tools.drain(3.0)  # let it paint
                    shot = await tools.call("Page.captureScreenshot", format="png")
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(base64.b64decode(shot["data"]))
                    return text
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)


def serve_demo(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "issdash",
            "serve",
            "--port",
            str(port),
            "--demo",
            "--start",
            "2025-04-08T08:00:00Z",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots" / "browser.png")
    args = parser.parse_args()
    port = args.port or free_port()
    server = serve_demo(port)
    try:
        wait_for_port(port, 30)
        asyncio.run(check(f"http://127.0.0.1:{port}/", args.out, ["ISSDASH", "Soyuz MS-27"]))
        print(json.dumps({"screenshot": str(args.out), "bytes": args.out.stat().st_size}))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
