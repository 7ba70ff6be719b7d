"""The compiled model (numpy only, no unpickling) predicts exactly what the sklearn model does."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mlsalary import explanations
from mlsalary.runtime import load
from mlsalary.train import store
from mlsalary.errors import ModelError
from mlsalary.train.salary_model import SalaryModel, table_to_columns
from mlsalary.profile import CATEGORICAL_FACTORS, FACTORS, Profile
from mlsalary.runtime import forest as forest_module
from mlsalary.train import export
from mlsalary.runtime.compile import compile_forest
from mlsalary.runtime.format import FOREST_FILE, FORMAT_VERSION, SCHEMA_FILE, read_metadata, shipped_model_dir
from mlsalary.runtime.forest import MASKS_FROM_ROWS, Forest, LeafMasks
from mlsalary.runtime.compiled_model import CompiledModel

from synthetic import synthetic_table


def sklearn_raw(model, X):
    return np.column_stack([e.predict(X) for e in model.estimators_])


@pytest.fixture(scope="module")
def shipped():
    model, metadata = store.load_trained()  # the scikit-learn model: the truth
    return model


@pytest.fixture(scope="module")
def shipped_compiled(shipped, tmp_path_factory):
    folder = tmp_path_factory.mktemp("compiled")
    artifacts = export.export(shipped, folder)
    return CompiledModel.load(folder, artifacts=artifacts)


# The forest's evaluators (Forest.raw_binned): numpy's two, and the C ones where they were built.
METHODS = ("walk", "masks") + (("native", "native-masks") if forest_module._native is not None else ())


def forest_of(estimators) -> Forest:
    return Forest(compile_forest([export.estimator_arrays(e) for e in estimators]))


def assert_same_predictions(model, compiled_model, X):
    # Trees are summed in scikit-learn's order, so the raw predictions are bit-identical,
    # whichever way the leaves are found.
    expected = sklearn_raw(model, X)
    for method in METHODS:
        np.testing.assert_array_equal(compiled_model.forest.raw(X, method=method), expected, err_msg=method)
    np.testing.assert_allclose(compiled_model.predict_log(X), model.predict_log(X), rtol=0, atol=1e-9)
    np.testing.assert_allclose(compiled_model.predict_median(X), model.predict_median(X), rtol=1e-12, atol=0)


def test_background_rows(shipped, shipped_compiled):
    assert_same_predictions(shipped, shipped_compiled, shipped.background_)
    np.testing.assert_array_equal(shipped_compiled.background_, shipped.background_)
    assert shipped_compiled.baseline_ == shipped.baseline_
    assert shipped_compiled.conformal_ == shipped.conformal_


def test_schema_round_trips(shipped, shipped_compiled):
    a, b = shipped.schema_, shipped_compiled.schema_
    assert a == b
    profiles = [Profile.from_mapping({"country": "Germany", "experience": 5, "skills": "python;pytorch", "education": "master"}), Profile()]
    np.testing.assert_array_equal(a.encode_profiles(profiles), b.encode_profiles(profiles))


def every_code_rows(schema, background):
    """Background rows with each categorical column set to each code, NaN and unseen values."""
    rows = []
    for name in (*CATEGORICAL_FACTORS, "country", "source"):
        column = schema.groups_[name][0]
        codes = list(schema.vocab_[name].values()) + [np.nan, -1.0, 2.5, len(schema.vocab_[name]) + 3.0, 300.0]
        for code in codes:
            for b in (0, 17, 40):
                row = background[b].copy()
                row[column] = code
                rows.append(row)
    return np.array(rows)


def test_every_category_unknowns_and_nan(shipped, shipped_compiled):
    schema = shipped.schema_
    X = every_code_rows(schema, shipped.background_)
    assert "other" in schema.vocab_["country"]
    # numeric unknowns and extremes
    extra = np.repeat(shipped.background_[:4], 6, axis=0)
    for i, value in enumerate([np.nan, 0.0, 0.5, 60.0, 1e9, -5.0] * 4):
        extra[i, schema.groups_["experience"][0]] = value
        extra[i, schema.groups_["years_coding"][0]] = value
    skills = list(schema.groups_["skills"])
    extra[::2, skills] = np.nan
    extra[1::4, skills] = 1.0
    X = np.vstack([X, extra])
    raw = sklearn_raw(shipped, X)
    for method in METHODS:
        np.testing.assert_array_equal(shipped_compiled.forest.raw(X, method=method), raw, err_msg=method)
    # predict_log on the reference source, as every query is made
    Xq = X.copy()
    Xq[:, schema.groups_["source"][0]] = schema.vocab_["source"][schema.reference_source_]
    assert_same_predictions(shipped, shipped_compiled, Xq)


def test_encoded_profiles(shipped, shipped_compiled):
    schema = shipped.schema_
    profiles = [Profile()]
    for name in CATEGORICAL_FACTORS:
        for value in schema.vocab_[name]:
            profiles.append(Profile(**{name: value}))
    for country in list(schema.vocab_["country"])[::5] + ["other"]:
        profiles.append(Profile(country=country, experience=7.0, skills=("python", "pytorch")))
    profiles.append(Profile(experience=0.0, years_coding=40.0, skills=("zig", "cuda", "not-a-modelled-skill")))
    profiles.append(Profile(skills=()))
    X = schema.encode_profiles(profiles)
    assert_same_predictions(shipped, shipped_compiled, X)


def test_real_rows(shipped, shipped_compiled, training_data):
    table = training_data.table.sample(3000, random_state=0).reset_index(drop=True)
    X = shipped.schema_.encode_columns(table_to_columns(table))
    assert_same_predictions(shipped, shipped_compiled, X)


@pytest.mark.parametrize("row", [0, 5, 33])
def test_contributions_match(shipped, shipped_compiled, row):
    schema = shipped.schema_
    x = shipped.background_[row].copy()
    if row == 5:
        x = schema.encode_profiles([Profile.from_mapping({"experience": 5, "country": "Germany", "skills": "python;pytorch", "education": "master"})])[0]
    if row == 33:
        x = schema.encode_profiles([Profile(country="other", role="backend")])[0]
    expected, expected_baseline = explanations.contributions(shipped, x)
    got, baseline = explanations.contributions(shipped_compiled, x)
    given = [name for name, g in zip(FACTORS, schema.given(x[None, :])[0]) if g]
    assert list(got) == list(expected) == given
    np.testing.assert_allclose([got[k] for k in given], [expected[k] for k in given], rtol=0, atol=1e-6)
    assert baseline == pytest.approx(expected_baseline, rel=1e-12)
    median = shipped.predict_median(x[None, :])[0]
    assert baseline + sum(got.values()) == pytest.approx(median, rel=1e-12)


# -- a small synthetic model: categorical codes with gaps, NaN, unseen categories at predict --


def synthetic_forest_case(seed=0):
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(seed)
    n = 3000
    X = np.column_stack(
        [
            rng.choice([0.0, 2.0, 5.0, 7.0, np.nan], n),  # categorical, codes with gaps and NaN
            rng.normal(size=n),  # numeric
            rng.choice([1.0, 3.0, 4.0], n),  # categorical, no NaN in training
            np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 3, n)),  # numeric with NaN
        ]
    )
    effect = {0.0: 0.0, 2.0: 1.0, 5.0: -1.0, 7.0: 0.5}
    y = np.array([effect.get(v, 2.0) for v in X[:, 0]]) + X[:, 1] + (X[:, 2] == 3) + np.nan_to_num(X[:, 3], nan=-1) + rng.normal(0, 0.1, n)
    estimators = []
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        estimators.append(
            HistGradientBoostingRegressor(
                loss="quantile", quantile=q, max_iter=40, max_leaf_nodes=15, min_samples_leaf=5, categorical_features=[True, False, True, False], random_state=0
            ).fit(X, y)
        )
    m = 2000
    Xt = np.column_stack(
        [
            rng.choice([0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 8.0, 255.0, 300.0, -1.0, 2.5, np.nan], m),  # unseen: 1 3 6 8 ...
            np.where(rng.random(m) < 0.1, np.nan, rng.normal(size=m) * 2),  # NaN never seen in training
            rng.choice([0.0, 1.0, 2.0, 3.0, 4.0, 9.0, np.nan], m),  # NaN and 0 2 9 unseen
            rng.choice([0.0, 1.0, 2.0, 5.0, -np.inf, np.inf, np.nan], m),
        ]
    )
    return estimators, Xt


def test_synthetic_unseen_categories_and_nan():
    estimators, Xt = synthetic_forest_case()
    forest = forest_of(estimators)
    expected = np.column_stack([e.predict(Xt) for e in estimators])
    for method in METHODS:
        np.testing.assert_array_equal(forest.raw(Xt, method=method), expected, err_msg=method)
    # one row at a time (no de-duplication) and many duplicates (de-duplicated) agree too
    np.testing.assert_array_equal(forest.raw(Xt[:7]), expected[:7])
    Xd = np.repeat(Xt[:50], 40, axis=0)
    np.testing.assert_array_equal(forest.raw(Xd), np.repeat(expected[:50], 40, axis=0))


def test_auto_picks_native_else_masks_for_many_rows_and_walks_past_32_leaves(monkeypatch):
    forest = forest_of(synthetic_forest_case()[0])
    few = forest.bin(synthetic_forest_case()[1][:10])
    many = np.repeat(few, MASKS_FROM_ROWS // 10 + 1, axis=0)
    expected = forest.raw_binned(many, method="walk")
    if forest_module._native is not None:
        np.testing.assert_array_equal(forest.raw_binned(many), expected)
        assert forest._masks == {}, "numpy's leaf masks were used although the C evaluator is built"
        assert list(forest._native_masks_of) == [(0, 1, 2, 3, 4)], "auto did not use the C evaluator's leaf masks"
    monkeypatch.setenv("MLSALARY_PURE", "1")  # numpy only
    forest.raw_binned(few)
    assert forest._masks == {}, "used the masks for 10 rows"
    np.testing.assert_array_equal(forest.raw_binned(many), expected)
    assert isinstance(forest._masks[(0, 1, 2, 3, 4)], LeafMasks)
    # A tree with more than 32 leaves has no uint32 masks: the walk (or C) is used instead.
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 3))
    big = HistGradientBoostingRegressor(max_iter=3, max_leaf_nodes=63, min_samples_leaf=2, random_state=0).fit(X, X @ [1.0, 2.0, 3.0])
    assert max(p.nodes["is_leaf"].sum() for p in big._predictors for p in p) > 32
    wide = forest_of([big])
    assert LeafMasks.of(wide, (0,)) is None and len(wide._mask_arrays["leaf_values"]) == 0
    many = np.repeat(wide.bin(X), 2, axis=0)  # enough rows for auto to try the masks
    for method in ("auto",) + tuple(m for m in METHODS if "masks" not in m):
        np.testing.assert_array_equal(wide.raw_binned(many, method=method), np.repeat(big.predict(X), 2)[:, None], err_msg=method)
    assert wide._masks == {(0,): None} and wide._native_masks_of == {}
    with pytest.raises(ValueError, match="more than 32 leaves"):
        wide.raw(X[:5], method="masks")
    with pytest.raises(ValueError, match="no leaf masks"):
        wide.raw(X[:5], method="native-masks")


@pytest.mark.skipif(forest_module._native is None, reason="the C evaluator is not built here")
@pytest.mark.parametrize("method", ["native", "native-masks"])
def test_columns_every_row_shares_are_walked_past_to_the_same_leaves(shipped, shipped_compiled, method):
    # Batch rows share the reference survey and year, and often a factor no row gives: the C
    # evaluator walks past those splits (Forest._walked_past) or ANDs their masks in once
    # (NativeMasks.arrays), and must reach scikit-learn's sums.
    schema, forest = shipped.schema_, shipped_compiled.forest
    rng = np.random.default_rng(4)
    background = shipped.background_
    X = background[rng.integers(0, len(background), (forest_module.SHARED_FROM_ROWS + 100, background.shape[1])), np.arange(background.shape[1])]
    X[:, schema.groups_["source"][0]] = schema.vocab_["source"][schema.reference_source_]
    X[:, schema.groups_["year"][0]] = schema.reference_year_
    X[:, schema.groups_["seniority"][0]] = np.nan
    forest._walks.clear()
    forest._native_masks_of.clear()
    np.testing.assert_array_equal(forest.raw(X, method=method), sklearn_raw(shipped, X))
    if method == "native":
        assert any(walk is not None for walk in forest._walks.values()), "nothing was walked past"
    else:
        shared = [key for masks in forest._native_masks_of.values() for key in masks._arrays]
        assert any(len(key) > 0 for key in shared), "no shared column was ANDed in"
    # Every row its own source: the source's splits are walked, not past.
    X[:, schema.groups_["source"][0]] = rng.choice(list(schema.vocab_["source"].values()), len(X))
    np.testing.assert_array_equal(forest.raw(X, method=method), sklearn_raw(shipped, X))
    assert forest._walked_past(()) is None  # nothing known: the plain tables


def test_synthetic_salary_model_export_load(tmp_path):
    model = SalaryModel(max_iter=30, min_samples_leaf=10, background_size=16).fit(synthetic_table(1500, 1), synthetic_table(400, 2))
    artifacts = export.export(model, tmp_path)
    loaded = CompiledModel.load(tmp_path, artifacts=artifacts)
    schema = model.schema_
    # "other" country, roles/educations never seen in training, NaN everywhere
    profiles = [Profile(), Profile(country="other", role="data-engineer", education="doctorate-or-professional", seniority="senior")]
    profiles += [Profile(country=c, experience=e, skills=s) for c in ("US", "DE", "IN") for e in (None, 3.0) for s in (None, ("python",), ("pytorch", "rust"))]
    X = schema.encode_profiles(profiles)
    assert_same_predictions(model, loaded, X)
    assert_same_predictions(model, loaded, model.background_)
    for x in X[:4]:
        expected, expected_baseline = explanations.contributions(model, x)
        got, baseline = explanations.contributions(loaded, x)
        np.testing.assert_allclose(list(got.values()), list(expected.values()), rtol=0, atol=1e-6)
        assert baseline == pytest.approx(expected_baseline, rel=1e-12)
    # exporting twice gives the same bytes (reproducible artifacts)
    assert export.export(model, tmp_path / "again") == artifacts


def test_the_shipped_model_passes_the_checks_its_load_skips():
    # runtime.load.load() trusts the shipped folder once its sha256 matches and skips the
    # structure and prediction checks; this is where they are run on it.
    folder = shipped_model_dir()
    artifacts = read_metadata(folder)["artifacts"]
    checked = CompiledModel.load(folder, artifacts=artifacts)  # raises if a check fails
    trusted, _ = load.load()
    assert isinstance(trusted, CompiledModel)
    X = np.vstack([checked.background_, checked.schema_.encode_profiles([Profile(), Profile(country="DE", experience=4.0)])])
    np.testing.assert_array_equal(trusted.predict(X), checked.predict(X))
    with pytest.raises(ValueError, match="hashes"):
        CompiledModel.load(folder, shipped=True)


def test_a_damaged_shipped_model_is_still_refused(tmp_path, monkeypatch):
    # Skipping the checks rests on the hash: a changed byte must still stop the load.
    import shutil

    folder = tmp_path / "shipped"
    shutil.copytree(shipped_model_dir(), folder)
    data = bytearray((folder / FOREST_FILE).read_bytes())
    data[len(data) // 3] ^= 0x01
    (folder / FOREST_FILE).write_bytes(bytes(data))
    monkeypatch.setattr(load, "shipped_model_dir", lambda: folder)
    with pytest.raises(ModelError, match="sha256"):
        load.load()


def test_damaged_files_are_refused(shipped, tmp_path):
    artifacts = export.export(shipped, tmp_path)
    forest = tmp_path / FOREST_FILE
    data = bytearray(forest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    forest.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256"):
        CompiledModel.load(tmp_path, artifacts=artifacts)
    with pytest.raises(ModelError):
        CompiledModel.load(tmp_path)
    document = json.loads((tmp_path / SCHEMA_FILE).read_text())
    document["format_version"] = 99
    (tmp_path / SCHEMA_FILE).write_text(json.dumps(document))
    with pytest.raises(ModelError, match="unsupported format"):
        CompiledModel.load(tmp_path)


def test_query_path_imports_no_sklearn_pandas_joblib(shipped, tmp_path):
    export.export(shipped, tmp_path)
    code = f"""
