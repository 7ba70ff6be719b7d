"""The model folder format version (runtime/format.py): which versions load, and what an older
or newer folder gets: one line naming the folder, with a retrain hint, before any model file
is opened."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mlsalary.runtime import load
from mlsalary.train import store
from mlsalary.cli import app
from mlsalary.errors import ModelError
from mlsalary.runtime.features import schema_to_json
from mlsalary.profile import Profile
from mlsalary.runtime import format
from mlsalary.train import export
from mlsalary.runtime.compiled_model import CompiledModel

SHIPPED = format.shipped_model_dir()
runner = CliRunner()


UNSET = object()


def model_copy(dest: Path, version=UNSET, source: Path = SHIPPED) -> Path:
    """The shipped compiled folder (or `source`); with `version`, metadata.json says that format version."""
    dest.mkdir(parents=True)
    for name in ("forest.npz", "forest.json", "metadata.json"):
        shutil.copyfile(source / name, dest / name)
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


def test_the_shipped_folder_is_the_current_version():
    metadata = format.read_metadata(SHIPPED)
    assert list(metadata)[0] == "format_version" and metadata["format_version"] == format.FORMAT_VERSION == 3
    assert json.loads((SHIPPED / "forest.json").read_text())["format_version"] == format.FORMAT_VERSION


def write_version_1(model, folder: Path) -> Path:
    """The compiled files as mlsalary wrote them in format version 1 (the trees' node arrays per
    model, `m{k}_name`), and the shipped metadata.json as it was then: no "format_version"."""
    folder.mkdir(parents=True)
    arrays = {"background": np.asarray(model.background_, dtype=float)}
    for k, estimator in enumerate(model.estimators_):
        arrays.update({f"m{k}_{name}": array for name, array in export.estimator_arrays(estimator).items()})
    format._write_npz(folder / format.FOREST_FILE, arrays)
    document = {
        "format": format.FORMAT_NAME, "format_version": 1, "n_models": len(model.estimators_), "baseline": float(model.baseline_),
        "conformal": model.conformal_, "calibration_size": model.calibration_size_, "schema": schema_to_json(model.schema_),
    }
    (folder / format.SCHEMA_FILE).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    metadata = json.loads((SHIPPED / "metadata.json").read_text())
    del metadata["format_version"]
    metadata["artifacts"].update({name: format.artifact(folder / name) for name in format.COMPILED_FILES})
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    return folder


@pytest.fixture(scope="module")
def version_1(tmp_path_factory):
    model, _ = store.load_trained()  # the scikit-learn model the shipped files come from
    return write_version_1(model, tmp_path_factory.mktemp("v1") / "model")


def test_a_version_1_folder_loads_and_estimates_exactly_as_the_shipped_one(version_1):
    metadata = format.read_metadata(version_1)
    assert "format_version" not in metadata and format.folder_version(metadata, version_1) == format.LEGACY_VERSION == 1
    old, _ = load.load(version_1)
    new, _ = load.load()
    X = np.vstack([new.background_, new.schema_.encode_profiles([Profile(), Profile(country="DE", experience=5.0, role="ml-engineer")])])
    for method in ("walk", "auto"):
        np.testing.assert_array_equal(old.forest.raw(X, method=method), new.forest.raw(X, method=method))
    assert len(old.forest._mask_arrays["leaf_values"]) == 0  # version 1 loads without leaf masks
    command = ("estimate", "--country", "DE", "--experience", "5", "--role", "ml-engineer", "--json")
    result = runner.invoke(app, [*command, "--model", str(version_1)], env={"NO_COLOR": "1"})
    shipped = runner.invoke(app, list(command), env={"NO_COLOR": "1"})
    assert result.exit_code == shipped.exit_code == 0, result.output
    assert result.stdout == shipped.stdout


def test_a_version_2_folder_loads_without_shifts_and_estimates_as_its_trees_do(tmp_path):
    # Version 2 had no additive factors: its forest.json has no "shifts", and none are applied.
    folder = model_copy(tmp_path / "model", 2)
    document = json.loads((folder / "forest.json").read_text())
    document["format_version"] = 2
    del document["shifts"]
    (folder / "forest.json").write_text(json.dumps(document))
    metadata = json.loads((folder / "metadata.json").read_text())
    metadata["artifacts"]["forest.json"] = format.artifact(folder / "forest.json")
    (folder / "metadata.json").write_text(json.dumps(metadata))
    old, _ = load.load(folder)
    new, _ = load.load()
    plain = new.schema_.encode_profiles([Profile(country="DE", experience=5.0, role="ml-engineer")])
    assert np.array_equal(old.predict(plain), new.predict(plain))  # no additive factor given: the same
    industry = new.schema_.encode_profiles([Profile(country="US", experience=5.0, industry="manufacturing-and-logistics")])
    assert np.log(new.predict(industry) / old.predict(industry)) == pytest.approx(np.full((1, 5), new.shifts_(industry)[0]))


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
    with pytest.raises(ModelError, match=f"unsupported format 'mlsalary-forest' version {format.FORMAT_VERSION + 1}"):
        CompiledModel.load(folder)


def test_save_writes_the_current_version_first(tmp_path, monkeypatch):
    def fake_export(model, directory):
        for name in format.COMPILED_FILES:
            (Path(directory) / name).write_bytes(b"{}")
        return {name: format.artifact(Path(directory) / name) for name in format.COMPILED_FILES}

    monkeypatch.setattr(export, "export", fake_export)
    store.save({"stand-in": "model"}, tmp_path / "model", {"format_version": 0, "note": 1})  # type: ignore[typeddict-unknown-key]
    written = json.loads((tmp_path / "model" / "metadata.json").read_text())
    assert list(written)[0] == "format_version" and written["format_version"] == format.FORMAT_VERSION
    assert format.read_metadata(tmp_path / "model")["format_version"] == format.FORMAT_VERSION
