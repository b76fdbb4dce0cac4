"""Every local read is bounded: cache, recordings and config are read only when they are regular
files under a size cap, and parsed with depth and number limits. Property-based tests give the
three loaders arbitrary bytes, arbitrary JSON/TOML and mutations of real files: the answer is
a value or a clean error, never another exception."""

from __future__ import annotations

import gzip
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issdash.config.settings import FEED_NAMES, SettingsError, load_settings
from issdash.feeds import localfiles
from issdash.feeds.cache import FeedCache
from issdash.feeds.localfiles import LocalFileError, read_bounded
from issdash.feeds.recording import RecordingError, load_recording
from issdash.feeds.sources import RawResponse

NOW = datetime(2025, 4, 8, 8, 0, tzinfo=UTC)
HEADER = {
    "format": "issdash-recording",
    "version": 1,
    "feeds": ["tle"],
    "start": "2025-04-08T05:44:00Z",
    "end": "2025-04-08T13:00:00Z",
    "description": "test",
}
ENTRY = {
    "feed": "crew",
    "url": "https://x.invalid/",
    "received_at": "2025-04-08T06:00:00Z",
    "status": 200,
    "content_type": "application/json",
    "body": "{}",
}
HOSTILE = {
    "deep JSON": "[" * 100_000 + "]" * 100_000,
    "deep object": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "5,000-digit number": "1" * 5000,
    "5,000-digit number in a field": '{"status": ' + "9" * 5000 + "}",
    "NaN": '{"status": NaN}',
    "not UTF-8": "\udcff",
}


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    yield path


