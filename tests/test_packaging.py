"""Packaging habits: one version, shown by --version; type annotations shipped (py.typed); a changelog."""

from __future__ import annotations

import importlib.metadata
import tomllib

import pytest
from typer.testing import CliRunner

import mlsalary
from mlsalary.cli import app

from conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flag_prints_the_package_version(flag):
    result = CliRunner().invoke(app, [flag])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"mlsalary {mlsalary.__version__}\n"


def test_the_version_is_written_in_one_place():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "mlsalary.__version__"}


def test_installed_metadata_carries_the_same_version():
    try:
        installed = importlib.metadata.version("mlsalary")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("mlsalary is not installed")
    assert installed == mlsalary.__version__


def test_py_typed_is_shipped_as_package_data():
    assert (ROOT / "mlsalary" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["mlsalary"]


def test_changelog_has_an_unreleased_section_and_the_current_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    headings = [line for line in changelog.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Unreleased"
    assert any(line.startswith(f"## {mlsalary.__version__} ") for line in headings)


def test_every_subpackage_is_listed_for_setuptools():
    packages = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / "mlsalary").rglob("__init__.py")}
    assert found <= packages, f"add {sorted(found - packages)} to [tool.setuptools] packages"


def test_taxonomy_tables_are_shipped_as_package_data():
    import fnmatch

    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["mlsalary.taxonomy"]
    data = ROOT / "mlsalary" / "taxonomy" / "data"
    files = sorted(path.relative_to(data.parent).as_posix() for path in data.iterdir())
    assert {"data/countries.json", "data/role.csv", "data/skills.csv", "data/README.md"} <= set(files)
    unshipped = [name for name in files if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns)]
    assert not unshipped, f"add a pattern for {unshipped} to [tool.setuptools.package-data] mlsalary.taxonomy"
