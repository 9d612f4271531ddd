"""``botkit init DIR``: the starter project, and the commands it prints, as a new user runs them."""

import fnmatch
import json
import shlex
import tomllib
from pathlib import Path

import pytest
import structlog

from botkit.cli import main
from botkit.cli_init import PROJECT_FILES, TEMPLATE_FOLDER, project_name, template_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _reset_logging():
    """main() configures structlog to write to the captured stderr; undo it after each test."""
    yield
    structlog.reset_defaults()


def printed_commands(out: str) -> list[str]:
    lines = out.splitlines()
    return [line.strip() for line in lines[lines.index("next:") + 1:]]


def test_init_writes_a_project_whose_printed_commands_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "proj"]) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "proj").iterdir()) == [".gitignore", "backtest.yaml", "bot.yaml",
                                                                        "strategy.py"]
    commands = printed_commands(out)
    assert commands[0] == "cd proj" and commands[-1].startswith("botkit run bot.yaml")
    monkeypatch.chdir(tmp_path / "proj")
    for command in commands[1:-1]:
        argv = shlex.split(command)[1:]
        if argv[:2] == ["data", "generate"]:
            argv[argv.index("--bars") + 1] = "6000"  # small, for the test
        if argv[0] == "backtest":
            argv.append("--no-progress")
        assert main(argv) == 0, command
    stats = json.loads((tmp_path / "proj" / "reports" / "proj" / "stats.json").read_text())
    assert stats["engine"] == "compiled" and stats["events"] == 6000 and stats["trades"] > 0
    # the same step from the event-driven path (as live runs it) trades alike
    assert main(["backtest", "backtest.yaml", "--engine", "python", "--out", "py", "--no-progress"]) == 0
    python = json.loads((tmp_path / "proj" / "py" / "stats.json").read_text())
    assert (python["engine"], python["trades"], python["final_equity"]) == ("python", stats["trades"],
                                                                            stats["final_equity"])
    capsys.readouterr()
    assert main(["config", "check", "bot.yaml"]) == 0  # what `botkit run bot.yaml` validates before it starts
    assert "name: proj" in capsys.readouterr().out


def test_init_never_overwrites(tmp_path, capsys):
    (tmp_path / "bot.yaml").write_text("mine\n")
    assert main(["init", str(tmp_path)]) == 2
    assert "already has bot.yaml; botkit init never overwrites files" in capsys.readouterr().err
    assert (tmp_path / "bot.yaml").read_text() == "mine\n" and not (tmp_path / "strategy.py").exists()
    (tmp_path / "file").write_text("")
    assert main(["init", str(tmp_path / "file")]) == 2
    assert "it is a file, not a folder" in capsys.readouterr().err


def test_project_names_are_safe_names(tmp_path):
    assert project_name(tmp_path / "my bot!") == "my_bot"
    assert project_name(tmp_path / "...") == "starter"
    assert project_name(tmp_path / "x" / "ok-name.v2") == "ok-name.v2"


def test_every_template_ships_as_package_data():
    """A wheel holds only the package data pyproject names: every template must match it."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["botkit"]
    shipped = sorted(p.relative_to(ROOT / "botkit").as_posix() for p in (ROOT / "botkit" / TEMPLATE_FOLDER).iterdir())
    assert shipped == sorted(f"{TEMPLATE_FOLDER}/{template}" for _, template, _ in PROJECT_FILES)
    assert all(any(fnmatch.fnmatch(path, pattern) for pattern in patterns) for path in shipped)
    assert all(template_text(template) for _, template, _ in PROJECT_FILES)
