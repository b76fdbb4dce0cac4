"""Installed, issdash is one import package, `issdash`: nothing named `app`, `widgets` or
`feeds` lands in site-packages, where it would collide with any other distribution's."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.slow
PIP = (sys.executable, "-m", "pip", "--disable-pip-version-check", "-q")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip install .` would install, built from this tree (offline: the build
    backend is the one installed with the test tools)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            *PIP,
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (built,) = out.glob("issdash-*.whl")
    return built


def test_the_wheel_holds_one_top_level_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {n for n in top if not n.endswith(".dist-info")} == {"issdash"}
    assert not top & {"app", "widgets", "feeds", "tests", "scripts"}


def test_every_source_package_and_data_file_is_in_the_wheel(wheel: Path) -> None:
    """pyproject.toml lists the packages by their installed names: a package folder left off
    the list would be missing from an install though the editable one works."""
    names = set(zipfile.ZipFile(wheel).namelist())
    expected: set[str] = set()
    for folder, prefix in (("app", "issdash"), ("widgets", "issdash/widgets")):
        expected |= _installed_names(ROOT / folder, prefix)
    expected |= _installed_names(ROOT / "feeds", "issdash/feeds")
    assert expected - names == set()


def _installed_names(folder: Path, prefix: str) -> set[str]:
    found: set[str] = set()
    for path in folder.rglob("*"):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if path.suffix in (".py", ".tcss", ".npz", ".json", ".tle") or path.name.endswith(
            (".jsonl", ".jsonl.gz")
        ):
            found.add(f"{prefix}/{path.relative_to(folder).as_posix()}")
    return found


def test_the_installed_package_runs_by_its_name(wheel: Path, tmp_path: Path) -> None:
    """Installed from the wheel (into a target folder, with the dependencies of this
    environment), `python -m issdash --version` runs the installed copy, not this tree."""
    target = tmp_path / "site"
    subprocess.run(
        [*PIP, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    top = {p.name for p in target.iterdir()}
    assert "issdash" in top
    assert not top & {"app", "widgets", "feeds"}
    code = "import issdash; print(issdash.__file__)"
    where = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert where.stdout.strip().startswith(str(target))
    version = subprocess.run(
        [sys.executable, "-m", "issdash", "--version"],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("issdash ")
