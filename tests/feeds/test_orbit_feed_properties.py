"""Whatever bytes come in for the two orbit feeds, the adapters give a validated value or a
`FeedError` in words, never another exception (property-based, as for the other gates)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.feeds.adapters.oem import Oem, parse_oem
from issdash.feeds.adapters.supgp import SupGp, parse_supgp
from issdash.feeds.sources import FeedError, RawResponse
from scripts.fixtures.ms27_payloads import omm_record
from scripts.fixtures.oem import build_trajectory, write_kvn, write_xml

START = datetime(2025, 4, 7, 12, 0, tzinfo=UTC)
_TRAJECTORY = build_trajectory(START, hours=3.0, step_s=240.0, burn=None)
KVN = write_kvn(_TRAJECTORY, [])
XML = write_xml(_TRAJECTORY, [])


def _outcome_of(parse: object, body: str) -> object:
    raw = RawResponse("file:///x", 200, "", body, START)
    try:
        return parse(raw, START)  # type: ignore[operator]
    except FeedError as exc:
        assert exc.reason and exc.reason.isprintable()
        return exc


def _mutated(text: str, data: st.DataObject) -> str:
    """The text with a stretch replaced, cut, or doubled: what a broken upstream sends."""
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 200)))
    kind = data.draw(st.sampled_from(["replace", "cut", "double"]))
    if kind == "cut":
        return text[:start]
    if kind == "double":
        return text[:end] + text[start:]
    return text[:start] + data.draw(st.text(max_size=40)) + text[end:]


@settings(max_examples=150, deadline=None)
@given(data=st.data(), xml=st.booleans())
def test_a_mangled_trajectory_is_a_trajectory_or_a_feed_error(
    data: st.DataObject, xml: bool
) -> None:
    result = _outcome_of(parse_oem, _mutated(XML if xml else KVN, data))
    assert isinstance(result, (Oem, FeedError))
    if isinstance(result, Oem):
        epochs = [s.epoch for s in result.states]
        assert epochs == sorted(set(epochs))
        assert result.header.stop - result.header.start >= timedelta(hours=1)


_JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries({}, optional={"RMS": _JSON, "EPOCH": _JSON, "MEAN_MOTION": _JSON}),
        max_size=5,
    )
)
def test_any_supgp_json_is_a_fit_or_a_feed_error(rows: list[dict[str, object]]) -> None:
    body = [{**omm_record(), **row} for row in rows]
    result = _outcome_of(parse_supgp, json.dumps(body))
    assert isinstance(result, (SupGp, FeedError))
    if isinstance(result, SupGp):
        assert all(s.rms_km is None or 0 <= s.rms_km <= 1000 for s in result.segments)
