"""Seconds from the upstream's return to every feed ok (issue 24, case 8).

The dashboard's runtime (live mode, its real HTTP client and pollers, no screen) polls the
every feed at a local upstream that is down (nothing listens on its port: every connection
is refused, as for a machine offline) for `--outage-s`; then the upstream comes up on that
port (scripts/fixtures/faultserver.py, good answers) and the seconds until every feed's
health is "ok" are printed, with the requests each feed made during the outage.

    .venv/bin/python scripts/recovery_probe.py [--outage-s 120] [--budget-s 60] [--json]

Mission time is the fixture's day (2025-04-08) running at 1x, so the served elements are as
fresh as they were then. The URLs are on 127.0.0.1, which no rate-limited upstream's spacing
covers (Launch Library's 10 minutes between its feeds' answers and CelesTrak's 2 hours apply
to their own hosts, and hold after an outage too). Exit status 1 when over the budget.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from issdash.config.settings import ALL_FEEDS, FEED_NAMES, load_settings  # noqa: E402
from issdash.core.runtime import Runtime  # noqa: E402
from issdash.feeds.clock import ScaledClock  # noqa: E402
from scripts.fixtures.faultserver import START as FIXTURE_DAY  # noqa: E402
from scripts.fixtures.faultserver import FaultServer  # noqa: E402

BUDGET_S = 60.0
GIVE_UP_S = 600.0


@dataclass(frozen=True)
class Recovery:
    outage_s: float
    # Seconds from the upstream's return to each feed's first "ok", and to all of them.
    ok_after_s: dict[str, float | None]
    all_ok_after_s: float | None
    # Requests each feed made while the upstream was down.
    asked_while_down: dict[str, int]


def free_port() -> int:
    """A port nothing listens on (connections to it are refused until the upstream starts)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def measure(outage_s: float, give_up_s: float = GIVE_UP_S) -> Recovery:
    port = free_port()
    feeds: dict[str, dict[str, object]] = {
        name: {"url": f"http://127.0.0.1:{port}/{name}"} for name in FEED_NAMES
    }
    # The telemetry stream is not served by the fault server.
    feeds.update({name: {"enabled": False} for name in ALL_FEEDS if name not in FEED_NAMES})
    clock = ScaledClock(FIXTURE_DAY, 1.0)
    with tempfile.TemporaryDirectory(prefix="issdash-recovery-") as cache:
        settings = load_settings(cache_dir=Path(cache), feeds=feeds)
        runtime = Runtime(settings, clock, mode="live")
        runtime.load_fallbacks()
        runtime.start()
        try:
            await asyncio.sleep(outage_s)
            asked = {n: p.polls for n, p in runtime.pollers.items()}
            server = FaultServer(port=port, at=clock.now())
            server.start()
            back = time.monotonic()
            ok_after: dict[str, float | None] = dict.fromkeys(FEED_NAMES)
            try:
                while time.monotonic() - back < give_up_s:
                    now = clock.now()
                    for name, health in runtime.store.state.feeds.items():
                        waiting = name in ok_after and ok_after[name] is None
                        if waiting and health.state(now) == "ok":
                            ok_after[name] = round(time.monotonic() - back, 1)
                    if all(v is not None for v in ok_after.values()):
                        break
                    await asyncio.sleep(0.1)
            finally:
                server.stop()
        finally:
            await runtime.stop()
    done = [v for v in ok_after.values() if v is not None]
    return Recovery(
        outage_s=outage_s,
        ok_after_s=ok_after,
        all_ok_after_s=max(done) if len(done) == len(ok_after) else None,
        asked_while_down=asked,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage-s", type=float, default=120.0, help="how long it is down")
    parser.add_argument("--budget-s", type=float, default=BUDGET_S)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = asyncio.run(measure(args.outage_s))
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        print(f"upstream down for {result.outage_s:g} s, then back:")
        for name, seconds in result.ok_after_s.items():
            shown = "never" if seconds is None else f"{seconds:.1f} s"
            asked = result.asked_while_down.get(name, 0)
            print(f"  {name:<10} ok after {shown:>8}   ({asked} requests while down)")
        total = result.all_ok_after_s
        print(f"every feed ok {'never' if total is None else f'after {total:.1f} s'}")
    total = result.all_ok_after_s
    return 0 if total is not None and total <= args.budget_s else 1


if __name__ == "__main__":
    sys.exit(main())
