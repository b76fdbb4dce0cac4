"""Regenerate the SVG screenshots in screenshots/ (run by `make screenshots`).

The dashboard runs headless on the bundled demo data with the clock frozen at
2025-04-08 05:30 UTC and an observer in London, so the pictures are reproducible.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.dashboard import IssDashApp  # noqa: E402
from app.runtime import DEMO_START, Runtime, demo_settings  # noqa: E402
from app.settings import load_settings  # noqa: E402
from feeds.clock import FrozenClock  # noqa: E402

SHOTS: list[tuple[str, tuple[int, int], list[str]]] = [
    ("dashboard-120x40", (120, 40), []),
    ("dashboard-80x24", (80, 24), []),
    ("help-120x40", (120, 40), ["question_mark"]),
]


async def shoot(name: str, size: tuple[int, int], keys: list[str], out: Path) -> Path:
    settings = demo_settings(load_settings(observer="51.5074,-0.1278"))
    app = IssDashApp(Runtime(settings, FrozenClock(DEMO_START), mode="demo"))
    async with app.run_test(size=size) as pilot:
        for _ in range(250):  # the pass search runs in a thread; wait for it
            if app._passes is not None:
                break
            await pilot.pause(0.02)
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        path = out / f"{name}.svg"
        app.save_screenshot(str(path.name), path=str(out))
    return path


async def main() -> None:
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    for name, size, keys in SHOTS:
        print(await shoot(name, size, keys, out))


if __name__ == "__main__":
    asyncio.run(main())
