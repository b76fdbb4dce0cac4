"""`issdash serve` in a real headless browser (Debian's Chromium, installed when absent)."""

from __future__ import annotations

from pathlib import Path

from scripts.browser_check import check, free_port, serve_demo, wait_for_port


async def test_dashboard_in_headless_chromium(tmp_path: Path) -> None:
    port = free_port()
    server = serve_demo(port)
    try:
        wait_for_port(port, 30)
        png = tmp_path / "browser.png"
        text = await check(
            f"http://127.0.0.1:{port}/", png, ["ISSDASH", "REPLAY", "Soyuz MS-27", "Prichal"]
        )
        assert "Crew aboard the ISS" in text
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 50_000  # a drawn dashboard, not a blank page
    finally:
        server.terminate()
        server.wait(timeout=10)
