"""Build the bundled ISSLIVE telemetry recording from real recorded values.

Input: `isslive_sample.json` (public NASA ISS telemetry, ISSLIVE, as recorded by the ISS-Mimic
project on 2018-10-12/13; see its `source` field). Output: an issdash recording of the
`telemetry` feed, `feeds/data/isslive-2018-10-13.jsonl.gz`, that `issdash --demo PATH`
replays with no network.

Each recorded sample becomes one update line, received at the UTC time of its own TimeStamp
(the real latency of a few seconds is not known, so none is added). Values and TimeStamps are
written as the server sends them, as strings. The items' status fields were not recorded, so
none is invented: without TIME_000001 the dashboard judges the signal from the age of the
newest value. The value each item held just before the window is sent at the window's start,
as a Lightstreamer MERGE snapshot would be. Only the items issdash subscribes to are kept.

    python scripts/build_isslive_sample.py [SAMPLE_JSON] [OUT]
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from issdash.feeds.isslive import ITEMS
from issdash.feeds.recording import Entry, RecordingWriter

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLE = ROOT.parent / "shared" / "reference" / "isslive_sample.json"
DEFAULT_OUT = ROOT / "feeds" / "data" / "isslive-2018-10-13.jsonl.gz"


def _value(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def build(sample_path: Path, out: Path) -> int:
    sample = json.loads(sample_path.read_text(encoding="utf-8"))
    epoch = datetime.fromisoformat(sample["recording"]["utc_epoch_of_t0"].replace("Z", "+00:00"))
    window = sample["window"]
    start = epoch + timedelta(hours=window["start_hours"])
    end = epoch + timedelta(hours=window["end_hours"])

    def at(hours: float) -> datetime:
        # To the millisecond, as recordings keep it.
        return epoch + timedelta(milliseconds=round(hours * 3_600_000))

    lines: list[tuple[datetime, str, dict[str, str | None]]] = []
    for item, data in sample["items"].items():
        if item not in ITEMS:
            continue
        before = data.get("last_before_window")
        if before:
            hours, value = before
            lines.append((start, item, {"Value": _value(value), "TimeStamp": repr(hours)}))
        for hours, value in data["samples"]:
            lines.append((at(hours), item, {"Value": _value(value), "TimeStamp": repr(hours)}))
    lines.sort(key=lambda line: line[0])
    writer = RecordingWriter(
        out,
        ["telemetry"],
        start.astimezone(UTC),
        "Public NASA ISS telemetry (ISSLIVE) recorded by the ISS-Mimic project "
        f"(ISS-Mimic/Mimic, Pi/RecordedData, commit 4e6e359), {start:%Y-%m-%d %H:%M}"
        f" to {end:%Y-%m-%d %H:%M} UTC, one sample per item per 10 s: the end of a yaw "
        "maneuver to +XVV, the port SARJ returning to autotrack. Built by "
        "scripts/build_isslive_sample.py.",
        title="ISSLIVE 2018-10-13 (NASA, via ISS-Mimic)",
    )
    for received_at, item, fields in lines:
        writer.write(Entry("telemetry", "", received_at, None, item=item, fields=fields))
    writer.close(end)
    return len(lines)


def main() -> None:
    sample = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SAMPLE
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUT
    count = build(sample, out)
    print(f"wrote {count} updates to {out} ({out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
