"""DESIGN.md's import rules (import-linter contracts in pyproject) and the public API surface."""

import subprocess
import sys
from pathlib import Path

import botkit

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_public_api_is_exactly_all():
    assert sorted(botkit.__all__) == [
        "BacktestResult", "BacktestSpec", "OptimizeResult", "Strategy", "StrategyContext", "StrategyParams",
        "backtest", "optimize",
    ]
    for name in botkit.__all__:
        assert getattr(botkit, name) is not None


def test_backtest_does_not_load_the_network_stack():
    code = (
        "import sys, botkit, botkit.cli, botkit.backtest.cli_run;"
        "print(any(m.split('.')[0] in ('aiohttp', 'websockets') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
