"""The table of `make bench`: rows built from measured figures, their verdicts against the
budgets, and the table printed (aligned for the terminal, Markdown for docs/performance.md).

Pure: no measurement here (scripts/bench.py measures), so the verdicts and the printing are
tested with given figures (tests/house/test_bench_table.py).

A row's figure is the median of its runs, with the min-max beside it. A row measured against
a floor in the same run (a bare Textual app, `python -c 'import numpy'`, one serve session)
keeps one floor figure per run; its ratio is the median of the per-run ratios (each run
against the floor measured next to it, so a machine slowing down between runs hits both), and
its verdict is on that ratio. A run that failed (no first frame within its time-out, a
process that did not answer) is infinite: it fails a `max` budget and counts in a median.
"""

from __future__ import annotations

import itertools
import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

On = Literal["median", "max", "ratio"]


@dataclass(frozen=True)
class Row:
    figure: str
    unit: str
    values: list[float]
    # The budget in words, the limit it means, and what it applies to; no limit: a figure
    # shown for context (its verdict is None).
    budget: str = "-"
    limit: float | None = None
    on: On = "median"
    floors: list[float] = field(default_factory=list)
    floor_name: str = ""
    note: str = ""
    # A verdict decided where the figure was measured (scripts/suite_budgets.py's budgets,
    # some of which compare to a figure measured alongside); None: from `limit`.
    decided: bool | None = None

    @property
    def median(self) -> float | None:
        return _median(self.values)

    @property
    def floor(self) -> float | None:
        return _median(self.floors)

    @property
    def ratios(self) -> list[float]:
        """Each run against its own floor (same index)."""
        return [_ratio(v, f) for v, f in zip(self.values, self.floors, strict=False)]

    @property
    def ratio(self) -> float | None:
        return _median(self.ratios)

    @property
    def passed(self) -> bool | None:
        if self.decided is not None:
            return self.decided
        if self.limit is None:
            return None
        if self.on == "ratio":
            figure = self.ratio
        elif self.on == "max":
            figure = max(self.values) if self.values else None
        else:
            figure = self.median
        return figure is not None and math.isfinite(figure) and figure <= self.limit

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = asdict(self)
        out.update(
            median=_round(self.median),
            min=_round(min(self.values)) if self.values else None,
            max=_round(max(self.values)) if self.values else None,
            runs=len(self.values),
            floor=_round(self.floor),
            ratio=_round(self.ratio),
            ratio_min=_round(min(self.ratios)) if self.ratios else None,
            ratio_max=_round(max(self.ratios)) if self.ratios else None,
            values=[_round(v) for v in self.values],
            floors=[_round(v) for v in self.floors],
            passed=self.passed,
        )
        return out


def floors_between(floors: Sequence[float]) -> list[float]:
    """The floor of each round run between two floor runs (rounds of floor, cases, floor,
    cases, floor): the mean of the floor just before and just after it."""
    return [(a + b) / 2 for a, b in itertools.pairwise(floors)]


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _ratio(value: float, floor: float) -> float:
    return value / floor if floor > 0 and math.isfinite(floor) else math.inf


def _round(value: float | None) -> float | str | None:
    if value is None:
        return None
    return round(value, 3) if math.isfinite(value) else "inf"


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return "failed"
    # A tenth at least: 100.2 MB is not shown as a budget of 100 MB that failed at "100".
    text = f"{value:.2f}" if abs(value) < 100 else f"{value:.1f}"
    return f"{text} {unit}".rstrip()


def _spread(values: Sequence[float]) -> str:
    if len(values) < 2:
        return ""
    return f"{_num(min(values))}-{_num(max(values))}"


def result_word(row: Row) -> str:
    return {None: "-", True: "PASS", False: "FAIL"}[row.passed]


def cells(row: Row) -> list[str]:
    """figure, median (min-max), floor, ratio (min-max), budget, result: as printed."""
    median = _num(row.median, row.unit)
    spread = _spread(row.values)
    floor = "" if row.floor is None else _num(row.floor, row.unit)
    if row.floor_name and floor:
        floor = f"{floor} ({row.floor_name})"
    ratio = ""
    if row.floors:
        ratio = f"{_num(row.ratio)}x"
        if len(row.ratios) > 1:
            ratio += f" ({_spread(row.ratios)})"
    return [
        row.figure + (f" [{row.note}]" if row.note else ""),
        f"{median} ({spread})" if spread else median,
        floor,
        ratio,
        row.budget,
        result_word(row),
    ]


HEADER = ["figure", "median (min-max)", "floor", "ratio (min-max)", "budget", "result"]


def render_table(rows: Sequence[Row]) -> str:
    """The table aligned in columns, for the terminal."""
    table = [HEADER, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table
    )


def render_markdown(rows: Sequence[Row]) -> str:
    """The same table in Markdown, as docs/performance.md has it."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in rows:
        c = cells(r)
        c[-1] = {"PASS": "met", "FAIL": "**missed**", "-": ""}[c[-1]]
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in c) + " |")
    return "\n".join(lines)


def load_text(load: Sequence[float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load) + " (1 / 5 / 15 min)"


def exit_code(rows: Sequence[Row]) -> int:
    """1 when any budget was missed, else 0 (figures without a budget never fail)."""
    return 1 if any(r.passed is False for r in rows) else 0


def missed(rows: Sequence[Row]) -> list[str]:
    return [r.figure for r in rows if r.passed is False]


def results_json(
    machine: str,
    load_before: Sequence[float],
    load_after: Sequence[float],
    settings: dict[str, object],
    rows: Sequence[Row],
) -> str:
    return json.dumps(
        {
            "machine": machine,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
            "settings": settings,
            "missed": missed(rows),
            "results": [r.as_json() for r in rows],
        },
        indent=2,
    )
