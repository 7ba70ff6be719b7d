"""The optional C forest evaluator (runtime/_forest.c): the same bits as numpy, and mlsalary
installs and answers the same without it (no C compiler)."""

from __future__ import annotations

import csv
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from mlsalary import Estimator
from mlsalary.profile import Profile
from mlsalary.runtime import forest as forest_module
from mlsalary.runtime.forest import Forest

from conftest import ROOT

native = forest_module._native
needs_native = pytest.mark.skipif(native is None, reason="the C evaluator is not built here (no C compiler at install)")
ESTIMATE = ["estimate", "--country", "DE", "--experience", "5", "--role", "ml-engineer", "--json"]


@pytest.fixture(scope="module")
def forest() -> Forest:
    return Estimator.load().model.forest


def sample_profiles() -> list[Profile]:
    """The sample batch inputs, and each with one factor left out (real-ish partial profiles)."""
    with open(ROOT / "sample_data" / "profiles.csv", newline="") as handle:
        rows = [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]
    rows += [{k: v for k, v in row.items() if k != name} for row in rows for name in row]
    return [Profile.from_mapping(row) for row in rows] + [Profile()]


def test_the_extension_is_built_where_a_compiler_is():
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None and shutil.which("cc") is None:
        pytest.skip("no C compiler here")
    assert native is not None, "a C compiler is here but runtime/_forest.c was not built (pip install . builds it)"


@needs_native
def test_native_and_numpy_agree_bit_for_bit_on_sample_profiles(forest):
    X = Estimator.load().model.schema_.encode_profiles(sample_profiles())
    expected = forest.raw(X, method="walk")
    for method in ("native", "native-masks", "masks"):
        np.testing.assert_array_equal(forest.raw(X, method=method), expected, err_msg=method)
    np.testing.assert_array_equal(forest.raw(X, outputs=[2], method="native"), expected[:, [2]])
    np.testing.assert_array_equal(forest.raw(X, outputs=[2, 0], method="native-masks"), expected[:, [2, 0]])


@needs_native
def test_native_in_threads_equals_one_call(forest):
    rng = np.random.default_rng(1)
    background = Estimator.load().model.background_
    # Rows drawn column by column from the background: all different, unknowns included.
    X = background[rng.integers(0, len(background), (5000, background.shape[1])), np.arange(background.shape[1])]
    bins = forest.bin(X)
    threaded = forest.raw_binned(bins, method="native")
    roots, spans = forest.trees((0, 1, 2, 3, 4))
    out = np.empty((len(bins), 5))
    native.evaluate(bins, forest.n_bins, forest.node_info, forest.table, forest.value, roots, spans, forest.baseline, out)
    np.testing.assert_array_equal(threaded, out)
    np.testing.assert_array_equal(out, forest.raw_binned(bins, method="masks"))
    np.testing.assert_array_equal(out, forest.raw_binned(bins, method="native-masks"))
    for method in ("native", "native-masks", "masks", "walk"):  # the threads a caller asks for (batch's worker: one)
        for threads in (1, 3):
            np.testing.assert_array_equal(out, forest.raw_binned(bins, method=method, threads=threads))


@needs_native
def test_native_refuses_arguments_it_cannot_use_safely(forest):
    bins = forest.bin(Estimator.load().model.background_[:3])
    roots, spans = forest.trees((0, 1, 2, 3, 4))
    good = [bins, forest.n_bins, forest.node_info, forest.table, forest.value, roots, spans, forest.baseline, np.empty((3, 5))]

    def call(**changes):
        args = list(good)
        for index, value in changes.items():
            args[int(index[1:])] = value
        native.evaluate(*args)

    call()
    too_far = bins.copy()
    too_far[1, 0] = forest.n_bins[0]  # a bin past the column's last: outside the node's table
    with pytest.raises(ValueError, match="row 1 has bin"):
        call(a0=too_far)
    with pytest.raises(ValueError, match="a root is not a node"):
        call(a5=np.append(roots, len(forest.value)).astype(np.int32))
    with pytest.raises(ValueError, match="spans"):
        call(a6=np.array([0, 10, 5, 20, 30, 40], dtype=np.int32))
    with pytest.raises(ValueError, match="sizes do not agree"):
        call(a8=np.empty((2, 5)))
    with pytest.raises(ValueError, match="bins: expected"):
        call(a0=bins.astype(np.int32))
    with pytest.raises(ValueError, match="table: expected"):
        call(a3=forest.table.astype(np.uint16))
    with pytest.raises(ValueError, match="not C-contiguous"):
        call(a8=np.empty((3, 5))[:, ::-1])
    with pytest.raises((TypeError, BufferError, ValueError)):
        call(a8=np.zeros((3, 5)).tobytes())  # read-only


