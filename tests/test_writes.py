"""Writing output: `train --out` replaces a model folder whole or not at all, and a full disk or
a closed stdout ends with one line (or, for a reader that left, quietly with 141), never with
"internal error, please report it"."""

from __future__ import annotations

import csv
import errno
import hashlib
import math
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsalary.runtime import format
from mlsalary.train import pipeline, store
from mlsalary.train import export
from mlsalary.cli import app
from mlsalary.errors import OutputError
from mlsalary.status import ExitStatus

from conftest import ROOT

SHIPPED = format.shipped_model_dir()
SAMPLE_CSV = ROOT / "sample_data" / "profiles.csv"
ENV = {**{k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}, "NO_COLOR": "1", "OMP_NUM_THREADS": "1"}


def mlsalary_command() -> list[str]:
    entry = Path(sys.executable).with_name("mlsalary")
    return [str(entry)] if entry.is_file() else [sys.executable, "-m", "mlsalary"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below `folder` with the sha256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def shipped_copy(dest: Path) -> Path:
    """A model folder as `mlsalary train` leaves it (compiled files, joblib, metadata), plus
    the __init__.py that makes models/ the mlsalary.shipped package."""
    dest.mkdir(parents=True)
    for name in ("model.joblib", "forest.npz", "forest.json", "metadata.json", "__init__.py"):
        shutil.copyfile(SHIPPED / name, dest / name)
    return dest


def partial_folders(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.endswith(".partial") or p.name.endswith(".old"))


# -- store.save on its own (a stand-in model: no training) -------------------------------


def fake_export(model, directory):
    (Path(directory) / "forest.npz").write_bytes(b"new arrays")
    (Path(directory) / "forest.json").write_text('{"new": true}\n')
    return {name: {"sha256": format.file_sha256(Path(directory) / name), "bytes": 1} for name in ("forest.npz", "forest.json")}


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_save_into_a_new_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "export", fake_export)
    metadata = store.save({"stand-in": "model"}, tmp_path / "new" / "model", {"note": 1})
    folder = tmp_path / "new" / "model"
    assert sorted(p.name for p in folder.iterdir()) == ["forest.json", "forest.npz", "metadata.json", "model.joblib"]
    assert format.read_metadata(folder)["model_version"] == metadata["model_version"]
    assert partial_folders(tmp_path / "new") == []


def test_save_replaces_a_model_folder_whole_and_keeps_other_files(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "export", fake_export)
    folder = shipped_copy(tmp_path / "models")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"cache")
    folder.chmod(0o750)
    old = snapshot(folder)
    store.save({"stand-in": "model"}, folder, {"note": 1})
    new = snapshot(folder)
    assert set(new) == set(old)
    assert new["__init__.py"] == old["__init__.py"] and new["__pycache__/x.pyc"] == old["__pycache__/x.pyc"]
    assert all(new[name] != old[name] for name in ("model.joblib", "forest.npz", "forest.json", "metadata.json"))
    assert (folder / "forest.npz").read_bytes() == b"new arrays"
    assert folder.stat().st_mode & 0o777 == 0o750
    assert partial_folders(tmp_path) == []


@pytest.mark.parametrize("step", ["joblib", "export"])
def test_a_failed_save_leaves_the_previous_model_as_it_was(tmp_path, monkeypatch, step):
    import joblib

    monkeypatch.setattr(export, "export", full_disk if step == "export" else fake_export)
    if step == "joblib":
        monkeypatch.setattr(joblib, "dump", full_disk)
    folder = shipped_copy(tmp_path / "models")
    before = snapshot(folder)
    with pytest.raises(OutputError) as raised:
        store.save({"stand-in": "model"}, folder, {"note": 1})
    message = str(raised.value)
    assert message == f"cannot write the model to '{folder}': No space left on device; '{folder}' was left as it was"
    assert snapshot(folder) == before
    assert partial_folders(tmp_path) == []


def test_save_without_an_atomic_exchange_still_replaces_the_folder(tmp_path, monkeypatch):
    # Where renameat2(RENAME_EXCHANGE) is missing, two renames do the swap.
    monkeypatch.setattr(export, "export", fake_export)
    monkeypatch.setattr(store, "_exchange", lambda a, b: False)
    folder = shipped_copy(tmp_path / "models")
    store.save({"stand-in": "model"}, folder, {"note": 1})
    assert (folder / "forest.npz").read_bytes() == b"new arrays" and (folder / "__init__.py").is_file()
    assert partial_folders(tmp_path) == []


