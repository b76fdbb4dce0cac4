"""The flags' values (issdash.commands.arguments): one reader for every number, each flag's
own words kept exactly (README "Exit statuses" quotes some), and the observer's zone looked
up only by the commands that show pass times."""

from __future__ import annotations

import argparse
import json
import math

import pytest

import issdash.config.place as place
from issdash.commands.arguments import number_flag
from issdash.commands.cli import main
from issdash.feeds.values import Observer

DEMO_AT = "2025-04-08T09:00:00Z"
SPEED_WORDS = (
    "the replay speed is times real time, a number greater than 0 and at most 10000"
    " (e.g. 1, 60, 600; the keys + and - step through 1, 10, 60, 300, 1000)"
)


def usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["serve", "--speed", "0"], f"issdash serve: error: argument --speed: '0': {SPEED_WORDS}"),
        (["--speed", "nan"], f"issdash: error: argument --speed: 'nan': {SPEED_WORDS}"),
        (["--speed", "10001"], f"issdash: error: argument --speed: '10001': {SPEED_WORDS}"),
        (
            ["status", "--timeout", "inf"],
            "issdash status: error: argument --timeout: 'inf': must be a number of seconds"
            " greater than 0 and at most 600",
        ),
        (
            ["serve", "--port", "65536"],
            "issdash serve: error: argument --port: '65536': must be a TCP port number from 1"
            " to 65535",
        ),
        (
            ["--min-elevation", "ten"],
            "issdash: error: argument --min-elevation: 'ten': must be a number of degrees"
            " (e.g. 10)",
        ),
        (
            ["passes", "--days", "31"],
            "issdash passes: error: argument --days: days must be 1 to 30, got 31",
        ),
        (
            ["passes", "--days", "1.5"],
            "issdash passes: error: argument --days: not a whole number of days: '1.5'",
        ),
        (
            ["record", "out.jsonl", "--duration", "0h0m"],
            "issdash record: error: argument --duration/--max-duration: duration must be positive",
        ),
        (
            ["record", "out.jsonl", "--duration", "soon"],
            "issdash record: error: argument --duration/--max-duration: not a duration:"
            " 'soon' (try 2h, 30m, 90s)",
        ),
        (
            ["record", "out.jsonl", "--max-size", "4095"],
            "issdash record: error: argument --max-size: size must be at least 4k",
        ),
        (
            ["record", "out.jsonl", "--max-size", "lots"],
            "issdash record: error: argument --max-size: not a size: 'lots' (try 500M, 2G)",
        ),
        (
            ["--observer", "200,0"],
            "issdash: error: argument --observer: latitude must be between -90 and 90 degrees;"
            " got 200.0",
        ),
        (
            ["--observer", "95,200"],
            "issdash: error: argument --observer: latitude must be between -90 and 90 degrees;"
            " got 95.0 (and 1 more problem)",
        ),
        (
            ["--observer", "north,south"],
            "issdash: error: argument --observer: observer must be numbers LAT,LON[,ALT_M],"
            " got 'north,south'",
        ),
    ],
)
def test_each_flag_says_what_it_takes_in_its_own_words(
    capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    assert usage_error(capsys, *args) == line + "\n"


def test_the_bounds_of_a_number_flag() -> None:
    flag = number_flag(
        float, unreadable=lambda text: f"no: {text}", above=0, at_most=10, at_least=None
    )
    assert flag("10") == 10.0 and flag("0.5") == 0.5
    for outside in ("0", "10.5", "nan", "-inf", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match=f"^no: {outside}$"):
            flag(outside)
    counted = number_flag(
        int,
        unreadable=lambda text: "not a count",
        outside=lambda text, n: f"{n} is fewer than 2",
        at_least=2,
    )
    assert counted("2") == 2
    with pytest.raises(argparse.ArgumentTypeError, match=r"^1 is fewer than 2$"):
        counted("1")
    with pytest.raises(argparse.ArgumentTypeError, match=r"^not a count$"):
        counted("2.0")
    unbounded = number_flag(float, unreadable=lambda text: "no")
    assert math.isnan(unbounded("nan"))  # no bounds: the setting checks it later


def test_status_never_looks_the_observer_zone_up(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`status` shows no local pass times: it must not build the zone finder (~145 ms)."""

    def no_lookup(observer: Observer) -> Observer:
        raise AssertionError("status looked the zone up")

    monkeypatch.setattr(place, "with_timezone", no_lookup)
    code = main(["status", "--json", "--demo", "--at", DEMO_AT, "--observer", "52,5"])
    out, err = capsys.readouterr()
    assert code in (0, 3), err
    assert json.loads(out)["passes"]


def test_passes_looks_the_observer_zone_up_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Observer] = []
    real = place.with_timezone

    def counting(observer: Observer) -> Observer:
        seen.append(observer)
        return real(observer)

    monkeypatch.setattr(place, "with_timezone", counting)
    code = main(["passes", "--json", "--demo", "--days", "1", "--observer", "52,5"])
    out, err = capsys.readouterr()
    assert code in (0, 3), err
    report = json.loads(out)
    assert report["observer"]["timezone"] == "Europe/Amsterdam"
    assert report["observer"]["timezone_source"] == "coordinates"
    assert seen == [Observer(latitude_deg=52, longitude_deg=5)]