@needs_native
def test_native_masks_refuse_arguments_they_cannot_use_safely(forest):
    from mlsalary.runtime.forest import NativeMasks

    bins = forest.bin(Estimator.load().model.background_[:3])
    masks = NativeMasks(forest, (0, 1, 2, 3, 4))
    used, starts, slots, offsets, initial = masks.arrays(())
    good = [bins, forest.n_bins, used, starts, slots, offsets, masks.masks, initial, masks.leaf_values, masks.spans, masks.baseline, np.empty((3, 5))]

    def call(**changes):
        args = list(good)
        for index, value in changes.items():
            args[int(index[1:])] = value
        native.evaluate_masks(*args)
        return args[-1]

    np.testing.assert_array_equal(call(), forest.raw_binned(bins, method="walk"))
    too_far = bins.copy()
    too_far[1, 0] = forest.n_bins[0]  # a bin past the column's last: outside its masks
    with pytest.raises(ValueError, match="row 1 has bin"):
        call(a0=too_far)
    with pytest.raises(ValueError, match="used column"):
        call(a2=np.append(used[:-1], len(forest.n_bins)).astype(np.int32))
    with pytest.raises(ValueError, match="starts"):
        call(a3=starts[::-1].copy())
    with pytest.raises(ValueError, match="outside the masks"):
        call(a5=np.full_like(offsets, len(masks.masks) - 1))
    with pytest.raises(ValueError, match="outside the masks"):
        call(a4=np.full_like(slots, len(used)))
    with pytest.raises(ValueError, match="spans"):
        call(a9=np.array([0, 10, 5, 20, 30, 40], dtype=np.int32))
    with pytest.raises(ValueError, match="sizes do not agree"):
        call(a8=masks.leaf_values[:-1].copy())
    with pytest.raises(ValueError, match="masks: expected"):
        call(a6=masks.masks.astype(np.uint16))


@needs_native
@pytest.mark.parametrize("forgery", ["a split that steps to itself", "a split that steps past the last node", "a leaf that steps on", "a node that reads past the table", "a node on a column rows do not have"])
def test_native_checks_the_node_tables_itself(forest, forgery):
    # Without Python's check of a model folder (the shipped forest skips it), a forged table
    # must be refused by the evaluator, not walked into other memory or forever.
    bins = forest.bin(Estimator.load().model.background_[:3])
    roots, spans = forest.trees((0, 1, 2, 3, 4))
    info, table = forest.node_info.copy(), forest.table.copy()
    leaf_column = len(forest.n_bins) - 1
    split = int(np.flatnonzero((info & 255) != leaf_column)[0])
    leaf = int(np.flatnonzero((info & 255) == leaf_column)[0])
    if forgery == "a split that steps to itself":
        table[info[split] >> 8] = 0
    elif forgery == "a split that steps past the last node":
        split = int(np.flatnonzero((info & 255) != leaf_column)[-1])
        table[info[split] >> 8] = 255
    elif forgery == "a leaf that steps on":
        table[info[leaf] >> 8] = 1
    elif forgery == "a node that reads past the table":
        info[-1] = (len(table) << 8) | (info[-1] & 255)
    else:
        info[split] = (info[split] & ~255) | (leaf_column + 1)
    with pytest.raises(ValueError, match="would leave them or never reach a leaf"):
        native.evaluate(bins, forest.n_bins, info, table, forest.value, roots, spans, forest.baseline, np.empty((3, 5)))
    # The genuine tables still evaluate after a refusal (the check's memory is not poisoned).
    native.evaluate(bins, forest.n_bins, forest.node_info, forest.table, forest.value, roots, spans, forest.baseline, np.empty((3, 5)))


