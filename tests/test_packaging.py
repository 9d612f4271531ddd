"""The wheel a user installs: the example strategies under botkit's namespace, never a top-level ``strategies``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _package_dirs() -> set[str]:
    """Every package under botkit/ that has an __init__.py, as a dotted name."""
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "botkit").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


def test_the_package_list_names_every_package_of_botkit():
    listed = set(SETUPTOOLS["packages"])
    assert _package_dirs() - listed == set(), "a package under botkit/ is missing from pyproject's packages list"
    assert listed - _package_dirs() == {"botkit.examples"}
    assert SETUPTOOLS["package-dir"] == {"botkit.examples": "strategies"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the source (an in-tree build would leave build/ and egg-info in the clone)."""
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.nbc", "*.nbi")
    for folder in ("botkit", "strategies"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("botkit-*.whl")
    return built


def test_the_wheel_installs_no_top_level_strategies_package(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"botkit"}
    assert "botkit/examples/sma_cross.py" in names
    assert any(name.startswith("botkit/templates/project/") for name in names)
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "sma_cross = botkit.examples.sma_cross:SmaCross" in text
    assert "strategies." not in text.replace("botkit.strategies", "")


def test_the_installed_wheel_finds_its_examples_outside_the_clone(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "NO_COLOR": "1"}
    check = (
        "import botkit.examples.sma_cross as m, botkit.strategy.loader as l;"
        f"assert m.__file__.startswith({str(target)!r}), m.__file__;"
        "assert l.load_strategy_class('sma_cross') is m.SmaCross;"
        "import importlib.util; assert importlib.util.find_spec('strategies') is None"
    )
    subprocess.run([sys.executable, "-c", check], cwd=work, env=env, check=True, capture_output=True)
    init = subprocess.run(
        [sys.executable, "-m", "botkit", "init", "project"], cwd=work, env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    project = work / "project"
    steps = (
        ["data", "generate", "--symbol", "BTCUSD", "--bars", "3000", "--out", "data"],
        ["backtest", "backtest.yaml"],
    )
    for step in steps:
        command = [sys.executable, "-m", "botkit", *step]
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    assert list((project / "reports").glob("*/stats.json"))