def test_save_refuses_a_folder_that_holds_no_model(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="holds other files and no model"):
        store.save({"stand-in": "model"}, tmp_path, {})
    with pytest.raises(OutputError, match="exists and is not a folder"):
        store.save({"stand-in": "model"}, tmp_path / "notes.txt", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# -- train --out through the CLI -------------------------------------------------------------


def test_train_refuses_a_bad_out_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "train", lambda *a, **k: pytest.fail("trained despite a bad --out"))
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(app, ["train", "--data", str(tmp_path), "--out", str(tmp_path)], env={"NO_COLOR": "1"})
    assert result.exit_code == int(OutputError.exit_status) == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: cannot write the model to ") and result.stderr.count("\n") == 1


def test_train_onto_a_full_disk_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "export", full_disk)
    monkeypatch.setattr(pipeline, "train", lambda data, out, progress=None: store.save({"stand-in": "model"}, out, {}))
    folder = shipped_copy(tmp_path / "models")
    before = snapshot(folder)
    result = CliRunner().invoke(app, ["train", "--data", str(tmp_path), "--out", str(folder)], env={"NO_COLOR": "1"})
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: cannot write the model to '{folder}': No space left on device; '{folder}' was left as it was\n"
    assert snapshot(folder) == before


# -- a real `mlsalary train`, killed mid-way --------------------------------------------------

# Imported by the train subprocess at start-up: pauses it at a known point (after a marker
# file is written), so that the test kills it there and not at a random moment.
SITECUSTOMIZE = '''
import os, pathlib, time

_stage, _marker = os.environ["PAUSE_AT"], pathlib.Path(os.environ["PAUSE_MARKER"])

def _pause():
    _marker.write_text(_stage)
    time.sleep(600)

if _stage == "training":
    from mlsalary.train.salary_model import SalaryModel
    _fit = SalaryModel.fit
    def fit(self, *args, **kwargs):
        _pause()
        return _fit(self, *args, **kwargs)
    SalaryModel.fit = fit
elif _stage == "writing":
    from mlsalary.train import export as export_module
    _export = export_module.export
    def paused_export(model, directory):
        written = _export(model, directory)  # model.joblib and forest.* are in the new folder
        _pause()
        return written
    export_module.export = paused_export
'''