def quickly(call: Any, *args: Any) -> Any:
    """Run `call` in a thread; fail (instead of hanging the suite) if it has not returned in
    30 s (it returns at once; the deadline is generous for a loaded machine)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = call(*args)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30.0)
    assert not thread.is_alive(), f"{call.__name__} still running after 30 s"
    if "error" in result:
        raise result["error"]
    return result.get("value")


# -- the bounded reader ---------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_at_once(device: str) -> None:
    with pytest.raises(LocalFileError, match="not a regular file \\(a character device\\)"):
        quickly(read_bounded, Path(device), "recording", 1000)


def test_a_fifo_is_refused_at_once(fifo: Path) -> None:
    with pytest.raises(LocalFileError, match="not a regular file \\(a FIFO\\)"):
        quickly(read_bounded, fifo, "cache file", 1000)


def test_size_cap(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 1001)
    with pytest.raises(LocalFileError, match="1,001 bytes, over the 1,000-byte limit"):
        read_bounded(tmp_path / "big", "config file", 1000)
    assert read_bounded(tmp_path / "big", "config file", 1001) == b"x" * 1001


# -- recordings (--demo PATH) ---------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_recording_from_a_device_is_a_clean_error(device: str) -> None:
    with pytest.raises(RecordingError, match=f"recording {device}: not a regular file"):
        quickly(load_recording, Path(device), FEED_NAMES)


def test_recording_from_a_fifo_is_a_clean_error(fifo: Path) -> None:
    with pytest.raises(RecordingError, match="not a regular file \\(a FIFO\\)"):
        quickly(load_recording, fifo, FEED_NAMES)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_recording_lines_are_skipped_with_a_reason(tmp_path: Path, name: str) -> None:
    path = tmp_path / "r.jsonl"
    good = json.dumps(ENTRY)
    path.write_text(f"{json.dumps(HEADER)}\n{HOSTILE[name]}\n{good}\n", errors="surrogateescape")
    recording = load_recording(path, FEED_NAMES)
    assert len(recording.entries["crew"]) == 1  # the good line after it still loads
    assert recording.problems and recording.problems[0].startswith("line 2: ")


def test_recording_over_the_cap_on_disk_and_once_decompressed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("issdash.feeds.recording.RECORDING_MAX_BYTES", 10_000)
    plain = tmp_path / "big.jsonl"
    plain.write_text(json.dumps(HEADER) + "\n" + " " * 20_000 + "\n")
    with pytest.raises(RecordingError, match="over the 10,000-byte limit"):
        load_recording(plain, FEED_NAMES)
    bomb = tmp_path / "bomb.jsonl.gz"  # 1 MB of spaces compresses to about 1 KB
    bomb.write_bytes(gzip.compress((json.dumps(HEADER) + "\n" + " " * 1_000_000).encode()))
    assert bomb.stat().st_size < 10_000
    with pytest.raises(RecordingError, match="once decompressed, over the limit"):
        load_recording(bomb, FEED_NAMES)


# -- cache ----------------------------------------------------------------------------


def cache_record(**changes: Any) -> dict[str, Any]:
    return {**ENTRY, "feed": "tle", "body": "ISS", **changes}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_bad_cache_file_is_set_aside_with_a_notice_and_replaced(tmp_path: Path, name: str) -> None:
    (tmp_path / "tle.json").write_text(HOSTILE[name], errors="surrogateescape")
    cache = FeedCache(tmp_path)
    notices: list[str] = []
    cache.on_notice = notices.append
    assert cache.load("tle") is None
    assert not (tmp_path / "tle.json").exists()
    assert (tmp_path / "tle.json.bad").exists()  # kept for a look, never read again
    assert len(notices) == 1 and "set aside as tle.json.bad" in notices[0]
    good = RawResponse("u", 200, "text/plain", "ISS", NOW)
    cache.save("tle", good)
    assert FeedCache(tmp_path).load("tle") == good  # the next good fetch replaced it


def test_fifo_in_the_cache_does_not_hang_start_up(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "crew.json")
    cache = FeedCache(tmp_path)
    assert quickly(cache.load, "crew") is None
    assert (tmp_path / "crew.json.bad").exists()


def test_huge_cache_file_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("issdash.feeds.cache.CACHE_MAX_BYTES", 1000)
    (tmp_path / "tle.json").write_text(json.dumps(cache_record(body="x" * 5000)))
    notices: list[str] = []
    cache = FeedCache(tmp_path)
    cache.on_notice = notices.append
    assert cache.load("tle") is None
    assert "over the 1,000-byte limit" in notices[0]


def test_orphan_temporary_files_are_removed_at_start(tmp_path: Path) -> None:
    orphans = [tmp_path / f".tle.{n}.tmp" for n in range(19)]
    for orphan in orphans:
        orphan.write_text("{half a wri")
        old = time.time() - 3600
        os.utime(orphan, (old, old))
    fresh = tmp_path / ".crew.inflight.tmp"  # another process writing right now: left alone
    fresh.write_text("{")
    (tmp_path / "tle.json").write_text(json.dumps(cache_record()))
    assert FeedCache(tmp_path).load("tle") is not None
    assert not any(o.exists() for o in orphans)
    assert fresh.exists()


# -- config ---------------------------------------------------------------------------


def test_config_that_is_not_a_regular_file(fifo: Path) -> None:
    with pytest.raises(SettingsError, match="not a regular file \\(a FIFO\\)"):
        quickly(load_settings, fifo)
    with pytest.raises(SettingsError, match="/dev/zero: not a regular file"):
        quickly(load_settings, Path("/dev/zero"))


def test_big_config_is_refused_quickly(tmp_path: Path) -> None:
    # The 113 MB config once took 600 MB and 32 s; the cap refuses it before reading.
    path = tmp_path / "big.toml"
    with path.open("w") as handle:
        handle.truncate(113_000_000)  # sparse: no disk used
    with pytest.raises(SettingsError, match="over the 1,000,000-byte limit"):
        quickly(load_settings, path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = " + "[" * 5000 + "]" * 5000, "nested"),
        ("a = 1\n" + "".join(f"[{'x.' * 40}y]\n" for _ in range(1)), "nested more than 8"),
        ("a = " + "1" * 5000, "digits"),
        ('observer = "1,2"\nfoo = = 3\n', "at line 2"),
        ("\udcff", "not UTF-8"),
    ],
)
def test_hostile_config_is_one_clean_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, errors="surrogateescape")
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    assert str(error.value).startswith(f"config file {path}:")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_unknown_keys_are_reported_with_the_valid_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('obsever = "51.5,-0.1"\n')
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    assert str(error.value) == (
        f"unknown key 'obsever' in {path}; did you mean 'observer'? valid keys: alerts, bus,"
        " cache_dir, elements_history, feeds, flags, glyphs, kiosk, log_file, map,"
        " min_elevation_deg, observer, place, serve, timezone"
    )
    path.write_text('[feeds.tle]\nurll = "x"\n')
    with pytest.raises(
        SettingsError, match=r"'feeds.tle.urll' in \[feeds.tle\] of .*valid keys: enabled, "
    ):
        load_settings(path)
    monkeypatch.setenv("ISSDASH_KIOSK__DIMM", "22:00-06:00")
    with pytest.raises(SettingsError, match=r"ISSDASH_KIOSK__DIMM .* ISSDASH_KIOSK__DIM, "):
        load_settings()


@pytest.mark.parametrize(
    "dim", ["99:99-99:99", "25:00-06:00", "22:60-06:00", "22:00", "22:00-06:00-07:00", "a-b"]
)
def test_impossible_dim_times_are_rejected_at_load(
    monkeypatch: pytest.MonkeyPatch, dim: str
) -> None:
    monkeypatch.setenv("ISSDASH_KIOSK__DIM", dim)
    with pytest.raises(SettingsError, match=r"^ISSDASH_KIOSK__DIM: not a time"):
        load_settings()


def test_good_dim_times_are_parsed_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSDASH_KIOSK__DIM", "22:00-24:00")
    dim = load_settings().kiosk.dim_range()
    assert dim is not None and (dim[0].hour, dim[1].hour) == (22, 0)


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_no_infinite_intervals(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ISSDASH_FEEDS__CREW__INTERVAL_S", value)
    with pytest.raises(SettingsError, match=r"^ISSDASH_FEEDS__CREW__INTERVAL_S must be a number"):
        load_settings()


# -- properties: a value or a clean error, never another exception --------------------

PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _mutations(base: bytes) -> st.SearchStrategy[bytes]:
    """A real file with bytes flipped, cut or inserted."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(base)
        for _ in range(draw(st.integers(1, 5))):
            where = draw(st.integers(0, max(0, len(data) - 1)))
            action = draw(st.sampled_from(["flip", "cut", "insert"]))
            if action == "flip" and data:
                data[where] = draw(st.integers(0, 255))
            elif action == "cut":
                del data[where:]
            else:
                data[where:where] = draw(st.binary(min_size=1, max_size=8))
        return bytes(data)

    return mutate()


