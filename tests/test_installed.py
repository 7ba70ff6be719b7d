"""The installed entry point as a real subprocess, from a folder outside the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

MLSALARY = shutil.which("mlsalary")
pytestmark = pytest.mark.skipif(MLSALARY is None, reason="the mlsalary entry point is not installed (pip install .)")


def run(*args, input=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    env["NO_COLOR"] = "1"
    return subprocess.run([MLSALARY, *args], input=input, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_installed_estimate_works_from_any_folder(tmp_path):
    result = run("estimate", "--experience", "5", "--country", "Germany", "--skills", "python,pytorch", "--education", "master", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["range"]["p10"] < data["median"] < data["range"]["p90"]
    assert list(tmp_path.iterdir()) == []  # nothing written where it was not asked


def test_installed_model_is_the_package_copy(tmp_path):
    code = "from mlsalary.runtime import format; print(format.shipped_model_dir())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert "site-packages" in out or str(ROOT / "models") in out


def test_installed_taxonomy_carries_its_tables(tmp_path):
    # The label tables and the country index are package data: an install (a wheel) must carry
    # every file of mlsalary/taxonomy/data, byte for byte.
    code = "from mlsalary.taxonomy import tables; print(tables.DATA)"
    installed = Path(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True).stdout.strip())
    source = ROOT / "mlsalary" / "taxonomy" / "data"
    assert sorted(p.name for p in installed.iterdir()) == sorted(p.name for p in source.iterdir())
    for path in source.iterdir():
        assert (installed / path.name).read_bytes() == path.read_bytes(), path.name
    result = run("options", "role", "--json", cwd=tmp_path)
    assert result.returncode == 0 and "AI/ML engineer" in result.stdout, result.stderr


def test_installed_bad_input_exit_2_without_traceback(tmp_path):
    result = run("estimate", "--country", "Germny", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "Error: unknown country 'Germny'; did you mean 'Germany'?\n"
    assert "Traceback" not in result.stderr


def test_installed_batch_reads_stdin_and_python_m_works(tmp_path):
    text = (ROOT / "sample_data" / "profiles.csv").read_text()
    result = run("batch", "-", input=text, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1 + 8
    module = subprocess.run([sys.executable, "-m", "mlsalary", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert module.returncode == 0 and "estimate" in module.stdout


def test_installed_compare_trend_figures_and_currency(tmp_path):
    compare = run("compare", "--role", "ml-engineer", "--experience", "5", "--by", "country=US,GB,DE,NL", "--json", cwd=tmp_path)
    assert compare.returncode == 0, compare.stderr
    assert [r["country"] for r in json.loads(compare.stdout)] == ["US", "GB", "DE", "NL"]
    trend = run("trend", "--country", "US", "--role", "ml-engineer", cwd=tmp_path)
    assert trend.returncode == 0 and "not a forecast" in " ".join(trend.stdout.split()), trend.stderr
    figures = run("figures", "--csv", cwd=tmp_path)
    assert figures.returncode == 0 and figures.stdout.startswith("section,value,p10"), figures.stderr
    euro = run("estimate", "--country", "DE", "--experience", "5", "--currency", "EUR", "--json", "--no-explain", cwd=tmp_path)
    assert euro.returncode == 0 and json.loads(euro.stdout)["currency"] == "EUR", euro.stderr
    bad = run("compare", "--by", "country=US,Narnia", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("Error: ") and bad.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_installed_location_resolves_and_ambiguity_is_asked(tmp_path):
    result = run("estimate", "--location", "Austin, TX", "--role", "ml-engineer", "--experience", "5", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["location"]["name"] == "Austin-Round Rock-San Marcos, TX" and "location" in data["contributions"]
    ambiguous = run("estimate", "--location", "Columbus", cwd=tmp_path)
    assert ambiguous.returncode == 2 and ambiguous.stderr.count("\n") == 1
    assert "'Columbus, GA'" in ambiguous.stderr and "'Columbus, OH'" in ambiguous.stderr and "Traceback" not in ambiguous.stderr


@pytest.mark.parametrize("given, expected", [(None, 1), ("2", 2)])
def test_the_command_line_runs_one_blas_thread_unless_told(given, expected, tmp_path):
    # OpenBLAS's idle threads spin beside the command's own work (mlsalary.__main__); a user's
    # OPENBLAS_NUM_THREADS is kept.
    pytest.importorskip("threadpoolctl")
    code = (
        "import atexit, sys\n"
        "from threadpoolctl import threadpool_info\n"
        "atexit.register(lambda: print([p['num_threads'] for p in threadpool_info() if p['internal_api'] == 'openblas']))\n"
        "sys.argv = ['mlsalary', 'estimate', '--country', 'DE', '--json']\n"
        "from mlsalary.__main__ import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts and set(counts) == {expected}
