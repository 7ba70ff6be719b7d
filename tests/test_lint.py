"""ruff and mypy (configured in pyproject.toml) are clean on mlsalary/: CI runs them through here,
so the test command stays the README's."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

LINTERS = {
    "ruff": [sys.executable, "-m", "ruff", "check", "--no-cache", "mlsalary"],
    "mypy": [sys.executable, "-m", "mypy", "mlsalary"],
}


@pytest.mark.parametrize("tool", LINTERS)
def test_linter_is_clean(tool):
    result = subprocess.run(LINTERS[tool], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(LINTERS[tool][1:])} failed:\n{result.stdout}{result.stderr}"
