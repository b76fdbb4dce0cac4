"""The first five minutes: `make demo` installs only what the dashboard needs, and the
mistakes people make in flags, variables and config files are one line in words, exit 2."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from issdash.commands.cli import main
from issdash.config.settings import Settings, SettingsError, load_settings
from tests.support.processes import issdash, offline_env

# Many seconds in all (a real process per case):
# `make check` leaves them to `make test`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent.parent
DEMO_AT = "2025-04-08T08:00:00Z"
PYDANTIC_WORDS = ("validation error", "Input should", "Traceback")


def one_clean_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(("issdash: error:", "issdash status: error:")), stderr
    for words in PYDANTIC_WORDS:
        assert words not in stderr
    return lines[0]


# -- make demo: the dashboard's packages only, with progress ----------------------------


def _make_dry_run(tmp_path: Path, target: str, stamps: tuple[str, ...]) -> str:
    """What `make TARGET` would run in a checkout whose venv holds `stamps` (newer than
    pyproject.toml)."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    venv = tmp_path / ".venv"
    venv.mkdir(exist_ok=True)
    for stamp in (venv / ".installed-runtime", venv / ".installed"):
        stamp.unlink(missing_ok=True)
    for name in stamps:
        (venv / name).touch()
        later = (tmp_path / "pyproject.toml").stat().st_mtime + 10
        os.utime(venv / name, (later, later))
    result = subprocess.run(
        ["make", "-n", target], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    return result.stdout


def _pip_installs(commands: str) -> list[str]:
    return [line for line in commands.splitlines() if "pip" in line and " install " in line]


def test_make_demo_installs_the_runtime_only_with_visible_progress(tmp_path: Path) -> None:
    installs = _pip_installs(_make_dry_run(tmp_path, "demo", ()))
    assert any(line.endswith("install -e .") for line in installs), installs
    assert not any("[dev]" in line or "[test]" in line for line in installs)
    assert not any("--quiet" in line or " -q" in line for line in installs)


def test_make_demo_after_make_test_installs_nothing(tmp_path: Path) -> None:
    both = (".installed-runtime", ".installed")
    assert _pip_installs(_make_dry_run(tmp_path, "demo", both)) == []


def test_make_test_after_make_demo_adds_only_the_dev_tools(tmp_path: Path) -> None:
    installs = _pip_installs(_make_dry_run(tmp_path, "test", (".installed-runtime",)))
    assert len(installs) == 1 and "'.[dev]'" in installs[0], installs


def test_make_test_from_scratch_installs_both(tmp_path: Path) -> None:
    installs = _pip_installs(_make_dry_run(tmp_path, "test", ()))
    assert any(line.endswith("install -e .") for line in installs)
    assert any("'.[dev]'" in line for line in installs)


# -- the mistakes people make, as real processes ----------------------------------------


def test_a_broken_config_names_the_file_and_the_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('min_elevation_deg = 10\nobserver = "51.5,-0.1\n')
    result = issdash("--config", str(config), "status", env=offline_env(tmp_path))
    assert result.returncode == 2
    line = one_clean_line(result.stderr)
    assert str(config) in line and "line 2" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'obsrever = "51.5,-0.1"\n',
            "unknown key 'obsrever' in {path}; did you mean 'observer'? valid keys: alerts, bus, ",
        ),
        (
            "[feeds.position]\nintervl_s = 30\n",
            "unknown key 'feeds.position.intervl_s' in [feeds.position] of {path}; did you mean"
            " 'interval_s'? valid keys: enabled, interval_s, retry_max_s, timeout_s, url",
        ),
        (
            "[kiosk]\ncycle = 30\n",
            "unknown key 'kiosk.cycle' in [kiosk] of {path}; did you mean 'cycle_s'? valid keys: ",
        ),
    ],
)
def test_a_misspelled_key_is_reported_with_a_suggestion_and_the_valid_ones(
    tmp_path: Path, text: str, expected: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    result = issdash("--config", str(config), "status", env=offline_env(tmp_path))
    assert result.returncode == 2
    assert expected.format(path=config) in one_clean_line(result.stderr)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("200,0", "latitude must be between -90 and 90 degrees; got 200"),
        ("0,200", "longitude must be between -180 and 180 degrees; got 200"),
        ("0,0,99999", "altitude must be between -500 and 9000 metres; got 99999"),
        ("nowhere", "observer must be LAT,LON[,ALT_M], got 'nowhere'"),
    ],
)
@pytest.mark.parametrize("where", ["flag", "env", "config"])
def test_an_impossible_observer_says_what_is_allowed(
    tmp_path: Path, value: str, expected: str, where: str
) -> None:
    env = offline_env(tmp_path)
    args = ["status", "--demo", "--at", DEMO_AT]
    if where == "flag":
        args += ["--observer", value]
        named = "argument --observer: "
    elif where == "env":
        env["ISSDASH_OBSERVER"] = value
        named = "ISSDASH_OBSERVER: "
    else:
        config = tmp_path / "config.toml"
        config.write_text(f'observer = "{value}"\n')
        args = ["--config", str(config), *args]
        named = f"observer in {config}: "
    result = issdash(*args, env=env)
    assert result.returncode == 2
    assert named + expected in one_clean_line(result.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("speed", ["0", "-5", "abc", "nan", "20000"])
def test_an_impossible_speed_says_what_speeds_are_allowed(tmp_path: Path, speed: str) -> None:
    result = issdash("--demo", f"--speed={speed}", env=offline_env(tmp_path))
    assert result.returncode == 2
    line = one_clean_line(result.stderr)
    assert "greater than 0 and at most 10000" in line
    assert "1, 10, 60, 300, 1000" in line  # the ladder the + and - keys step through


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ISSDASH_MIN_ELEVATION_DEG", "95", "must be between 0 and 89 degrees; got '95'"),
        ("ISSDASH_MIN_ELEVATION_DEG", "high", "must be a number between 0 and 89 degrees"),
        ("ISSDASH_FEEDS__POSITION__INTERVAL_S", "0.5", "must be at least 1 second; got '0.5'"),
        ("ISSDASH_FEEDS__CREW__ENABLED", "maybe", "must be true or false; got 'maybe'"),
        ("ISSDASH_FLAGS", "big", "must be one of 'auto', 'emoji', 'letters'; got 'big'"),
        ("ISSDASH_GLYPHS", "braille", "must be one of 'auto', 'unicode', 'console'; got 'braille'"),
        ("ISSDASH_SERVE__MAX_SESSIONS", "0", "must be between 1 and 1000; got '0'"),
        # ZoneInfo raises IsADirectoryError / OSError for these: it was exit status 1
        ("ISSDASH_TIMEZONE", "Europe", "unknown time zone 'Europe'"),
        ("ISSDASH_TIMEZONE", "x" * 300, "unknown time zone 'xxxx"),
        ("ISSDASH_SERVE__TRUSTED_ORIGINS", "https://a", "must be a list of texts"),
        ("ISSDASH_FEEDS", "x", "not JSON for a table of settings; set its keys one at a time"),
        (
            "ISSDASH_OBSRVER",
            "1,2",
            "did you mean 'ISSDASH_OBSERVER'? valid: ISSDASH_ALERTS, ISSDASH_BUS, ",
        ),
    ],
)
def test_every_setting_error_names_the_variable_and_what_it_allows(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    env = offline_env(tmp_path, **{variable: value})
    result = issdash("status", "--demo", "--at", DEMO_AT, env=env)
    assert result.returncode == 2
    line = one_clean_line(result.stderr)
    assert variable in line and expected in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--min-elevation", "95"], "--min-elevation must be between 0 and 89 degrees; got 95"),
        (["--min-elevation", "x"], "--min-elevation: 'x': must be a number of degrees"),
        (["--timeout", "0"], "--timeout: '0': must be a number of seconds greater than 0"),
        (["--elements-history", "/dev/zero"], "elements history /dev/zero: not a regular file"),
    ],
)
def test_other_flags_say_what_they_allow(tmp_path: Path, args: list[str], expected: str) -> None:
    result = issdash("status", "--demo", "--at", DEMO_AT, *args, env=offline_env(tmp_path))
    assert result.returncode == 2
    assert expected in one_clean_line(result.stderr)


