"""What an alert does (issue 17): the notification escapes are safe, the command hook runs
without a shell, is time-limited, and its failure is a notice, not a crash."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.driver import Driver

from issdash.model.passes.alerts import AlertOutcome, PassAlert
from issdash.model.passes.finder import Pass
from issdash.tui.passes.alert_effects import (
    AlertEffects,
    AlertEffectSettings,
    announcing,
    osc_notifications,
    run_hook,
    terminal_driver,
)


def test_notification_escapes_are_osc_9_and_777_and_carry_no_control_characters() -> None:
    hostile = "ISS visible in 10 min\x07\x1b]52;c;ZXZpbA==\x07; look NW\x1b[2J\n"
    data = osc_notifications(hostile)
    assert data.startswith("\x1b]9;ISS pass: ")
    assert "\x1b]777;notify;ISS pass;" in data
    # Exactly the two escapes: one ESC and one BEL each; nothing from the message survives
    # that could end them early or start another (a clipboard write, a screen clear).
    assert data.count("\x1b") == 2 and data.count("\x07") == 2
    body = data.split("\x1b]777;notify;ISS pass;")[1].removesuffix("\x07")
    assert body.startswith("ISS visible in 10 min")
    assert all(c.isprintable() for c in body)
    assert ";" not in body  # 777's field separator


async def test_the_hook_gets_the_message_as_one_argument_and_no_shell(tmp_path: Path) -> None:
    out = tmp_path / "argv.txt"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(repr(sys.argv[2:]))"
    message = "ISS visible now; touch /tmp/pwned $(id)"
    problem = await run_hook([sys.executable, "-c", script, str(out)], message, 10.0)
    assert problem is None
    assert out.read_text() == repr([message])
    assert not Path("/tmp/pwned").exists()


async def test_a_failing_hook_is_a_notice() -> None:
    script = "import sys; sys.stderr.write('no display\\nmore\\n'); sys.exit(3)"
    problem = await run_hook([sys.executable, "-c", script], "hello", 10.0)
    assert problem is not None
    assert "failed (exit 3)" in problem and "no display" in problem and "more" not in problem


async def test_a_missing_hook_is_a_notice() -> None:
    problem = await run_hook(["/nonexistent/notify-me"], "hello", 10.0)
    assert problem is not None and "could not start" in problem


async def test_a_hook_that_hangs_is_stopped_at_its_time_limit() -> None:
    started = time.monotonic()
    problem = await run_hook([sys.executable, "-c", "import time; time.sleep(60)"], "x", 0.5)
    assert problem is not None and "was stopped" in problem
    assert time.monotonic() - started < 10  # well before the 60 s it wanted


def test_alert_settings_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from issdash.config.settings import load_settings

    defaults = load_settings().alerts
    assert defaults.enabled and defaults.lead_min == 10 and defaults.bell and defaults.desktop
    assert defaults.command is None
    monkeypatch.setenv("ISSDASH_ALERTS__ENABLED", "false")
    monkeypatch.setenv("ISSDASH_ALERTS__LEAD_MIN", "15")
    monkeypatch.setenv("ISSDASH_ALERTS__COMMAND", '["notify-send", "ISS"]')
    alerts = load_settings().alerts
    assert not alerts.enabled and alerts.lead_min == 15
    assert alerts.command == ["notify-send", "ISS"]


# A hook that starts a child of its own (a player, a shell's `&`) which lives on, holding the
# hook's stderr; the child's pid is written to a file. Then the hook hangs or exits.
_FORKING_HOOK = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
open(sys.argv[1], "w").write(str(child.pid))
if sys.argv[2] == "hang":
    time.sleep(120)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan may wait for a PID 1 that never reaps)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _gone_soon(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _running(pid)


async def test_a_hung_hook_is_stopped_with_the_children_it_started(tmp_path: Path) -> None:
    """Only the hook was killed at its time limit: a child it had started (with our pipe)
    lived on, an orphan, for as long as it liked."""
    pid_file = tmp_path / "child.pid"
    argv = [sys.executable, "-c", _FORKING_HOOK, str(pid_file)]
    try:
        # asyncio's wait() also waits for the pipes, which the child held for its 120 s
        problem = await asyncio.wait_for(run_hook([*argv, "hang"], "ISS visible now", 1.5), 30)
    except TimeoutError:
        problem = "still running after 30 s"
    child = int(pid_file.read_text())
    try:
        assert problem is not None and "was stopped" in problem
        assert _gone_soon(child), "the hook's child outlived it"
    finally:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)


async def test_a_hook_that_exits_is_done_when_it_exits_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    """A hook that exited 0 while a child it started held its stderr was waited on until the
    time limit, then reported as "took over ... and was stopped", and the child lived on."""
    pid_file = tmp_path / "child.pid"
    argv = [sys.executable, "-c", _FORKING_HOOK, str(pid_file)]
    started = time.monotonic()
    try:
        problem = await asyncio.wait_for(run_hook([*argv, "exit"], "ISS visible now", 20.0), 40)
    except TimeoutError:
        problem = "still running after 40 s"
    elapsed = time.monotonic() - started
    child = int(pid_file.read_text())
    try:
        assert problem is None
        assert elapsed < 15, f"waited {elapsed:.1f} s for a hook that had exited"
        assert _gone_soon(child), "the hook's child outlived it"
    finally:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)


async def test_a_hook_that_closes_stderr_and_hangs_is_stopped() -> None:
    """The limit was applied to reading stderr, then again to the wait: a hook that closed its
    stderr early and then hung ran for up to twice its limit. That it is stopped is checked
    here; that it takes the limit once, not twice, is timed by `make bench`
    (scripts/suite_budgets.py, hook_time_limit)."""
    script = "import os, time; time.sleep(0.2); os.close(2); time.sleep(60)"
    problem = await run_hook([sys.executable, "-c", script], "x", 1.0)
    assert problem is not None and "was stopped" in problem


class _TerminalDriver(Driver):
    """A terminal that keeps what is written to it (neither headless nor a browser)."""

    def __init__(self, app: App[Any], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.written: list[str] = []

    def write(self, data: str) -> None:
        self.written.append(data)

    def start_application_mode(self) -> None: ...

    def disable_input(self) -> None: ...

    def stop_application_mode(self) -> None: ...


def _alert() -> AlertOutcome:
    due = datetime(2025, 4, 8, 9, 15, tzinfo=UTC)
    p = Pass(due, due, due, 45.0, True)
    return AlertOutcome(PassAlert("soon", due, p, "ISS visible in 10 min"), "fired")


async def test_desktop_notifications_go_through_the_driver_the_app_draws_through() -> None:
    """No private Textual API: the app's driver class is `announcing(...)` (from the public
    `App.get_driver_class`), and the escapes go to that driver, in one write."""
    settings = AlertEffectSettings(bell=False, desktop=True, toast=False)
    app: App[None] = App()
    effects = AlertEffects(app, settings, lambda _notice: None)
    assert terminal_driver(app) is None and not effects.can_write_escapes()
    effects.deliver(_alert())  # nowhere to write: nothing written, no error
    driver = announcing(_TerminalDriver)(app, debug=False, mouse=False, size=(80, 24))
    assert isinstance(driver, _TerminalDriver)
    assert terminal_driver(app) is driver and effects.can_write_escapes()
    effects.deliver(_alert())
    assert driver.written == [osc_notifications("ISS visible in 10 min")]
    assert announcing(_TerminalDriver) is type(driver)  # one subclass per driver class
