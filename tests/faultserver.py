"""A fault-injecting HTTP server on 127.0.0.1 for the seven feeds: good answers built from
scripts/ms27_payloads.py, or, per request, any of the faults a real upstream can produce.

By hand (prints the feed URLs, runs until Ctrl+C):

    python -m tests.faultserver --port 8765 --scenario flaky [--seed 0]
    python -m tests.faultserver --list        # every scenario and fault name

From tests:

    with FaultServer(scenario="good", at=START) as server:
        url = server.url("crew")                         # http://127.0.0.1:PORT/crew
        server.set("crew", "http_503")                   # every crew request: 503
        server.set("crew", "good", "truncated_json", "good")   # a script; the last repeats
        server.set("crew", "absurd_values", variant="launched_2090")
        server.heal("crew")                              # back to good answers
        server.hits("crew")                              # [Hit(feed, fault, answer, t, ...)]

Paths: /tle /position /crew /astros /docked /launches /dockings (a query string is ignored).

Scenarios: `good`, `flaky` (per feed, a seeded random mix: about half the requests get a
fault drawn from PER_REQUEST_FAULTS), `hostile` (three requests in four get a fault drawn from
PER_REQUEST_FAULTS and HOSTILE_FAULTS: stacked/unknown/lying encodings, a gzip bomb, exotic
and lying charsets, an endless chunked body, redirects off the site, 10,000-entry lists,
elements that propagate to nonsense), and one scenario per fault name (every request gets it).

How the faults that happen below HTTP are made on loopback:

- `refused`: the answer is a 307 to a port that is bound but never listening, so the client's
  connection to it is refused by the kernel (ECONNREFUSED), exactly as a dead server's would
  be. (The dashboard's client follows redirects; `refused_url(feed)` is the same port, for a
  client pointed at it directly.)
- `connect_timeout`: a 307 to a port whose accept backlog is full (listen(0), filled and
  never accepted): the kernel drops the SYN, so the client's connect hangs until its timeout.
  `blackhole_url(feed)` points there directly.
- `hangup`: the server reads the request and closes the socket without a byte of answer.
- `headers_never`: the server accepts and reads the request, then sends nothing (for
  `stall_s`, or until the server stops).
- "No DNS answer" cannot be served; point a client at a host name that does not resolve (the
  test suite's conftest refuses to resolve anything but localhost, with socket.gaierror).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import gzip
import json
import random
import signal
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scripts.ms27_payloads import (
    TLE_LINE1,
    TLE_LINE2,
    TLE_NAME,
    TLE_TEXT,
    astros,
    corquaid_docked,
    corquaid_people,
    ll2_docking,
    ll2_dockings,
    ll2_launch,
    ll2_launches,
    omm_record,
    wheretheiss,
)
from tests import element_fixtures

FEEDS = ("tle", "position", "crew", "astros", "docked", "launches", "dockings")

GOOD = "good"
# Faults decided per request, each answer independent of the ones before.
PER_REQUEST_FAULTS = (
    "refused",  # connection refused (a 307 to a bound, non-listening port)
    "hangup",  # the server closes the socket without answering
    "connect_timeout",  # connect never completes (a 307 to a port with a full backlog)
    "headers_never",  # accepted, request read, no status line ever
    "slow_body",  # headers at once, then the body drips slower than any sane deadline
    "http_429_retry_after",  # 429 with Retry-After: retry_after_s
    "http_429",  # 429 without Retry-After
    "http_500",
    "http_503",
    "html_error",  # 200, text/html error page
    "truncated_json",  # 200, the good JSON cut in half
    "wrong_shape",  # 200, valid JSON of a different shape
    "missing_fields",  # 200, required fields absent
    "extra_fields",  # 200, the good payload plus unknown fields: must be accepted
    "wrong_types",  # 200, fields of the wrong JSON type
    "absurd_values",  # 200, well-formed but impossible values
    "empty_body",  # 200, zero bytes
    "too_large",  # 200, Content-Length over any sane cap, body streamed
    "too_large_undeclared",  # 200, no Content-Length, body streamed until the client quits
    "redirect_loop",  # 302 to itself, forever
)
# Faults with memory: the answer depends on how many requests the feed has had.
STATEFUL_FAULTS = (
    "schema_change",  # `schema_change_after` good answers, then a different shape forever
    "flip",  # good, bad, good, bad, ... (bad cycles through FLIP_BAD)
)
# What a hostile upstream (not a merely broken one) sends: each must cost the client at most
# a FeedError, never memory, a frozen loop or a crash. Per request, like PER_REQUEST_FAULTS.
HOSTILE_FAULTS = (
    "gzip_stacked",  # Content-Encoding: gzip, gzip (two layers)
    "encoding_unknown",  # Content-Encoding: x-unknown
    "encoding_lying",  # Content-Encoding: gzip on a plain body
    "gzip_bomb",  # a few hundred KB of gzip that inflates to bomb_bytes
    "charset_exotic",  # charset=punycode: a pure-Python codec, quadratic in the body
    "charset_lying",  # charset=utf-16 on a UTF-8 body
    "endless_chunked",  # chunked transfer that never ends, a small chunk every drip_s
    "redirect_offsite",  # 302 to another host
    "redirect_scheme",  # 302 to https on the same host
    "redirect_port",  # 302 to another port on the same host
    "huge_list",  # 10,000 entries of the feed's own shape (crew names, launches, ...)
    "elements_nan",  # tle: elements that parse but make SGP4 fail (NaN / error code)
    "elements_geo",  # tle: a geostationary orbit labelled 25544
    "elements_fast",  # tle: 19.9 rev/day (below the ground)
)
# Hostile faults that only mean something for the elements feed (others get huge_list).
ELEMENT_FAULTS = ("elements_nan", "elements_geo", "elements_fast")
FAULTS = PER_REQUEST_FAULTS + STATEFUL_FAULTS
SCENARIOS = (GOOD, "flaky", "hostile", *FAULTS, *HOSTILE_FAULTS)
HUGE_COUNT = 10_000
FLIP_BAD = ("http_503", "truncated_json", "html_error")
# Faults whose answer is a 200 body from BAD_PAYLOADS (per feed, with named variants).
PAYLOAD_FAULTS = ("wrong_shape", "missing_fields", "extra_fields", "wrong_types", "absurd_values")
# Faults that make the client wait for its own deadline.
SLOW_FAULTS = ("connect_timeout", "headers_never", "slow_body")

START = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)

HTML_ERROR_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><h1>Bad Gateway</h1><p>The upstream server is temporarily unavailable. "
    "Please try again later.</p><hr><address>nginx</address></body></html>\n"
)


# --- payloads ------------------------------------------------------------------------------


def good_payload(feed: str, n: int = 0, at: datetime | None = None) -> tuple[str, str]:
    """(content type, body) of the `n`-th good answer of `feed`. Only the position moves
    from one answer to the next (a fix every 5 s along a plausible track); `at` is the time
    of the first fix (default: now)."""
    if feed == "tle":
        return "text/plain", TLE_TEXT
    if feed == "position":
        when = (at or datetime.now(UTC)) + timedelta(seconds=5 * n)
        latitude = round(43.9 - 0.3 * (n % 100), 4)
        longitude = round(59.2 + 1.1 * (n % 100), 4)
        return "application/json", wheretheiss(when, latitude, longitude)
    return "application/json", json.dumps(good_document(feed))


def good_document(feed: str) -> Any:
    """The good JSON document of a JSON feed (tle: the OMM form of the same elements)."""
    if feed == "tle":
        return [omm_record()]
    if feed == "position":
        return json.loads(wheretheiss(START, 43.9, 59.2))
    if feed == "crew":
        return corquaid_people()
    if feed == "astros":
        return astros()
    if feed == "docked":
        return corquaid_docked()
    if feed == "launches":
        return ll2_launches(
            ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-08T05:47:15Z"),
            ll2_launch(
                "Falcon 9 Block 5 | Crew-11", "2025-07-31T16:09:00Z", launch_id="crew11-launch"
            ),
        )
    if feed == "dockings":
        return ll2_dockings()
    raise KeyError(feed)


def _dumps(value: Any) -> str:
    # NaN and Infinity are written as the bare tokens a sloppy upstream produces.
    return json.dumps(value, allow_nan=True)


def _position(**overrides: Any) -> str:
    payload = json.loads(wheretheiss(START, 43.9, 59.2))
    payload.update(overrides)
    return _dumps(payload)


def _without(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in keys}


def _crew_rows() -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = corquaid_people()["people"]
    return people


def _crew_with(index: int, **changes: Any) -> str:
    doc = corquaid_people()
    doc["people"][index].update(changes)
    return _dumps(doc)


def _docked_with(extra: dict[str, Any]) -> str:
    doc = corquaid_docked()
    doc["spacecraft"].append(extra)
    doc["number"] = len(doc["spacecraft"])
    return _dumps(doc)


def _docked_row(**changes: Any) -> dict[str, Any]:
    """A cargo ship that is not in the good list, with `changes` applied (None deletes)."""
    row = copy.deepcopy(corquaid_docked()["spacecraft"][1])
    row.update(
        {"id": 99, "name": "Cygnus NG-22", "docking_port": "Unity nadir", "mission_type": "Cargo"}
    )
    for key, value in changes.items():
        if value is None:
            row.pop(key, None)
        else:
            row[key] = value
    return row


def _launches_with(extra: dict[str, Any]) -> str:
    doc = good_document("launches")
    doc["results"].append(extra)
    doc["count"] = len(doc["results"])
    return _dumps(doc)


def _dockings_with(extra: dict[str, Any]) -> str:
    doc = good_document("dockings")
    doc["results"].append(extra)
    doc["count"] = len(doc["results"])
    return _dumps(doc)


def _bad_docking(**changes: Any) -> dict[str, Any]:
    row = ll2_docking(
        "Progress MS-31", "2025-07-05T22:27:00Z", "Poisk zenith", event_id=3
    )  # a real event, changed below
    for key, value in changes.items():
        if value is None:
            row.pop(key, None)
        else:
            row[key] = value
    return row


def _bad_launch(**changes: Any) -> dict[str, Any]:
    row = ll2_launch("Soyuz 2.1a | Progress MS-31", "2025-07-03T19:32:00Z", launch_id="pms31")
    for key, value in changes.items():
        if value is None:
            row.pop(key, None)
        else:
            row[key] = value
    return row


def _tle_text(line1: str, line2: str) -> str:
    return f"{TLE_NAME}\n{line1}\n{line2}\n"


def _bad_checksum(line: str) -> str:
    return line[:68] + str((int(line[68]) + 1) % 10)


# Per fault, per feed: named variants of the 200 body; the first is the default.
BAD_PAYLOADS: dict[str, dict[str, dict[str, Callable[[], str]]]] = {
    "wrong_shape": {
        # OMM asked for, TLE lines got, as a JSON list of strings.
        "tle": {"list_of_lines": lambda: _dumps([TLE_NAME, TLE_LINE1, TLE_LINE2])},
        "position": {
            "other_api": lambda: _dumps(
                {"satellites": [{"id": 25544, "lat": 43.9, "lng": 59.2, "alt": 420.3}]}
            )
        },
        "crew": {"bare_list": lambda: _dumps(_crew_rows())},
        "astros": {
            "people_by_craft": lambda: _dumps(
                {"message": "success", "number": 13, "people": {"ISS": ["Jonny Kim"]}}
            )
        },
        "docked": {"spacecraft_object": lambda: _dumps({"number": 5, "spacecraft": {}})},
        "launches": {"bare_list": lambda: _dumps(good_document("launches")["results"])},
        "dockings": {
            "results_by_id": lambda: _dumps(
                {"count": 2, "results": {str(r["id"]): r for r in ll2_dockings()["results"]}}
            )
        },
    },
    "missing_fields": {
        "tle": {"no_mean_motion": lambda: _dumps([_without(omm_record(), "MEAN_MOTION")])},
        "position": {
            "no_altitude": lambda: _dumps(_without(json.loads(_position()), "altitude", "velocity"))
        },
        "crew": {
            "no_names": lambda: _dumps(
                {**corquaid_people(), "people": [_without(p, "name") for p in _crew_rows()]}
            ),
            "no_people": lambda: _dumps(_without(corquaid_people(), "people")),
            "one_nameless": lambda: _dumps(
                {
                    **corquaid_people(),
                    "people": [_without(_crew_rows()[0], "name"), *_crew_rows()[1:]],
                }
            ),
        },
        "astros": {
            "no_people": lambda: _dumps({"message": "success", "number": 13}),
            "one_nameless": lambda: _dumps(
                {**astros(), "people": [{"craft": "ISS"}, *astros()["people"]]}
            ),
            # every entry without a name: a response that carries no crew at all
            "no_names": lambda: _dumps(
                {**astros(), "people": [{"craft": p["craft"]} for p in astros()["people"]]}
            ),
        },
        "docked": {
            "no_spacecraft": lambda: _dumps({"number": 5}),
            "one_nameless": lambda: _docked_with(_docked_row(name=None)),
            # every entry without a name: nothing usable at all
            "all_nameless": lambda: _dumps(
                {
                    **corquaid_docked(),
                    "spacecraft": [_without(c, "name") for c in corquaid_docked()["spacecraft"]],
                }
            ),
        },
        "launches": {
            "no_results": lambda: _dumps({"count": 2, "next": None, "previous": None}),
            "one_without_net": lambda: _launches_with(_bad_launch(net=None)),
            "all_without_net": lambda: _dumps(
                {
                    **good_document("launches"),
                    "results": [_without(r, "net") for r in good_document("launches")["results"]],
                }
            ),
        },
        "dockings": {
            "no_results": lambda: _dumps({"count": 2, "next": None, "previous": None}),
            "one_without_docking": lambda: _dockings_with(_bad_docking(docking=None)),
            "all_without_docking": lambda: _dumps(
                {
                    **ll2_dockings(),
                    "results": [_without(r, "docking") for r in ll2_dockings()["results"]],
                }
            ),
        },
    },
    "extra_fields": {
        "tle": {
            "new_keys": lambda: _dumps(
                [omm_record(CENTER_NAME="EARTH", REF_FRAME="TEME", NEW_FIELD={"x": [1, 2]})]
            )
        },
        "position": {
            "new_keys": lambda: _position(
                new_field="hello", sensors={"attitude": [0.1, 0.2]}, units2=None
            )
        },
        "crew": {
            "new_keys": lambda: _dumps(
                {
                    **corquaid_people(),
                    "api_version": 3,
                    "people": [{**p, "spacewalks": 2, "bio": {"x": 1}} for p in _crew_rows()],
                }
            )
        },
        "astros": {
            "new_keys": lambda: _dumps(
                {
                    **astros(),
                    "updated": "2025-04-08",
                    "people": [
                        {**p, "agency": None, "id": i} for i, p in enumerate(astros()["people"])
                    ],
                }
            )
        },
        "docked": {
            "new_keys": lambda: _dumps(
                {
                    **corquaid_docked(),
                    "generated": 1744100000,
                    "spacecraft": [
                        {**c, "thrusters": 28, "notes": ["a", "b"]}
                        for c in corquaid_docked()["spacecraft"]
                    ],
                }
            )
        },
        "launches": {
            "new_keys": lambda: _dumps(
                {
                    **good_document("launches"),
                    "api_notice": "v2.4 soon",
                    "results": [
                        {**r, "webcast_live": False, "vid_urls": [{"url": "x"}]}
                        for r in good_document("launches")["results"]
                    ],
                }
            )
        },
        "dockings": {
            "new_keys": lambda: _dumps(
                {
                    **ll2_dockings(),
                    "api_notice": "v2.4 soon",
                    "results": [
                        {**r, "space_station_target": {"id": 4}, "images": []}
                        for r in ll2_dockings()["results"]
                    ],
                }
            )
        },
    },
    "wrong_types": {
        "tle": {"mean_motion_text": lambda: _dumps([omm_record(MEAN_MOTION="fast")])},
        "position": {"latitude_text": lambda: _position(latitude="north")},
        "crew": {
            "people_text": lambda: _dumps({**corquaid_people(), "people": "ten"}),
            "launched_text": lambda: _crew_with(0, launched="yesterday"),
            "name_list": lambda: _crew_with(0, name=["Aleksey", "Ovchinin"]),
        },
        "astros": {
            "people_number": lambda: _dumps({"message": "success", "number": 10, "people": 10}),
            "name_number": lambda: _dumps(
                {**astros(), "people": [{"name": 42, "craft": "ISS"}, *astros()["people"]]}
            ),
        },
        "docked": {
            "docked_text": lambda: _docked_with(_docked_row(docked="yesterday", crew="three")),
        },
        "launches": {
            "name_number_net_list": lambda: _launches_with({"id": "x1", "name": 5, "net": []}),
        },
        "dockings": {
            "docking_unix": lambda: _dockings_with(_bad_docking(docking=1751754420)),
        },
    },
    "absurd_values": {
        "tle": {
            "eccentricity_1_5": lambda: _dumps([omm_record(ECCENTRICITY=1.5)]),
            "bad_checksum": lambda: _tle_text(_bad_checksum(TLE_LINE1), TLE_LINE2),
            "epoch_2090": lambda: _dumps([omm_record(EPOCH="2090-01-01T00:00:00")]),
            "mean_motion_nan": lambda: _dumps([omm_record(MEAN_MOTION=float("nan"))]),
            "inclination_999": lambda: _dumps([omm_record(INCLINATION=999.0)]),
            # Issues 12 and 14: sets that parse but are not the station's orbit.
            "propagates_to_nan": lambda: element_fixtures.NAN_TLE,
            "geostationary": lambda: element_fixtures.GEOSTATIONARY_TLE,
            "mean_motion_19_9": lambda: element_fixtures.TOO_FAST_TLE,
            "hubble_line1_line2": lambda: _dumps(
                {
                    "line1": element_fixtures.HUBBLE_LINES[0],
                    "line2": element_fixtures.HUBBLE_LINES[1],
                }
            ),
        },
        "position": {
            "latitude_999": lambda: _position(latitude=999.0),
            "latitude_nan": lambda: _position(latitude=float("nan")),
            "longitude_infinity": lambda: _position(longitude=float("inf")),
            "altitude_negative": lambda: _position(altitude=-420.3),
            "timestamp_2090": lambda: _position(
                timestamp=int(datetime(2090, 1, 1, tzinfo=UTC).timestamp())
            ),
        },
        "crew": {
            "launched_2090": lambda: _crew_with(
                0, launched=int(datetime(2090, 1, 1, tzinfo=UTC).timestamp())
            ),
            "days_negative": lambda: _crew_with(0, days_in_space=-375),
            "expedition_99999": lambda: _dumps({**corquaid_people(), "iss_expedition": 99999}),
            "launched_nan": lambda: _crew_with(0, launched=float("nan")),
        },
        "astros": {
            "name_10k": lambda: _dumps(
                {**astros(), "people": [{"name": "A" * 10_000, "craft": "ISS"}]}
            ),
            "name_escapes": lambda: _dumps(
                {
                    **astros(),
                    "people": [
                        {"name": "\x1b]0;pwned\x07Jonny\x1b[2J Kim\u202e", "craft": "ISS"},
                        *astros()["people"][1:],
                    ],
                }
            ),
        },
        "docked": {
            "docked_2090": lambda: _docked_with(
                _docked_row(docked=int(datetime(2090, 1, 1, tzinfo=UTC).timestamp()))
            ),
            "docked_nan": lambda: _docked_with(_docked_row(docked=float("nan"))),
        },
        "launches": {
            "net_2090": lambda: _launches_with(_bad_launch(net="2090-01-01T00:00:00Z")),
            "net_1957": lambda: _launches_with(_bad_launch(net="1957-10-04T19:28:34Z")),
        },
        "dockings": {
            "docking_2090": lambda: _dockings_with(_bad_docking(docking="2090-01-01T00:00:00Z")),
            "departure_infinity": lambda: _dockings_with(_bad_docking(departure="+infinity")),
        },
    },
}

# What each feed looks like after its upstream changed its format for good.
SCHEMA_V2: dict[str, Callable[[], tuple[str, str]]] = {
    # CelesTrak's CSV format instead of TLE text.
    "tle": lambda: (
        "text/csv",
        "OBJECT_NAME,OBJECT_ID,EPOCH,MEAN_MOTION,ECCENTRICITY,INCLINATION,RA_OF_ASC_NODE,"
        "ARG_OF_PERICENTER,MEAN_ANOMALY,EPHEMERIS_TYPE,CLASSIFICATION_TYPE,NORAD_CAT_ID,"
        "ELEMENT_SET_NO,REV_AT_EPOCH,BSTAR,MEAN_MOTION_DOT,MEAN_MOTION_DDOT\n"
        "ISS (ZARYA),1998-067A,2025-04-07T12:29:36.890304,15.4932068,.0004979,51.6365,"
        "297.0255,19.0825,341.0349,0,U,25544,999,50420,.21806E-3,.11719E-3,0\n",
    ),
    "position": lambda: (
        "application/json",
        _dumps({"data": {"satellite": "iss", "lat": 43.9, "lon": 59.2, "alt_km": 420.3}}),
    ),
    "crew": lambda: (
        "application/json",
        _dumps({"count": 13, "expedition": 72, "crew": _crew_rows()}),
    ),
    "astros": lambda: (
        "application/json",
        _dumps({"message": "success", "number": 13, "astronauts": astros()["people"]}),
    ),
    "docked": lambda: (
        "application/json",
        _dumps({"number": 5, "vehicles": corquaid_docked()["spacecraft"]}),
    ),
    "launches": lambda: (
        "application/json",
        _dumps({"data": good_document("launches")["results"], "meta": {"total": 2}}),
    ),
    "dockings": lambda: (
        "application/json",
        _dumps({"data": ll2_dockings()["results"], "meta": {"total": 2}}),
    ),
}


def bad_payload(feed: str, fault: str, variant: str | None = None) -> str:
    """The 200 body of a payload fault for `feed` (`variant`: one of `variants(...)`)."""
    table = BAD_PAYLOADS[fault][feed]
    return table[variant if variant is not None else next(iter(table))]()


def variants(fault: str, feed: str) -> tuple[str, ...]:
    return tuple(BAD_PAYLOADS[fault][feed])


def truncated_body(feed: str) -> str:
    """The good JSON cut in half (tle: its OMM JSON form, as CelesTrak serves FORMAT=JSON)."""
    text = _dumps(good_document(feed)) if feed == "tle" else good_payload(feed, 0, START)[1]
    return text[: len(text) // 2]


# --- hostile payloads -----------------------------------------------------------------------


def letters(i: int, width: int = 4) -> str:
    """A distinct word per number, letters only (names are compared without digits)."""
    word = ""
    for _ in range(width):
        i, digit = divmod(i, 26)
        word += chr(ord("a") + digit)
    return word.title()


@functools.lru_cache(maxsize=16)
def huge_document(feed: str, count: int = HUGE_COUNT) -> str:
    """`count` entries of `feed`'s own shape: valid enough to be parsed entry by entry."""
    if feed == "crew":
        rows = [
            {"name": f"{letters(i)} {letters(i * 7919 % 10007)}son", "iss": True}
            for i in range(count)
        ]
        return json.dumps({"number": count, "iss_expedition": 72, "people": rows})
    if feed == "astros":
        rows = [{"name": f"{letters(i)} {letters(i)}ov", "craft": "ISS"} for i in range(count)]
        return json.dumps({"message": "success", "number": count, "people": rows})
    if feed in ("launches", "dockings"):
        base = datetime(2025, 4, 8, tzinfo=UTC)
        if feed == "launches":
            rows = [
                {
                    "id": i,
                    "name": f"Soyuz 2.1a | Soyuz MS-{100 + i}",
                    "net": f"{base + timedelta(minutes=i):%Y-%m-%dT%H:%M:%SZ}",
                }
                for i in range(count)
            ]
        else:
            rows = [
                {
                    "id": i,
                    "docking": f"{base + timedelta(minutes=i):%Y-%m-%dT%H:%M:%SZ}",
                    "flight_vehicle_chaser": {"spacecraft": {"name": f"Soyuz MS-{100 + i}"}},
                }
                for i in range(count)
            ]
        return json.dumps({"count": count, "results": rows})
    if feed == "docked":
        rows = [{"name": f"Progress MS-{i}", "mission_type": "cargo"} for i in range(count)]
        return json.dumps({"number": count, "spacecraft": rows})
    if feed == "position":
        fixes = [json.loads(good_payload("position", i, START)[1]) for i in range(100)]
        return json.dumps(fixes * (count // 200))
    # tle: many sets of other objects, the station's last.
    records = [omm_record(NORAD_CAT_ID=40000 + i) for i in range(count // 4)]
    return json.dumps([*records, omm_record()])


# Elements that parse but propagate to nonsense.
NONSENSE_ELEMENTS = {
    # Perigee far below the surface: SGP4 reports an error (NaN position, code 1 or 6).
    "elements_nan": {"ECCENTRICITY": 0.9, "MEAN_MOTION": 15.9},
    "elements_geo": {"MEAN_MOTION": 1.0027, "ECCENTRICITY": 0.0002, "INCLINATION": 0.05},
    "elements_fast": {"MEAN_MOTION": 19.9},
}


def nonsense_elements(fault: str) -> str:
    return json.dumps([omm_record(**NONSENSE_ELEMENTS[fault])])


@functools.lru_cache(maxsize=1)
def exotic_body(chars: int = 3_000) -> bytes:
    """Punycode of `chars` astral characters (slow to build: cached)."""
    return "".join(chr(0x10000 + i * 7919 % 0xFFFFF) for i in range(chars)).encode("punycode")


_BOMBS: dict[int, bytes] = {}
_BOMBS_LOCK = threading.Lock()


def gzip_bomb(size: int) -> bytes:
    """gzip of `size` spaces (valid JSON whitespace), built once per size."""
    with _BOMBS_LOCK:
        return _gzip_bomb(size)


def _gzip_bomb(size: int) -> bytes:
    if size not in _BOMBS:
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block = b" " * 1_048_576
        parts = [packer.compress(block) for _ in range(size // len(block))]
        parts.append(packer.compress(b" " * (size % len(block))))
        parts.append(packer.flush())
        _BOMBS[size] = b"".join(parts)
    return _BOMBS[size]


# --- the server ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    """One request the server answered (or refused to answer)."""

    feed: str
    fault: str  # what was chosen for this request: "good" or a fault name
    answer: str  # what was actually served ("flip" -> "good" or "http_503", ...)
    variant: str | None  # the payload variant, for the payload faults
    at: float  # time.monotonic() when the request arrived
    wall: datetime
    hop: bool = False  # a redirect-loop hop, not a request of the client's own


class FlakyPlan:
    """The `flaky` scenario's answers for one feed: seeded, so a run can be replayed and a
    test can predict what the server will answer (`flaky_sequence`)."""

    def __init__(
        self,
        seed: int,
        feed: str,
        faults: tuple[str, ...] = PER_REQUEST_FAULTS,
        bad_ratio: float = 0.5,
    ) -> None:
        self._rng = random.Random(f"{seed}:{feed}")
        self._feed = feed
        self._faults = faults
        self._bad_ratio = bad_ratio

    def next(self) -> tuple[str, str | None]:
        """(fault or "good", payload variant or None)."""
        if self._rng.random() >= self._bad_ratio:
            return GOOD, None
        fault = self._rng.choice(self._faults)
        if fault in PAYLOAD_FAULTS:
            return fault, self._rng.choice(variants(fault, self._feed))
        return fault, None


def flaky_sequence(
    seed: int,
    feed: str,
    n: int,
    faults: tuple[str, ...] = PER_REQUEST_FAULTS,
    bad_ratio: float = 0.5,
) -> list[tuple[str, str | None]]:
    """The first `n` answers the `flaky` scenario gives `feed` for `seed`."""
    plan = FlakyPlan(seed, feed, faults, bad_ratio)
    return [plan.next() for _ in range(n)]


class _Script:
    """Faults for one feed, in order; the last one repeats forever."""

    def __init__(self, faults: tuple[str, ...], variant: str | None) -> None:
        self.faults = faults
        self.variant = variant
        self.hits = 0

    def next(self) -> str:
        fault = self.faults[min(self.hits, len(self.faults) - 1)]
        self.hits += 1
        return fault


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: seven feeds connecting at once would overflow it,
    # and a dropped SYN is retried only after a second, which looks like a connect timeout.
    request_queue_size = 128
    daemon_threads = True


class FaultServer:
    """Serves the seven feeds on 127.0.0.1 with the faults asked for. Use as a context
    manager (or `start()`/`stop()`)."""

    def __init__(
        self,
        scenario: str = GOOD,
        *,
        seed: int = 0,
        port: int = 0,
        at: datetime | None = None,
        retry_after_s: int = 120,
        drip_s: float = 0.05,
        stall_s: float = 30.0,
        big_bytes: int = 3_000_000,
        schema_change_after: int = 2,
        flaky_faults: tuple[str, ...] = PER_REQUEST_FAULTS,
        flaky_bad_ratio: float = 0.5,
        log: Callable[[str], None] | None = None,
        poll_interval_s: float = 0.01,
        bomb_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}")
        self.scenario = scenario
        self.seed = seed
        self.at = at
        self.retry_after_s = retry_after_s
        self.drip_s = drip_s
        self.stall_s = stall_s
        self.big_bytes = big_bytes
        self.schema_change_after = schema_change_after
        self.flaky_faults = flaky_faults
        self.flaky_bad_ratio = flaky_bad_ratio
        self._log = log
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._scripts: dict[str, _Script] = {}
        self._plans = {feed: FlakyPlan(seed, feed, flaky_faults, flaky_bad_ratio) for feed in FEEDS}
        # The hostile scenario: every request a fault (of any kind) three times out of four.
        self._hostile = {
            feed: FlakyPlan(seed, feed, PER_REQUEST_FAULTS + HOSTILE_FAULTS, 0.75) for feed in FEEDS
        }
        self.bomb_bytes = bomb_bytes
        self._good_count = dict.fromkeys(FEEDS, 0)
        self._stateful_count = dict.fromkeys(FEEDS, 0)
        self._hits: list[Hit] = []

        # Bound and never listening: connections to it are refused by the kernel.
        self._refuser = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._refuser.bind(("127.0.0.1", 0))
        self.refused_port: int = self._refuser.getsockname()[1]
        # Listening with a full accept queue that is never drained: SYNs are dropped.
        self._blackhole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._blackhole.bind(("127.0.0.1", 0))
        self._blackhole.listen(0)
        self.blackhole_port: int = self._blackhole.getsockname()[1]
        self._fillers: list[socket.socket] = []
        for _ in range(2):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError, InterruptedError):
                filler.connect(("127.0.0.1", self.blackhole_port))
            self._fillers.append(filler)

        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "faultserver/1"

            def log_message(self, *args: object) -> None:  # quiet; see `log=`
                pass

            def do_GET(self) -> None:
                server._handle(self)

        self._httpd = _Server(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": poll_interval_s},  # also how long stop() takes
            daemon=True,
            name="faultserver",
        )

    # --- control ---

    def __enter__(self) -> FaultServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()  # wakes every stalled or dripping handler
        self._httpd.shutdown()
        self._httpd.server_close()
        for sock in (self._refuser, self._blackhole, *self._fillers):
            sock.close()

    def prepare_hostile(self) -> None:
        """Build the big hostile bodies now, not while a client waits (they are cached)."""
        gzip_bomb(self.bomb_bytes)
        exotic_body()
        for feed in FEEDS:
            huge_document(feed)

    def url(self, feed: str) -> str:
        self._check_feed(feed)
        return f"http://127.0.0.1:{self.port}/{feed}"

    def urls(self) -> dict[str, str]:
        return {feed: self.url(feed) for feed in FEEDS}

    def refused_url(self, feed: str) -> str:
        """A URL whose connection is refused (nothing listens on its port)."""
        return f"http://127.0.0.1:{self.refused_port}/{feed}"

    def blackhole_url(self, feed: str) -> str:
        """A URL whose connect never completes (the port's accept queue is full)."""
        return f"http://127.0.0.1:{self.blackhole_port}/{feed}"

    def set(self, feed: str, *faults: str, variant: str | None = None) -> None:
        """Override the scenario for `feed`: one fault for every request, or a script of
        them (the last repeats). `variant` picks a payload-fault body (see BAD_PAYLOADS).
        Stateful faults count from this call."""
        self._check_feed(feed)
        if not faults:
            raise ValueError("set() needs at least one fault (or 'good')")
        for fault in faults:
            if fault != GOOD and fault not in FAULTS + HOSTILE_FAULTS:
                raise ValueError(
                    f"unknown fault {fault!r}; one of {', '.join(FAULTS + HOSTILE_FAULTS)}"
                )
            if (
                variant is not None
                and fault in PAYLOAD_FAULTS
                and variant not in BAD_PAYLOADS[fault][feed]
            ):
                raise ValueError(f"no variant {variant!r} of {fault} for {feed}")
        with self._lock:
            self._scripts[feed] = _Script(tuple(faults), variant)
            self._stateful_count[feed] = 0

    def heal(self, feed: str | None = None) -> None:
        """Good answers from now on, for `feed` or for all of them."""
        for name in (feed,) if feed is not None else FEEDS:
            self.set(name, GOOD)

    def hits(self, feed: str | None = None, *, hops: bool = False) -> list[Hit]:
        """Requests so far (for `feed`, or all), oldest first; redirect-loop hops only when
        asked for."""
        with self._lock:
            return [
                h for h in self._hits if (feed is None or h.feed == feed) and (hops or not h.hop)
            ]

    def count(self, feed: str) -> int:
        return len(self.hits(feed))

    # --- choosing the answer ---

    @staticmethod
    def _check_feed(feed: str) -> None:
        if feed not in FEEDS:
            raise ValueError(f"unknown feed {feed!r}; one of {', '.join(FEEDS)}")

    def _choose(self, feed: str) -> tuple[str, str | None]:
        """(fault, payload variant) for the next request of `feed`. Holds the lock."""
        script = self._scripts.get(feed)
        if script is not None:
            return script.next(), script.variant
        if self.scenario == "flaky":
            return self._plans[feed].next()
        if self.scenario == "hostile":
            return self._hostile[feed].next()
        return self.scenario, None

    def _resolve(self, feed: str, fault: str) -> str:
        """A stateful fault's answer for this request. Holds the lock."""
        if fault not in STATEFUL_FAULTS:
            return fault
        n = self._stateful_count[feed]
        self._stateful_count[feed] = n + 1
        if fault == "schema_change":
            return GOOD if n < self.schema_change_after else "schema_change"
        return GOOD if n % 2 == 0 else FLIP_BAD[(n // 2) % len(FLIP_BAD)]

    # --- answering ---

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        feed = parts.path.strip("/")
        if feed not in FEEDS:
            self._send(handler, 404, "text/plain", self._index(), fault="-")
            return
        hop = "loop" in parse_qs(parts.query)
        with self._lock:
            if hop:
                fault, variant = "redirect_loop", None
            else:
                fault, variant = self._choose(feed)
            answer = self._resolve(feed, fault)
            n = self._good_count[feed]
            if answer in (GOOD, "extra_fields"):
                self._good_count[feed] = n + 1
            if answer in PAYLOAD_FAULTS and variant is None:
                variant = variants(answer, feed)[0]
            self._hits.append(
                Hit(feed, fault, answer, variant, time.monotonic(), datetime.now(UTC), hop=hop)
            )
        if self._log is not None and not hop:
            shown = answer if answer == fault else f"{fault} -> {answer}"
            self._log(f"{datetime.now(UTC):%H:%M:%S} /{feed}: {shown}")
        # The client giving up mid-answer is what several faults are for.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self._answer(handler, feed, answer, variant, n, parts.query)

    def _answer(
        self,
        handler: BaseHTTPRequestHandler,
        feed: str,
        answer: str,
        variant: str | None,
        n: int,
        query: str,
    ) -> None:
        if answer == GOOD:
            content_type, body = good_payload(feed, n, self.at)
            self._send(handler, 200, content_type, body, fault=answer)
        elif answer in PAYLOAD_FAULTS:
            body = bad_payload(feed, answer, variant)
            self._send(handler, 200, "application/json", body, fault=answer)
        elif answer == "schema_change":
            content_type, body = SCHEMA_V2[feed]()
            self._send(handler, 200, content_type, body, fault=answer)
        elif answer == "refused":
            location = f"http://127.0.0.1:{self.refused_port}/{feed}"
            self._send(handler, 307, "text/plain", "", fault=answer, Location=location)
        elif answer == "connect_timeout":
            location = f"http://127.0.0.1:{self.blackhole_port}/{feed}"
            self._send(handler, 307, "text/plain", "", fault=answer, Location=location)
        elif answer == "hangup":
            handler.close_connection = True  # finish() closes the socket, nothing sent
        elif answer == "headers_never":
            self._stop.wait(self.stall_s)
            handler.close_connection = True
        elif answer == "slow_body":
            _, body = good_payload(feed, n, self.at)
            data = body.encode()
            self._headers(handler, 200, "application/json", len(data), answer)
            for i in range(len(data)):
                handler.wfile.write(data[i : i + 1])
                handler.wfile.flush()
                if self._stop.wait(self.drip_s):
                    return
        elif answer == "http_429_retry_after":
            self._send(
                handler,
                429,
                "text/plain",
                "Too Many Requests\n",
                fault=answer,
                **{"Retry-After": str(self.retry_after_s)},
            )
        elif answer == "http_429":
            self._send(handler, 429, "text/plain", "Too Many Requests\n", fault=answer)
        elif answer == "http_500":
            self._send(handler, 500, "text/plain", "Internal Server Error\n", fault=answer)
        elif answer == "http_503":
            self._send(handler, 503, "text/html", HTML_ERROR_PAGE, fault=answer)
        elif answer == "html_error":
            self._send(handler, 200, "text/html; charset=utf-8", HTML_ERROR_PAGE, fault=answer)
        elif answer == "truncated_json":
            self._send(handler, 200, "application/json", truncated_body(feed), fault=answer)
        elif answer == "empty_body":
            self._send(handler, 200, "application/json", "", fault=answer)
        elif answer in ("too_large", "too_large_undeclared"):
            declared = self.big_bytes if answer == "too_large" else None
            self._headers(handler, 200, "application/json", declared, answer)
            self._stream_padding(handler, self.big_bytes)
        elif answer in HOSTILE_FAULTS:
            self._hostile_answer(handler, feed, answer, n)
        elif answer == "redirect_loop":
            hop = int(parse_qs(query).get("loop", ["0"])[0] or 0) + 1
            location = f"/{feed}?loop={hop}"
            self._send(handler, 302, "text/plain", "", fault=answer, Location=location)
        else:  # pragma: no cover - every name is handled above
            raise AssertionError(answer)

    def _hostile_answer(
        self, handler: BaseHTTPRequestHandler, feed: str, answer: str, n: int
    ) -> None:
        content_type, body = good_payload(feed, n, self.at)
        data = body.encode()
        if answer in ELEMENT_FAULTS and feed != "tle":
            answer = "huge_list"
        if answer == "gzip_stacked":
            packed = gzip.compress(gzip.compress(data))
            self._raw(handler, content_type, packed, answer, **{"Content-Encoding": "gzip, gzip"})
        elif answer == "encoding_unknown":
            self._raw(handler, content_type, data, answer, **{"Content-Encoding": "x-unknown"})
        elif answer == "encoding_lying":
            self._raw(handler, content_type, data, answer, **{"Content-Encoding": "gzip"})
        elif answer == "gzip_bomb":
            bomb = gzip_bomb(self.bomb_bytes)
            self._raw(handler, "application/json", bomb, answer, **{"Content-Encoding": "gzip"})
        elif answer == "charset_exotic":
            # Valid punycode that only a pure-Python codec decodes (its time grows with the
            # square of its length): refused unread.
            self._raw(handler, "application/json; charset=punycode", exotic_body(), answer)
        elif answer == "charset_lying":
            self._raw(handler, "application/json; charset=utf-16", data, answer)
        elif answer == "endless_chunked":
            handler.protocol_version = "HTTP/1.1"
            handler.close_connection = True
            self._headers(
                handler, 200, content_type, None, answer, **{"Transfer-Encoding": "chunked"}
            )
            piece = b" " * 1024
            while not self._stop.wait(self.drip_s):
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                handler.wfile.flush()
        elif answer in ("redirect_offsite", "redirect_scheme", "redirect_port"):
            location = {
                "redirect_offsite": f"http://upstream.invalid/{feed}",
                "redirect_scheme": f"https://127.0.0.1:{self.port}/{feed}",
                "redirect_port": f"http://127.0.0.1:{self.refused_port}/{feed}",
            }[answer]
            self._send(handler, 302, "text/plain", "", fault=answer, Location=location)
        elif answer == "huge_list":
            self._raw(handler, "application/json", huge_document(feed).encode(), answer)
        elif answer in ELEMENT_FAULTS:
            self._raw(handler, "application/json", nonsense_elements(answer).encode(), answer)
        else:  # pragma: no cover - every name is handled above
            raise AssertionError(answer)

    def _raw(
        self,
        handler: BaseHTTPRequestHandler,
        content_type: str,
        data: bytes,
        fault: str,
        **headers: str,
    ) -> None:
        self._headers(handler, 200, content_type, len(data), fault, **headers)
        handler.wfile.write(data)

    def _headers(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        content_type: str,
        length: int | None,
        fault: str,
        **headers: str,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        if length is not None:
            handler.send_header("Content-Length", str(length))
        handler.send_header("X-Fault", fault)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.flush()

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        content_type: str,
        body: str,
        *,
        fault: str,
        **headers: str,
    ) -> None:
        data = body.encode()
        self._headers(handler, status, content_type, len(data), fault, **headers)
        handler.wfile.write(data)

    def _stream_padding(self, handler: BaseHTTPRequestHandler, size: int) -> None:
        """`size` bytes of one valid JSON document, in 64 KiB writes."""
        head, tail = b'{"padding": "', b'"}'
        handler.wfile.write(head)
        left = size - len(head) - len(tail)
        chunk = b"x" * 65536
        while left > 0 and not self._stop.is_set():
            piece = chunk[: min(left, len(chunk))]
            handler.wfile.write(piece)
            left -= len(piece)
        handler.wfile.write(tail)

    def _index(self) -> str:
        lines = [f"faultserver: scenario {self.scenario}", ""]
        lines += [self.url(feed) for feed in FEEDS]
        return "\n".join(lines) + "\n"


# --- by hand -------------------------------------------------------------------------------


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.faultserver",
        description="Serve the seven issdash feeds on 127.0.0.1, with faults.",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--scenario", default=GOOD, choices=SCENARIOS, metavar="SCENARIO")
    parser.add_argument("--seed", type=int, default=0, help="for --scenario flaky")
    parser.add_argument("--retry-after", type=int, default=120, help="seconds, for 429s")
    parser.add_argument("--drip", type=float, default=0.05, help="seconds per body byte")
    parser.add_argument("--stall", type=float, default=30.0, help="headers_never hold, s")
    parser.add_argument("--big-bytes", type=int, default=3_000_000, help="too_large size")
    parser.add_argument("--bomb-bytes", type=int, default=256 * 1024 * 1024, help="gzip_bomb size")
    parser.add_argument("--list", action="store_true", help="list scenarios and faults")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    if args.list:
        print("scenarios:", ", ".join(SCENARIOS))
        print("per-request faults:", ", ".join(PER_REQUEST_FAULTS))
        print("stateful faults:", ", ".join(STATEFUL_FAULTS))
        print("hostile faults:", ", ".join(HOSTILE_FAULTS))
        return 0
    server = FaultServer(
        args.scenario,
        seed=args.seed,
        port=args.port,
        retry_after_s=args.retry_after,
        drip_s=args.drip,
        stall_s=args.stall,
        big_bytes=args.big_bytes,
        bomb_bytes=args.bomb_bytes,
        log=None if args.quiet else lambda line: print(line, flush=True),
    )
    server.start()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` ends it as cleanly as Ctrl+C
    seed = f" (seed {args.seed})" if args.scenario in ("flaky", "hostile") else ""
    print(f"faultserver: scenario {args.scenario}{seed} on 127.0.0.1:{server.port}")
    for feed in FEEDS:
        print(f"  {feed:<9} {server.url(feed)}")
    print("point issdash at it with:")
    for feed in FEEDS:
        print(f"  export ISSDASH_FEEDS__{feed.upper()}__URL={server.url(feed)}")
    print("Ctrl+C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        counts = ", ".join(f"{feed} {server.count(feed)}" for feed in FEEDS)
        print(f"\nrequests: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