def write_survey(folder: Path, rows: int = 1200) -> Path:
    """A small synthetic Stack Overflow 2025 split (the shared data's format): trains in seconds."""
    folder.mkdir(parents=True)
    rng = random.Random(0)
    countries = {"United States of America": 0.5, "Germany": 0.0, "India": -1.0, "France": -0.1}
    education = ["Master’s degree (M.A., M.S., M.Eng., MBA, etc.)", "Bachelor’s degree (B.A., B.S., B.Eng., etc.)"]
    with open(folder / "so2025_train_split.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["source_row_index", "Country", "EdLevel", "YearsCode", "DevType", "PrimaryLanguage", "LanguageHaveWorkedWith", "ConvertedCompYearly"])
        for i in range(rows):
            country, years = rng.choice(list(countries)), rng.randint(0, 25)
            pay = min(max(round(60000 * math.exp(countries[country] + 0.04 * years + rng.gauss(0, 0.3))), 6000), 490000)
            out.writerow([i, country, rng.choice(education), f"{years}.0", rng.choice(["AI/ML engineer", "Data scientist", "Developer, back-end"]), "Python", "Python;SQL", f"{pay}.0"])
    return folder


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> Path:
    return write_survey(tmp_path_factory.mktemp("survey") / "data")


def train_command(survey: Path, out: Path) -> list[str]:
    return mlsalary_command() + ["train", "--data", str(survey), "--out", str(out)]


@pytest.mark.parametrize("stage", ["training", "writing"])
def test_killed_train_leaves_the_previous_model_loadable(tmp_path, survey, stage):
    from mlsalary import Estimator, Profile

    folder = shipped_copy(tmp_path / "models")
    before = snapshot(folder)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    marker = tmp_path / "paused"
    env = {**ENV, "PYTHONPATH": str(site), "PAUSE_AT": stage, "PAUSE_MARKER": str(marker)}
    proc = subprocess.Popen(train_command(survey, folder), env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), f"train never reached {stage}: exit {proc.poll()}, {proc.stderr.read().decode() if proc.poll() is not None else ''}"
        if stage == "writing":
            [staging] = partial_folders(tmp_path)  # the new model, half written, beside the old one
            assert {"model.joblib", "forest.npz"} <= {p.name for p in (tmp_path / staging).iterdir()}
    finally:
        proc.kill()
        proc.communicate(timeout=60)
    assert snapshot(folder) == before
    estimator = Estimator.load(folder)
    shipped = Estimator.load()
    profile = Profile.from_mapping({"country": "Germany", "experience": "5"})
    assert estimator.estimate(profile).quantiles == shipped.estimate(profile).quantiles


def test_completed_train_replaces_the_model_folder(tmp_path, survey):
    folder = shipped_copy(tmp_path / "models")
    old_version = format.read_metadata(folder)["model_version"]
    result = subprocess.run(train_command(survey, folder), env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert f"Wrote {folder}/" in result.stderr
    metadata = format.read_metadata(folder)
    assert metadata["model_version"] != old_version and metadata["training_data"]["split_rows"]["train"] > 500
    assert (folder / "__init__.py").read_bytes() == (SHIPPED / "__init__.py").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models"]  # no temporary folder left


# -- stdout: a full disk, a closed descriptor, a reader that left --------------------------------

FULL_DISK_CASES = {
    "estimate": ("estimate", "--country", "Germany"),
    "estimate-json": ("estimate", "--country", "Germany", "--json"),
    "batch": ("batch", str(SAMPLE_CSV)),
    "options": ("options",),
    "info": ("info",),
    "help": ("--help",),
    "version": ("--version",),
}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full (a device that is always full)")
@pytest.mark.parametrize("args", FULL_DISK_CASES.values(), ids=FULL_DISK_CASES.keys())
def test_output_to_a_full_disk_is_one_line(args):
    with open("/dev/full", "w") as full:
        result = subprocess.run(mlsalary_command() + list(args), stdout=full, stderr=subprocess.PIPE, text=True, env=ENV, timeout=120)
    assert result.returncode == ExitStatus.ERROR
    assert result.stderr == "Error: cannot write the output: No space left on device\n"


def test_closed_stdout_is_one_line():
    command = ["bash", "-c", '"$@" >&-', "mlsalary", *mlsalary_command(), "estimate", "--country", "Germany"]
    result = subprocess.run(command, stderr=subprocess.PIPE, text=True, env=ENV, timeout=120)
    assert result.returncode == ExitStatus.ERROR
    assert result.stderr == "Error: cannot write the output: stdout is closed\n"


READER_LEFT_CASES = {
    "estimate": ("estimate", "--country", "Germany"),
    "estimate-json": ("estimate", "--country", "Germany", "--json"),
    "options": ("options", "country"),
    "help": ("--help",),
    "command-help": ("estimate", "--help"),
}


@pytest.mark.parametrize("args", READER_LEFT_CASES.values(), ids=READER_LEFT_CASES.keys())
def test_reader_gone_before_output_ends_quietly_with_141(args):
    """The README's exit 141: the reader of stdout went away (`| head`); ends quietly."""
    proc = subprocess.Popen(mlsalary_command() + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    proc.stdout.close()  # before the command starts writing: every write meets a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == ExitStatus.BROKEN_PIPE, err
    assert err == ""


def test_batch_into_head_ends_quietly_with_141(tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("id,country\n" + "".join(f"{i},Germany\n" for i in range(50_000)))
    proc = subprocess.Popen(mlsalary_command() + ["batch", str(big)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    try:
        assert proc.stdout.readline().startswith(b"id,country,")
        proc.stdout.close()  # as `| head -1` does
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == ExitStatus.BROKEN_PIPE, err
    finally:
        if proc.poll() is None:
            proc.kill()
    assert err == ""


def test_a_staging_folder_left_by_a_killed_training_is_removed_by_the_next(tmp_path):
    # SIGKILL during `train --out` leaves `.NAME.PID-xxxx.partial`; the next write into the same
    # folder removes it, but not one whose process still runs.
    import os
    import subprocess
    import sys

    from mlsalary.train import store

    target = tmp_path / "model"
    target.mkdir()
    (target / "metadata.json").write_text("{}")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".model.{dead}-abcd.partial"
    stale.mkdir()
    (stale / "model.joblib").write_bytes(b"half")
    live = tmp_path / f".model.{os.getppid()}-beef.partial"
    live.mkdir()
    store._staged(target, lambda staging: (staging / "metadata.json").write_text('{"new": 1}') and {})
    assert not stale.exists() and live.exists()
    assert (target / "metadata.json").read_text() == '{"new": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model", live.name])