REAL_RECORDING = (
    json.dumps(HEADER) + "\n" + json.dumps(ENTRY) + "\n" + json.dumps({**ENTRY, "error": "x"})
).encode()
REAL_CACHE = json.dumps(cache_record()).encode()
REAL_CONFIG = b'observer = "51.5,-0.13,35"\n[feeds.position]\nurl = "http://x/"\ninterval_s = 10\n'


def _load_recording_or_clean_error(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        recording = load_recording(path, FEED_NAMES)
    except RecordingError as exc:
        assert "\n" not in str(exc)
        return
    assert recording.end >= recording.start
    for problem in recording.problems:
        assert "\n" not in problem and "\x1b" not in problem


@PROPERTY
@given(
    data=st.binary(max_size=2000)
    | _mutations(REAL_RECORDING)
    | _mutations(gzip.compress(REAL_RECORDING))
)
def test_recording_loader_property_bytes(tmp_path: Path, data: bytes) -> None:
    _load_recording_or_clean_error(tmp_path / "r.jsonl", data)


@PROPERTY
@given(lines=st.lists(json_values, max_size=4), header=st.booleans())
def test_recording_loader_property_json(tmp_path: Path, lines: list[Any], header: bool) -> None:
    text = "\n".join(json.dumps(x) for x in ([HEADER] if header else []) + lines)
    _load_recording_or_clean_error(tmp_path / "r.jsonl", text.encode())


def _load_cache_or_clean_error(folder: Path, data: bytes) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "tle.json").write_bytes(data)
    cache = FeedCache(folder)
    raw = cache.load("tle")
    if raw is None:
        assert cache.notice is not None and "tle.json" in cache.notice
        assert not (folder / "tle.json").exists()
    else:
        assert isinstance(raw.body, str) and isinstance(raw.status, int)


@PROPERTY
@given(data=st.binary(max_size=2000) | _mutations(REAL_CACHE))
def test_cache_loader_property_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    _load_cache_or_clean_error(tmp_path_factory.mktemp("c"), data)


@PROPERTY
@given(
    value=json_values
    | st.fixed_dictionaries(
        {}, optional={k: st.just(v) | json_values for k, v in cache_record().items()}
    )
)
def test_cache_loader_property_json(tmp_path_factory: pytest.TempPathFactory, value: Any) -> None:
    _load_cache_or_clean_error(tmp_path_factory.mktemp("c"), json.dumps(value).encode())


def _settings_or_clean_error(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        load_settings(path)
    except SettingsError as exc:  # every problem, values out of range too, in words
        assert "\n" not in str(exc)
        assert "Input should" not in str(exc) and "validation error" not in str(exc)


toml_keys = st.sampled_from(["observer", "obsever", "feeds", "kiosk", "map", "min_elevation_deg"])
toml_scalars = st.integers() | st.text(max_size=10) | st.booleans() | st.floats(allow_nan=False)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else "0.0"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


@PROPERTY
@given(data=st.binary(max_size=1000) | _mutations(REAL_CONFIG))
def test_settings_loader_property_bytes(tmp_path: Path, data: bytes) -> None:
    _settings_or_clean_error(tmp_path / "c.toml", data)


@PROPERTY
@given(
    table=st.dictionaries(toml_keys, toml_scalars, max_size=4),
    section=st.sampled_from(["feeds.tle", "kiosk", "map", "nope", "feeds.nope"]),
    inner=st.dictionaries(st.sampled_from(["url", "dim", "cycle_s", "x"]), toml_scalars),
)
def test_settings_loader_property_toml(
    tmp_path: Path, table: dict[str, Any], section: str, inner: dict[str, Any]
) -> None:
    text = "".join(
        f"{k} = {_toml(v)}\n" for k, v in table.items() if k not in ("feeds", "kiosk", "map")
    )
    text += f"[{section}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in inner.items())
    _settings_or_clean_error(tmp_path / "c.toml", text.encode())


def test_caps_are_stated_in_the_readme() -> None:
    readme = (Path(__file__).parent.parent.parent / "README.md").read_text()
    for cap in (
        localfiles.CONFIG_MAX_BYTES,
        localfiles.CACHE_MAX_BYTES,
        localfiles.RECORDING_MAX_BYTES,
    ):
        assert f"{cap // 1_000_000} MB" in readme
