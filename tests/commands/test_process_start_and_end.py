"""How the program starts and ends. Importing the command line loads none of the heavy
libraries (`main` pauses the garbage collector before they are imported). The end
(`issdash.commands.exits.end`): after a one-off command (`status`, `passes`) without the
interpreter's teardown, its output whole and its exit status kept; after anything else, the
normal way (exit handlers run, threads waited for)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.support.processes import ROOT, run_isolated

# Exit handlers run only in a normal exit; a skipped teardown skips them too.
PROGRAM = """
import atexit, sys, threading, time
from issdash.commands.exits import declare_one_off, end

atexit.register(lambda: print("exit handler ran", flush=True))
{setup}
sys.stdout.write("x" * 200_000 + "\\n")  # more than one buffer and one pipe's worth
end(3)
"""


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    result = run_isolated(
        """
        import json, sys
        from issdash.commands.cli import main, run
        heavy = ("pydantic", "pydantic_settings", "numpy", "skyfield", "asyncio", "textual")
        print(json.dumps({"loaded": sorted(m for m in sys.modules if m in heavy)}))
        """
    )
    assert result["loaded"] == []


def run(setup: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROGRAM.format(setup=setup))],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


def test_a_one_off_ends_without_teardown_its_output_whole() -> None:
    done = run("declare_one_off()")
    assert done.returncode == 3
    assert done.stdout == "x" * 200_000 + "\n"  # flushed before the end
    assert done.stderr == ""


def test_any_other_command_ends_the_normal_way() -> None:
    done = run("")
    assert done.returncode == 3
    assert done.stdout.endswith("x\nexit handler ran\n")


def test_a_thread_still_working_is_waited_for() -> None:
    setup = """
declare_one_off()
def work():
    time.sleep(0.2)
    print("thread done", flush=True)
threading.Thread(target=work).start()
"""
    done = run(setup)
    assert done.returncode == 3
    assert done.stdout.endswith("x\nthread done\nexit handler ran\n")


def test_a_reader_gone_away_ends_quietly() -> None:
    """`issdash status | head -c 10`: the pipe closes early; no traceback, no exception
    message, the exit status kept."""
    code = textwrap.dedent(PROGRAM.format(setup="declare_one_off()"))
    with subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(10) == b"x" * 10
        process.stdout.close()
        err = process.stderr.read()
        assert process.wait(timeout=60) == 3
    assert err == b""