def test_a_misspelled_feed_to_record_is_named_with_a_suggestion(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    result = issdash("record", str(out), "--feeds", "tle,postion", env=offline_env(tmp_path))
    assert result.returncode == 2
    assert "unknown feed(s): postion; did you mean 'position'? valid: tle, position" in (
        one_clean_line(result.stderr)
    )
    assert not out.exists()


def test_a_flag_error_is_one_line_without_the_usage_dump(tmp_path: Path) -> None:
    result = issdash("--no-such-flag", env=offline_env(tmp_path))
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-flag (see issdash --help)" in one_clean_line(
        result.stderr
    )


def test_a_path_with_a_nul_character_is_refused_at_load(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('elements_history = "a\\u0000b"\n')
    with pytest.raises(SettingsError, match=r"a path cannot contain a NUL character"):
        load_settings(config)


# -- properties: whatever is written in a known key, words and 0/2/3 ----------------------


def _leaf_keys(model: type[BaseModel], where: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every key a config file may hold, tables and the keys in them."""
    for name, field in model.model_fields.items():
        yield (*where, name)
        for sub in (field.annotation, *get_args(field.annotation)):
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                yield from _leaf_keys(sub, (*where, name))


KNOWN_KEYS = sorted(set(_leaf_keys(Settings)))

# Text a config file or an environment variable can hold (no lone surrogates; the
# environment no NUL).
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
env_texts = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=20
)
numbers_as_text = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1,2", "200,0", "0,0,99999", "22:00-06:30", "true", "[]", '["x"]', "{}"]),
    # Texts that name files where names are looked up (zones: a directory, too long a name;
    # places: too long, ambiguous), and commands that cannot run.
    st.sampled_from(["Europe", "x" * 300, "Ede", "a" * 5000, '[""]', '["/"]', '["a\\u0000"]']),
)
scalars = st.one_of(
    texts,
    numbers_as_text,
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner),
    max_leaves=4,
)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, str):
        escaped = "".join(
            ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}"
            for ch in value
            if ord(ch) <= 0xFFFF
        )
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"


OUTCOMES: list[tuple[int, str]] = []
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(
    config=st.dictionaries(st.sampled_from(KNOWN_KEYS), toml_values, max_size=3),
    environment=st.dictionaries(
        st.sampled_from(KNOWN_KEYS), env_texts | numbers_as_text, max_size=2
    ),
)
def test_any_value_in_any_known_key_is_a_clean_exit(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: dict[tuple[str, ...], Any],
    environment: dict[tuple[str, ...], str],
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative path in a setting lands here
    path = tmp_path / "config.toml"
    path.write_text("".join(f"{'.'.join(k)} = {_toml(v)}\n" for k, v in config.items()))
    variables = {"ISSDASH_" + "__".join(k).upper(): v for k, v in environment.items()}
    out, err = io.StringIO(), io.StringIO()
    with _environment(variables), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([f"--config={path}", "status", "--demo", f"--at={DEMO_AT}", "--json"])
        except SystemExit as exc:  # argparse's own exit, for a flag error
            code = int(exc.code or 0)
    stderr = err.getvalue()
    OUTCOMES.append((code, stderr))
    assert code in (0, 2, 3), stderr
    for words in PYDANTIC_WORDS:
        assert words not in stderr
    if code == 2:
        one_clean_line(stderr)


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- the browser test without Chromium ------------------------------------------------


def _browser_test_without_chromium(tmp_path: Path, prelude: str, path: str) -> str:
    """tests/commands/test_browser.py run where no Chromium is on PATH: its outcome line."""
    code = (
        f"{prelude}\nimport pytest, sys\n"
        "sys.exit(pytest.main(['-q', '-rs', '-p', 'no:cacheprovider', '--basetemp', "
        f"{str(tmp_path / 'base')!r}, 'tests/commands/test_browser.py']))"
    )
    env = {**offline_env(tmp_path), "PATH": path, "COLUMNS": "400"}  # reasons not cut
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr  # skipped is not failed
    return result.stdout


@pytest.mark.slow
def test_the_browser_test_skips_with_the_reason_when_not_root(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    out = _browser_test_without_chromium(
        tmp_path, "import os\nos.geteuid = lambda: 1000  # not root", str(empty)
    )
    assert "1 skipped" in out
    assert "Chromium is absent and cannot be installed here" in out
    assert "need root and apt-get" in out


@pytest.mark.slow
def test_the_browser_test_skips_with_the_reason_when_apt_fails(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    apt = fake / "apt-get"
    apt.write_text("#!/bin/sh\necho 'E: Unable to locate package chromium' >&2\nexit 100\n")
    apt.chmod(0o755)
    out = _browser_test_without_chromium(tmp_path, "import os\nos.geteuid = lambda: 0", str(fake))
    assert "1 skipped" in out
    assert "apt-get could not install it" in out and "exited 100" in out