import sys
import numpy as np
from mlsalary import explanations
from mlsalary.profile import Profile
from mlsalary.runtime.compiled_model import CompiledModel
model = CompiledModel.load({str(tmp_path)!r})
x = model.schema_.encode_profiles([Profile(country="Germany", experience=5.0, skills=("python",))])
q = model.predict(x)
c, b = explanations.contributions(model, x[0])
assert q.shape == (1, 5) and list(c) == ["experience", "country", "skills"]
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sklearn", "pandas", "joblib", "scipy"))
print(heavy)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_shipped_compiled_files_are_the_export_of_its_model_joblib(shipped, tmp_path):
    # models/forest.npz and forest.json are regenerated from model.joblib by export
    # (store.recompile), byte for byte, and are in the current format version.
    metadata = read_metadata(shipped_model_dir())
    exported = export.export(shipped, tmp_path)
    assert exported == {name: metadata["artifacts"][name] for name in (FOREST_FILE, SCHEMA_FILE)}
    assert metadata["format_version"] == FORMAT_VERSION


def test_the_arrays_are_used_in_place(shipped_compiled):
    # No copy at load: the evaluator's arrays are read-only views of forest.npz's bytes.
    forest = shipped_compiled.forest
    blobs = set()
    for array in (forest.table, forest.node_info, forest.value, forest.roots, forest.n_bins, shipped_compiled.background_):
        assert not array.flags.owndata and not array.flags.writeable and array.flags.aligned
        base = array
        while isinstance(base, np.ndarray):
            base = base.base
        assert isinstance(base, bytes)
        blobs.add(id(base))
    assert len(blobs) == 1
