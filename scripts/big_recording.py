"""Make a large recording, the size a few-hour `issdash record` of the full telemetry
subscription reaches (issue 24, case 7), for measuring `status --demo FILE --at T`.

    python scripts/big_recording.py OUT [--mb 256]     # OUT ending in .gz: gzipped
    python scripts/big_recording.py --bench            # time and peak RSS of status on it

The file is written by the project's own `RecordingWriter` (so it is in the format `record`
writes), from the project's own fixtures: every ISSLIVE item the dashboard subscribes to
(`issdash.feeds.isslive.ITEMS`) updated every `--step-s` seconds with values that move, a
position fix every 30 s (`scripts.fixtures.ms27_payloads.wheretheiss`) and the MS-27 day's
element set every two hours, until the file is `--mb` megabytes (10^6 bytes) uncompressed.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
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


# The figures: `status --demo FILE --at T` on a 256 MB recording.
BUDGET_S = 5.0
BUDGET_RSS_MB = 150.0

# Runs one command and prints its wall time, CPU time and peak RSS (only that child's, so what
# ran before in the caller's process does not count).
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
elapsed = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
peak_mb, cpu_s = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
print(json.dumps({"s": elapsed, "cpu_s": cpu_s, "peak_mb": peak_mb, "code": done.returncode,
                  "stderr": done.stderr.decode(errors="replace")[-500:]}))
"""


def cached_recording(
    megabytes: float = 256.0, gz: bool = False, step_s: float = 10.0
) -> tuple[Path, datetime]:
    """The bench's recording, made once per machine (about a minute) in the temp folder;
    returns it and the time of its last entry."""
    folder = Path(tempfile.gettempdir()) / "issdash-bench"
    folder.mkdir(exist_ok=True)
    plain = folder / f"big-{megabytes:g}mb-{step_s:g}s.jsonl"
    meta = plain.with_suffix(".json")
    if not (plain.exists() and meta.exists()):
        _, last = write_big_recording(plain, megabytes, step_s)
        meta.write_text(json.dumps({"last": last.isoformat()}))
    last = datetime.fromisoformat(json.loads(meta.read_text())["last"])
    if not gz:
        return plain, last
    packed = plain.with_name(plain.name + ".gz")
    if not packed.exists():
        import gzip
        import shutil

        with plain.open("rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return packed, last


def measure_status(path: Path, at: datetime) -> dict[str, float]:
    """Wall seconds and peak RSS (MB) of `issdash status --json --demo PATH --at AT`."""
    command = [sys.executable, "-m", "issdash", "status", "--json", "--demo", str(path)]
    command += ["--at", at.strftime("%Y-%m-%dT%H:%M:%SZ")]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout)
    if figures["code"] not in (0, 3):  # 3: degraded (feeds the recording lacks), still an answer
        raise RuntimeError(f"status failed on {path}: {figures['stderr']}")
    return figures


def bench() -> list[tuple[str, float, float, float]]:
    """(what, CPU seconds, wall seconds, peak MB) for status at the middle and near the end of
    the 256 MB recording (every item every 10 s: four days), plain and gzipped, and of a
    dense one (every item every second: ten hours, 47 updates a second). The budget is
    checked on CPU time: the command is single-threaded, so on an idle machine its wall time
    is its CPU time (plus a little I/O), and on a busy one (CI, seven engineers on two cores)
    the wall time says more about the machine than the command; both are printed."""
    results = []
    for gz, step_s in ((False, 10.0), (True, 10.0), (False, 1.0)):
        path, last = cached_recording(gz=gz, step_s=step_s)
        middle = START + (last - START) / 2
        for name, at in (("middle", middle), ("end", last - timedelta(minutes=5))):
            figures = measure_status(path, at)
            kind = " gzipped" if gz else " dense" if step_s < 10 else ""
            label = f"status --demo 256 MB{kind} --at {name}"
            results.append((label, figures["cpu_s"], figures["s"], figures["peak_mb"]))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--mb", type=float, default=256.0, help="size in MB, uncompressed")
    parser.add_argument("--step-s", type=float, default=10.0, help="seconds between updates")
    parser.add_argument("--bench", action="store_true", help="measure status on 256 MB")
    args = parser.parse_args(argv)
    if args.bench:
        ok = True
        for label, cpu_s, wall_s, peak in bench():
            good = cpu_s <= BUDGET_S and peak <= BUDGET_RSS_MB
            ok &= good
            verdict = "PASS" if good else "FAIL"
            print(
                f"{label:<44} {cpu_s:5.2f} s CPU ({wall_s:5.2f} s wall) {peak:6.1f} MB  {verdict}"
            )
        return 0 if ok else 1
    if args.out is None:
        parser.error("OUT is needed (or --bench)")
    count, last = write_big_recording(args.out, args.mb, args.step_s)
    size = args.out.stat().st_size
    print(f"{args.out}: {count:,} entries, {START:%Y-%m-%dT%H:%MZ} to {last:%Y-%m-%dT%H:%MZ},")
    print(f"  {size:,} bytes on disk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
