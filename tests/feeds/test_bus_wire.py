"""Every bus message is data (issdash.feeds.bus_wire): whatever its shape, it becomes an answer
or a reason it was skipped, never an exception."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.feeds.bus import encode
from issdash.feeds.bus_wire import (
    FUTURE_SKEW_S,
    MAX_LINE_BYTES,
    Envelope,
    Skips,
    decode,
    decode_envelope,
)
from issdash.feeds.recording import Entry

FEEDS = ("crew", "position", "telemetry")
NOW = datetime(2025, 4, 8, 5, 0, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["crew", "telemetry", "2025-04-08T05:00:00Z", "9999-12-31T23:59:59Z"]),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "feed",
                    "received_at",
                    "body",
                    "error",
                    "status",
                    "item",
                    "fields",
                    "from",
                    "entry",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=6,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=100)
@given(json_values)
def test_any_json_shape_is_an_answer_or_a_reason(value: object) -> None:
    line = json.dumps(value)
    entry = decode(line.encode("utf-8"), FEEDS, NOW)
    assert isinstance(entry, Entry | str)
    envelope = decode_envelope(line)
    assert isinstance(envelope, Envelope | str)
    if isinstance(envelope, Envelope) and envelope.entry is not None:
        assert isinstance(decode(envelope.entry, FEEDS, NOW), Entry | str)


@settings(max_examples=100)
@given(st.binary(max_size=200))
def test_any_bytes_are_an_answer_or_a_reason(data: bytes) -> None:
    assert isinstance(decode(data, FEEDS, NOW), Entry | str)
    assert isinstance(decode_envelope(data), Envelope | str)


def test_the_message_that_killed_every_member_is_skipped() -> None:
    # Issue 24 case 3: `PUBLISH issdash:answers '{"from":"x","entry":5}'`.
    assert isinstance(decode_envelope('{"from":"x","entry":5}'), str)
    assert isinstance(decode_envelope('{"from":5,"entry":"{}"}'), str)
    assert isinstance(decode_envelope("[1, 2]"), str)


def test_deep_nesting_and_huge_lines_are_skipped_not_raised() -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    assert isinstance(decode(deep, FEEDS, NOW), str)
    assert isinstance(decode_envelope(deep), str)
    huge = b'{"feed": "crew", "body": "' + b"x" * MAX_LINE_BYTES + b'"}'
    reason = decode(huge, FEEDS, NOW)
    assert isinstance(reason, str) and "cap" in reason
    # Types that JSON allows but an entry does not.
    for bad in (
        {"feed": ["crew"], "received_at": "2025-04-08T05:00:00Z", "body": "x"},
        {"feed": "crew", "received_at": "2025-04-08T05:00:00Z", "body": 5},
        {"feed": "crew", "received_at": "2025-04-08T05:00:00", "body": "x"},  # no zone
        {"feed": "crew", "received_at": "0001-01-01T00:00:00+01:00", "body": "x"},
        {"feed": "telemetry", "received_at": "2025-04-08T05:00:00Z", "item": "x", "fields": 5},
        {"feed": "nope", "received_at": "2025-04-08T05:00:00Z", "body": "x"},
        {"feed": "crew", "received_at": "2025-04-08T05:00:00Z"},
    ):
        assert isinstance(decode(json.dumps(bad).encode(), FEEDS, NOW), str), bad


def test_a_reason_is_clean_short_text_and_the_count_of_kinds_is_bounded() -> None:
    hostile_key = "\x1b[2J" + "k" * 10_000
    line = json.dumps(
        {
            "feed": "telemetry",
            "received_at": "2025-04-08T05:00:00Z",
            "item": "x",
            "fields": {hostile_key: 5},
        }
    )
    reason = decode(line.encode(), FEEDS, NOW)
    assert isinstance(reason, str) and "\x1b" not in reason and len(reason) < 200
    skips = Skips()
    for n in range(1000):
        skips.add(f"crew dated {n} s in the future")
    assert skips.total == 1000
    assert len(skips.by_reason) <= 65


def test_what_the_bus_writes_reads_back_the_same() -> None:
    answer = Entry("crew", "https://example.org/crew", NOW, 200, "application/json", '{"a": 1}')
    failure = Entry("position", "https://example.org/p", NOW, 503, error="HTTP 503")
    update = Entry("telemetry", "", NOW, None, item="USLAB000058", fields={"Value": "14.2"})
    for entry in (answer, failure, update):
        assert decode(encode(entry), FEEDS, NOW) == entry


def test_an_entry_from_the_future_is_skipped_beyond_the_stated_skew() -> None:
    def at(offset_s: float) -> bytes:
        return encode(Entry("crew", "u", NOW + timedelta(seconds=offset_s), 200, "", "{}"))

    assert isinstance(decode(at(FUTURE_SKEW_S - 1), FEEDS, NOW), Entry)
    reason = decode(at(40 * 3600), FEEDS, NOW)
    assert isinstance(reason, str) and "future" in reason
    assert isinstance(decode(at(-3600), FEEDS, NOW), Entry)  # old is fine: it is just old
