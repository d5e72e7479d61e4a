"""The tree is clean under the project's lint rules (pyproject.toml, [tool.ruff])."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    checked = ["sim", "tests", "benchmarks", "notebooks"]
    completed = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *checked], cwd=ROOT,
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
