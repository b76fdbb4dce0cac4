"""Strict JSON for the commands' `--json` (`status`, `passes`): `dumps_strict` refuses NaN and
Infinity (`allow_nan=False`) after `finite_or_none` has turned any non-finite number that
slipped through into null. A module of its own so that `passes --json` does not import what
`status` reports (issdash.model.status: the crew, the visits, the station)."""

from __future__ import annotations

import json
import math
from typing import Any


def finite_or_none(value: Any) -> Any:
    """`value` with every non-finite float replaced by None (JSON has no NaN or Infinity;
    a number that is not one is unknown, and null says so)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    return value


def dumps_strict(report: dict[str, Any]) -> str:
    """`report` as strict JSON (never NaN or Infinity, which JSON parsers reject)."""
    return json.dumps(finite_or_none(report), indent=2, allow_nan=False)
