"""What a fresh `issdash status --json --demo --at T` process does before it answers (issue 26):
it leaves out what it never uses. Its polls are single attempts, so tenacity (the pollers'
retries) is not imported; pydantic's plugin scan (every installed distribution's entry points)
is switched off unless the user's environment says otherwise."""

from __future__ import annotations

from pathlib import Path

from tests.support.processes import offline_env, run_isolated

AT = "2025-04-08T08:00:00Z"


def status_process(env: dict[str, str]) -> dict[str, list[str]]:
    return run_isolated(
        f"""
        import contextlib, io, json, os, sys
        os.environ.clear()
        os.environ.update({env!r})
        import importlib.metadata
        scanned = []
        real_entry_points = importlib.metadata.entry_points

        def entry_points(**params):
            scanned.append(str(params.get("group")))
            return real_entry_points(**params)

        importlib.metadata.entry_points = entry_points
        from issdash.commands.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["status", "--json", "--demo", "--at", "{AT}"])
        print(json.dumps({{
            "code": [str(code)],
            "answer": [json.loads(out.getvalue())["time"]],
            "tenacity": sorted(m for m in sys.modules if m.split(".")[0] == "tenacity"),
            "scanned": scanned,
        }}))
        """
    )


def test_a_status_imports_no_retry_library_and_scans_no_plugins(tmp_path: Path) -> None:
    result = status_process(offline_env(tmp_path))
    assert result["code"] == ["0"] and result["answer"] == [AT]
    assert result["tenacity"] == []
    assert "pydantic" not in result["scanned"]


def test_the_users_environment_can_turn_pydantic_plugins_back_on(tmp_path: Path) -> None:
    result = status_process(offline_env(tmp_path, PYDANTIC_DISABLE_PLUGINS=""))
    assert result["code"] == ["0"] and result["answer"] == [AT]
    assert "pydantic" in result["scanned"]