def run_cli(args, env_changes=None, cwd=None, python_path=None):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "MLSALARY_PURE")}
    env.update({"NO_COLOR": "1", **(env_changes or {})})
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)
    return subprocess.run([sys.executable, "-m", "mlsalary", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_mlsalary_pure_gives_the_same_output(tmp_path):
    sample = str(ROOT / "sample_data" / "profiles.csv")
    for args in (ESTIMATE, ["batch", sample, "--explain"], ["batch", sample], ["batch", sample, "--output-format", "jsonl"]):
        default, pure = run_cli(args, cwd=tmp_path), run_cli(args, {"MLSALARY_PURE": "1"}, cwd=tmp_path)
        assert default.returncode == pure.returncode == 0, default.stderr + pure.stderr
        assert default.stdout == pure.stdout and default.stdout


@pytest.mark.install
def test_pip_install_without_a_c_compiler_works_and_answers_the_same(tmp_path):
    """`pip install .` where every C compiler fails: the extension is skipped with a warning,
    mlsalary installs, and estimates exactly as the evaluated-in-C install does."""
    pytest.importorskip("setuptools", minversion="77", reason="--no-build-isolation needs the build backend here (the test extras install it)")
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.egg-info", "build")
    shutil.copytree(ROOT / "mlsalary", source / "mlsalary", ignore=ignore)
    shutil.copytree(ROOT / "models", source / "models", ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copyfile(ROOT / name, source / name)
    failing = tmp_path / "no-compiler"
    failing.write_text("#!/bin/sh\necho 'no C compiler here' >&2\nexit 1\n")
    failing.chmod(0o755)
    env = {**os.environ, "CC": str(failing), "CXX": str(failing), "LDSHARED": f"{failing} -shared", "PIP_NO_INDEX": "1"}
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-v", "--no-deps", "--no-build-isolation", "--no-index", "--target", str(site), str(source)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    for extension in ("mlsalary.runtime._forest", "mlsalary.batch._text"):
        assert f'building extension "{extension}" failed' in install.stdout + install.stderr  # tried, failed, went on
    built = [p for p in site.glob("mlsalary/*/_*") if p.name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))]
    assert built == [], "a C extension was built without a compiler"
    assert (site / "mlsalary" / "shipped" / "forest.npz").is_file()
    # The taxonomy's tables and country index are package data too (estimate reads them below).
    tables = ROOT / "mlsalary" / "taxonomy" / "data"
    assert sorted(p.name for p in (site / "mlsalary" / "taxonomy" / "data").iterdir()) == sorted(p.name for p in tables.iterdir())
    probe = "import mlsalary, mlsalary.runtime.forest as f, mlsalary.batch.text as t; print(mlsalary.__file__, f._native, t._native)"
    where = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(site)}, cwd=tmp_path)
    assert where.stdout.split() == [str(site / "mlsalary" / "__init__.py"), "None", "None"], where.stdout + where.stderr
    sample = str(ROOT / "sample_data" / "profiles.csv")
    for args in (ESTIMATE, ["batch", sample], ["batch", sample, "--output-format", "jsonl"]):
        without_c = run_cli(args, cwd=tmp_path, python_path=site)
        with_this = run_cli(args, cwd=tmp_path)
        assert without_c.returncode == with_this.returncode == 0, without_c.stderr + with_this.stderr
        assert without_c.stdout == with_this.stdout and without_c.stdout
    assert json.loads(run_cli(ESTIMATE, cwd=tmp_path, python_path=site).stdout)["median"] > 0
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["no-compiler", "site", "source"]  # nothing else written


def test_binning_gives_the_plain_search_on_every_column_a_tree_reads():
    """Forest.bin gives the bins of the plain per-column search on values at, around and
    between the cut points, NaN included, in every column a tree splits on, and 0 elsewhere."""
    import numpy as np

    from mlsalary import Estimator

    forest = Estimator.load().model.forest
    rng = np.random.default_rng(7)
    n = 3000
    X = np.empty((n, forest.n_features))
    for f in range(forest.n_features):
        known = forest.categories[f] if f in forest.categories else forest.cut_points[f]
        pool = np.concatenate([known, known + 1e-9, known - 1e-9, [np.nan, -1.0, 0.0, 1.0, 0.5, 1e9]]) if len(known) else np.array([np.nan, 0.0, 1.0, 7.5])
        X[:, f] = rng.choice(pool, n)
    expected = np.zeros((n, forest.n_features + 1), dtype=np.uint16)
    for f in forest.read_columns.tolist():  # (a column no tree splits on is left 0: no node reads it)
        v = X[:, f]
        if f in forest.categories:
            categories = forest.categories[f]
            idx = np.searchsorted(categories, v)
            hit = idx < len(categories)
            hit[hit] = categories[idx[hit]] == v[hit]
            expected[:, f] = np.where(hit, idx, len(categories))
        else:
            cuts = forest.cut_points[f]
            expected[:, f] = np.where(np.isnan(v), len(cuts) + 1, np.searchsorted(cuts, v))
    assert np.array_equal(forest.bin(X), expected)
