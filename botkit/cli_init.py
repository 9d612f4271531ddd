"""``botkit init DIR``: a starter project, a strategy, a backtest spec and a bot config, in a new folder.

The templates ship inside the package (``botkit/templates/project``), so this works wherever botkit
is installed from, a wheel as well as a clone. Existing files are never overwritten.
"""

from __future__ import annotations

import re
import shlex
from importlib.resources import files
from pathlib import Path
from string import Template

from botkit.core.errors import ConfigError

TEMPLATE_PACKAGE = "botkit"
TEMPLATE_FOLDER = "templates/project"

PROJECT_FILES: tuple[tuple[str, str, str], ...] = (
    ("strategy.py", "strategy.py.tmpl", "EMA crossover with an RSI filter: declared indicators, a compiled step"),
    ("backtest.yaml", "backtest.yaml.tmpl", "backtest spec on data/ (synthetic 1-minute bars of BTCUSD)"),
    ("bot.yaml", "bot.yaml.tmpl", "bot config: the strategy on paper against the local Syncron simulator"),
    (".gitignore", "gitignore.tmpl", "keeps data/, reports/ and state/ out of git"),
)
"""(file written, template it comes from, what it is) for each file of a starter project."""

DEFAULT_NAME = "starter"


def project_name(directory: Path) -> str:
    """The project's name in its spec and config: the folder's name, as letters, digits, ``_``, ``.``, ``-``."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", directory.resolve().name).strip("_.-")[:40]
    return name or DEFAULT_NAME


def template_text(template: str) -> str:
    """The text of one template shipped in the package."""
    return files(TEMPLATE_PACKAGE).joinpath(TEMPLATE_FOLDER, template).read_text(encoding="utf-8")


def write_project(directory: Path) -> list[Path]:
    """Write the starter project's files into ``directory`` (created if needed); returns them.

    ConfigError, before anything is written, if ``directory`` is a file or already holds one of them.
    """
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"botkit init {str(directory)!r}: it is a file, not a folder")
    taken = [name for name, _, _ in PROJECT_FILES if (directory / name).exists()]
    if taken:
        raise ConfigError(f"botkit init {str(directory)!r}: it already has {', '.join(taken)}; botkit init never "
                          "overwrites files: choose a new or empty folder")
    values = {"name": project_name(directory)}
    texts = {name: Template(template_text(template)).substitute(values) for name, template, _ in PROJECT_FILES}
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def next_commands(directory: Path) -> list[str]:
    """The commands to run next, in order: into the folder, data, a backtest, the bot."""
    return [
        f"cd {shlex.quote(str(directory))}",
        "botkit data generate --symbol BTCUSD --bars 100000 --out data",
        "botkit backtest backtest.yaml",
        "botkit run bot.yaml --duration 60",
    ]


def run_init_command(directory: Path) -> int:
    """Write the starter project and print what was written and what to run next; returns the exit code."""
    write_project(directory)
    print(f"wrote a starter project into {directory}/:")
    width = max(len(name) for name, _, _ in PROJECT_FILES)
    for name, _, what in PROJECT_FILES:
        print(f"  {name:{width}}  {what}")
    print("next:")
    for command in next_commands(directory):
        print(f"  {command}")
    return 0
