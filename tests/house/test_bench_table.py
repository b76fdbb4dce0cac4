"""`make bench`'s verdicts and table (scripts/bench_table.py), from given figures: no run of
anything is measured here."""

from __future__ import annotations

import json
import math

import pytest

from scripts.bench_table import (
    Row,
    exit_code,
    floors_between,
    missed,
    render_markdown,
    render_table,
    results_json,
)

INF = math.inf


def test_a_ratio_is_each_run_against_its_own_floor() -> None:
    # Medians of the figures would say 1.0x (1 s against 1 s); run by run, the program took
    # 1x, 4x and 2x its floor measured beside it: 2x.
    row = Row("start", "s", [1.0, 1.0, 4.0], "<= 2.0x", 2.0, "ratio", [1.0, 0.25, 2.0])
    assert row.ratios == [1.0, 4.0, 2.0]
    assert row.ratio == 2.0
    assert row.passed is True
    assert Row("start", "s", [1.0, 1.0, 4.0], "", 1.9, "ratio", [1.0, 0.25, 2.0]).passed is False


def test_a_round_is_against_the_floors_measured_before_and_after_it() -> None:
    # floor 0.2, round 1, floor 0.4, round 2, floor 0.4: the machine slowed during round 1.
    assert floors_between([0.2, 0.4, 0.4]) == pytest.approx([0.3, 0.4])
    assert floors_between([0.3]) == []


def test_a_run_without_a_first_frame_counts_as_infinitely_slow() -> None:
    one_failed = Row("start", "s", [0.5, INF, 0.5], "", 2.0, "ratio", [0.3, 0.3, 0.3])
    assert one_failed.passed is True  # the median of three runs still holds
    most_failed = Row("start", "s", [0.5, INF, INF], "", 2.0, "ratio", [0.3, 0.3, 0.3])
    assert most_failed.passed is False
    assert Row("rss", "MB", [INF], "", 100.0).passed is False


def test_median_and_max_budgets() -> None:
    figures = [0.9, 1.2, 0.8]
    assert Row("cpu", "%", figures, "<= 1 %", 1.0).passed is True
    assert Row("cpu", "%", figures, "<= 1 %", 1.0, "max").passed is False
    assert Row("cpu", "%", [1.0], "<= 1 %", 1.0).passed is True  # the limit itself holds


def test_figures_without_a_budget_never_fail_and_a_decided_verdict_is_kept() -> None:
    rows = [
        Row("context", "ms", [99.0]),
        Row("not measured", "MB", [], "<= 5 MB", 5.0),
        Row("suite", "s", [0.1], "< 0.5 s", decided=True),
    ]
    assert [r.passed for r in rows] == [None, False, True]
    assert exit_code([rows[0], rows[2]]) == 0
    assert exit_code(rows) == 1
    assert missed(rows) == ["not measured"]
    assert Row("suite", "s", [0.1], "< 0.5 s", 1.0, decided=False).passed is False


def test_the_table_has_every_row_aligned_with_its_verdict() -> None:
    rows = [
        Row("first frame, demo", "s", [0.6, 0.5, 0.7], "<= 2.0x", 2.0, "ratio",
            [0.3, 0.3, 0.3], "bare app"),
        Row("idle CPU", "% core", [1.4], "<= 1.0 %", 1.0, note="60 s"),
        Row("live", "s", [INF], "<= 2.0x", 2.0, "ratio", [0.3]),
        Row("scene build", "ms", [1.0, 2.0]),
        Row("rss", "MB", [100.04], "<= 100 MB", 100.0),
    ]  # fmt: skip
    lines = render_table(rows).splitlines()
    assert len(lines) == 1 + len(rows)
    header, demo, cpu, live, scene, rss = lines
    assert "100.0 MB" in rss and rss.endswith("FAIL")
    assert header.split()[0] == "figure" and header.endswith("result")
    assert "0.60 s (0.50-0.70)" in demo and "0.30 s (bare app)" in demo
    assert "2.00x (1.67-2.33)" in demo and demo.endswith("PASS")
    assert "idle CPU [60 s]" in cpu and "1.40 % core" in cpu and cpu.endswith("FAIL")
    assert "failed" in live and live.endswith("FAIL")
    assert scene.endswith("-")
    # Aligned: every column starts where the header's does.
    for name in ("median", "floor", "ratio", "budget"):
        at = header.index(name)
        assert all(line[at - 2 : at] == "  " for line in lines[1:]), name


def test_the_markdown_table_says_met_and_missed() -> None:
    rows = [Row("a | b", "s", [0.5], "<= 1 s", 1.0), Row("c", "s", [2.0], "<= 1 s", 1.0)]
    lines = render_markdown(rows).splitlines()
    assert lines[0].startswith("| figure |") and lines[1] == "|---|---|---|---|---|---|"
    assert all(line.count(" | ") == 5 for line in (lines[0], lines[3]))
    assert lines[2].startswith("| a \\| b |") and lines[2].endswith("| met |")
    assert lines[3].endswith("| **missed** |")


def test_results_json_has_the_load_and_every_figure() -> None:
    rows = [Row("live", "s", [INF, 0.5], "<= 2.0x", 2.0, "ratio", [0.25, 0.25])]
    out = json.loads(results_json("x86_64", [1.0, 2.0, 3.0], [0.5, 0.5, 0.5], {"runs": 2}, rows))
    assert out["load_before"] == [1.0, 2.0, 3.0] and out["load_after"] == [0.5, 0.5, 0.5]
    assert out["missed"] == ["live"]
    (live,) = out["results"]
    assert live["values"] == ["inf", 0.5] and live["ratio"] == "inf" and live["passed"] is False
    assert live["floor"] == 0.25 and live["runs"] == 2
