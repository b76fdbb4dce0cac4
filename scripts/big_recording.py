"""Make a large recording, the size a few-hour `issdash record` of the full telemetry
subscription reaches (issue 24, case 7), for measuring `status --demo FILE --at T`.

    python scripts/big_recording.py OUT [--mb 256]     # OUT ending in .gz: gzipped

The file is written by the project's own `RecordingWriter` (so it is in the format `record`
writes), from the project's own fixtures: every ISSLIVE item the dashboard subscribes to
(`issdash.feeds.isslive.ITEMS`) updated every `--step-s` seconds with values that move, a
position fix every 30 s (`scripts.fixtures.ms27_payloads.wheretheiss`) and the MS-27 day's
element set every two hours, until the file is `--mb` megabytes (10^6 bytes) uncompressed.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from issdash.config.settings import Settings  # noqa: E402
from issdash.feeds.isslive import AOS_STATUS_CLASS, ITEMS  # noqa: E402
from issdash.feeds.recording import Entry, RecordingWriter  # noqa: E402
from scripts.fixtures.ms27_payloads import TLE_TEXT, wheretheiss  # noqa: E402

START = datetime(2025, 4, 8, 4, 30, tzinfo=UTC)


def _timestamp_hours(at: datetime) -> str:
    # ISSLIVE's TimeStamp: decimal hours since 00:00 UTC on 31 December of the year before.
    origin = datetime(at.year - 1, 12, 31, tzinfo=UTC)
    return repr((at - origin).total_seconds() / 3600)


def write_big_recording(
    out: Path, megabytes: float, step_s: float = 10.0, start: datetime = START
) -> tuple[int, datetime]:
    """Write the recording; returns (entries written, time of the last entry)."""
    urls = Settings().feeds
    tle_url = urls.tle.url.replace("FORMAT=JSON", "FORMAT=TLE")
    limit = int(megabytes * 1_000_000)
    writer = RecordingWriter(
        out,
        ["position", "telemetry", "tle"],
        start,
        f"synthetic {megabytes:g} MB recording (scripts/big_recording.py)",
        title="big recording",
        max_bytes=limit,
    )
    at = last = start
    tick = 0
    while writer.stopped is None:
        if tick % int(7200 / step_s) == 0:
            writer.write(Entry("tle", tle_url, at, 200, "text/plain", TLE_TEXT))
        if tick % max(1, int(30 / step_s)) == 0:
            phase = tick * step_s / 5560 * 2 * math.pi  # one orbit in about 92.7 min
            body = wheretheiss(at, 51.6 * math.sin(phase), (tick * step_s / 15.4) % 360 - 180)
            writer.write(Entry("position", urls.position.url, at, 200, "application/json", body))
        stamp = _timestamp_hours(at)
        for n, item in enumerate(ITEMS):
            value = f"{700 + 50 * math.sin(tick / 37 + n):.6f}"
            fields: dict[str, str | None] = {"Value": value, "TimeStamp": stamp}
            if item == "TIME_000001":  # the signal item: class 24 is acquisition (AOS)
                fields["Status.Class"] = AOS_STATUS_CLASS
            if not writer.write(Entry("telemetry", "", at, None, item=item, fields=fields)):
                break
            last = at
        tick += 1
        at += timedelta(seconds=step_s)
    writer.close(last)
    return writer.count, last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--mb", type=float, default=256.0, help="size in MB, uncompressed")
    parser.add_argument("--step-s", type=float, default=10.0, help="seconds between updates")
    args = parser.parse_args(argv)
    count, last = write_big_recording(args.out, args.mb, args.step_s)
    size = args.out.stat().st_size
    print(f"{args.out}: {count:,} entries, {START:%Y-%m-%dT%H:%MZ} to {last:%Y-%m-%dT%H:%MZ},")
    print(f"  {size:,} bytes on disk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
