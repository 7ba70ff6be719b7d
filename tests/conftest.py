"""Shared fixtures. Tests that need the real survey data find it through MLSALARY_DATA."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "sample_data" / "fixtures"


def _data_dir() -> Path | None:
    value = os.environ.get("MLSALARY_DATA")
    if value and Path(value).is_dir():
        return Path(value)
    if os.environ.get("CI") == "true":
        pytest.fail(f"MLSALARY_DATA={value!r} is not a folder: under CI the real data must be present")
    pytest.skip("MLSALARY_DATA not set: the real survey data is needed (set it to ../shared/data)")
    return None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _data_dir()


@pytest.fixture(scope="session")
def training_data(data_dir):
    from mlsalary.train import sources

    return sources.load_training_data(data_dir)


@pytest.fixture(scope="session")
def estimator():
    from mlsalary import Estimator

    return Estimator.load()


def invoke(*args, input=None, env=None):
    """The CLI through typer's CliRunner, as a script sees it: no colour, 120 columns; `env`:
    more environment variables."""
    from typer.testing import CliRunner

    from mlsalary.cli import app

    return CliRunner().invoke(app, list(args), input=input, env={"NO_COLOR": "1", "COLUMNS": "120", **(env or {})})
