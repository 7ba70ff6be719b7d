"""The model folder format version (runtime/format.py): which versions load, and what an older
or newer folder gets: one line naming the folder, with a retrain hint, before any model file
is opened."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsalary import persistence
from mlsalary.cli import app
from mlsalary.errors import ModelError
from mlsalary.runtime import _sklearn, format
from mlsalary.runtime.model import CompiledModel

SHIPPED = persistence.shipped_model_dir()
runner = CliRunner()


UNSET = object()


def model_copy(dest: Path, version=UNSET) -> Path:
    """The shipped compiled folder; with `version`, metadata.json says that format version."""
    dest.mkdir(parents=True)
    for name in ("forest.npz", "forest.json", "metadata.json"):
        shutil.copyfile(SHIPPED / name, dest / name)
    if version is not UNSET:
        metadata = json.loads((dest / "metadata.json").read_text())
        metadata["format_version"] = version
        (dest / "metadata.json").write_text(json.dumps(metadata))
    return dest


def refusal(folder: Path, *command: str) -> str:
    result = runner.invoke(app, [*command, "--model", str(folder)], env={"NO_COLOR": "1", "COLUMNS": "120"})
    assert result.exit_code == int(ModelError.exit_status), result.output
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_the_policy_is_written_down():
    assert format.FORMAT_VERSION in format.READABLE_VERSIONS
    assert format.LEGACY_VERSION in format.READABLE_VERSIONS
    doc = format.__doc__ or ""
    assert "READABLE_VERSIONS" in doc and "without \"format_version\"" in doc and "newer" in doc


def test_the_shipped_folder_predates_the_field_and_reads_as_version_1():
    metadata = persistence.read_metadata(SHIPPED)
    assert "format_version" not in metadata
    assert format.folder_version(metadata, SHIPPED) == format.LEGACY_VERSION == 1


@pytest.mark.parametrize("version", format.READABLE_VERSIONS)
def test_a_readable_version_loads(tmp_path, version):
    folder = model_copy(tmp_path / "model", version)
    model, metadata = persistence.load(folder)
    assert metadata["format_version"] == version and model.predict(model.background_[:1]).shape == (1, 5)


@pytest.mark.parametrize("command", [("estimate", "--country", "DE", "--json"), ("info",)])
def test_a_newer_version_is_refused_with_an_upgrade_or_retrain_hint(tmp_path, command):
    folder = model_copy(tmp_path / "model", format.FORMAT_VERSION + 1)
    line = refusal(folder, *command)
    assert f"format version {format.FORMAT_VERSION + 1}, newer than this mlsalary reads" in line
    assert "upgrade mlsalary" in line and "mlsalary train" in line and str(folder) in line


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, None, True, [1]])
def test_an_older_or_unknown_version_is_refused_with_a_retrain_hint(tmp_path, version):
    folder = model_copy(tmp_path / "model", version)
    line = refusal(folder, "estimate", "--country", "DE", "--json")
    assert "which this mlsalary does not read" in line and "mlsalary train" in line


def test_forest_json_of_another_version_is_refused(tmp_path):
    folder = model_copy(tmp_path / "model")
    document = json.loads((folder / "forest.json").read_text())
    document["format_version"] = format.FORMAT_VERSION + 1
    (folder / "forest.json").write_text(json.dumps(document))
    with pytest.raises(ModelError, match="unsupported format 'mlsalary-forest' version 2"):
        CompiledModel.load(folder)


def test_save_writes_the_current_version_first(tmp_path, monkeypatch):
    def fake_export(model, directory):
        for name in format.COMPILED_FILES:
            (Path(directory) / name).write_bytes(b"{}")
        return {name: format.artifact(Path(directory) / name) for name in format.COMPILED_FILES}

    monkeypatch.setattr(_sklearn, "export", fake_export)
    persistence.save({"stand-in": "model"}, tmp_path / "model", {"format_version": 0, "note": 1})  # type: ignore[typeddict-unknown-key]
    written = json.loads((tmp_path / "model" / "metadata.json").read_text())
    assert list(written)[0] == "format_version" and written["format_version"] == format.FORMAT_VERSION
    assert persistence.read_metadata(tmp_path / "model")["format_version"] == format.FORMAT_VERSION
