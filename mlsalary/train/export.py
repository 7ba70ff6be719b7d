"""Export (train time): the only code that reads scikit-learn internals.

Everything that depends on how scikit-learn 1.9's HistGradientBoostingRegressor stores a fitted
model (`_predictors`, `_bin_mapper`, `_preprocessor`, `_baseline_prediction`, `_loss`) is here,
as skops keeps it in io/_sklearn.py: a new scikit-learn version is checked against this one
module. `export(model, directory)` turns a fitted SalaryModel into `forest.npz` and
`forest.json` (runtime/format.py), through the tables of runtime/compile.py; the query path
(runtime/forest.py, runtime/compiled_model.py) never imports scikit-learn. Routing follows scikit-learn:

- categorical columns are first ordinal-encoded (the estimator's internal OrdinalEncoder):
  a value is replaced by its index among the categories seen in training; an unseen value
  or NaN becomes NaN;
- NaN goes to the side the split learned for missing values (`missing_go_to_left`);
- a categorical split sends a code to the left if it is in the split's bitset, to the right
  if it is a known category of the feature (`known_cat_bitsets`), and otherwise (a category
  the binner never saw) the missing-value way;
- a numeric split sends `value <= threshold` to the left;
- the raw prediction is the baseline plus the sum of the trees' leaf values (identity link).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlsalary.runtime.features import schema_to_json
from mlsalary.runtime.compile import compile_forest
from mlsalary.runtime.format import N_CODES, Artifact, write_compiled


def _original_columns(estimator) -> np.ndarray:
    """Map the estimator's internal feature index to the column index of the input X.

    With categorical features, scikit-learn puts them first (its ColumnTransformer with the
    OrdinalEncoder) and the numeric ones after, each group in input order.
    """
    n = estimator.n_features_in_
    pre = getattr(estimator, "_preprocessor", None)
    if pre is None:
        return np.arange(n)
    out = np.full(n, -1, dtype=np.int64)
    for name, _, columns in pre.transformers_:
        if name == "remainder" and (isinstance(columns, slice) or len(np.atleast_1d(columns)) == 0):
            continue
        selected = np.arange(n)[columns]
        target = pre.output_indices_[name]
        out[np.arange(target.start, target.stop)] = selected
    if (out < 0).any() or sorted(out.tolist()) != list(range(n)):
        raise ValueError("cannot map the estimator's internal features to input columns")
    return out


def estimator_arrays(estimator) -> dict[str, np.ndarray]:
    """One fitted HistGradientBoostingRegressor as flat node arrays (compile.PER_NODE & co.,
    format version 1's arrays), the input of compile.compile_forest."""
    if getattr(estimator, "n_trees_per_iteration_", 1) != 1:
        raise ValueError("only single-output regressors can be compiled")
    link = type(estimator._loss.link).__name__
    if link != "IdentityLink":
        raise ValueError(f"unsupported link {link}")
    n_features = estimator.n_features_in_
    to_input = _original_columns(estimator)
    is_cat_internal = np.asarray(estimator._bin_mapper.is_categorical_, dtype=bool)
    known, f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()

    # Per input column: the categories of the internal OrdinalEncoder (sorted, NaN dropped).
    cat_columns, cat_values, cat_offsets = [], [], [0]
    # Known categories (in encoded space) per input column, as 256-entry booleans.
    known_codes = np.zeros((n_features, N_CODES), dtype=bool)
    pre = getattr(estimator, "_preprocessor", None)
    if pre is not None:
        encoder = pre.named_transformers_["encoder"]
        encoded_columns = np.arange(n_features)[pre.output_indices_["encoder"]]
        for internal, categories in zip(encoded_columns, encoder.categories_):
            categories = np.asarray(categories, dtype=float)
            categories = categories[~np.isnan(categories)]
            column = int(to_input[internal])
            cat_columns.append(column)
            cat_values.append(categories)
            cat_offsets.append(cat_offsets[-1] + len(categories))
    for internal in np.flatnonzero(is_cat_internal):
        words = known[f_idx_map[internal]]
        codes = np.arange(N_CODES)
        known_codes[to_input[internal]] = (words[codes // 32] >> (codes % 32).astype(np.uint32)) & 1 == 1

    values, features, thresholds, missing_left, lefts, rights, leaves, categorical, bitsets = ([] for _ in range(9))
    cat_left: list[np.ndarray] = []  # one 256-entry boolean row per categorical split (encoded codes)
    roots = []
    offset = 0
    for (predictor,) in estimator._predictors:
        nodes = predictor.nodes
        raw_bitsets = np.asarray(predictor.raw_left_cat_bitsets, dtype=np.uint32)
        roots.append(offset)
        is_leaf = nodes["is_leaf"].astype(bool)
        is_cat = nodes["is_categorical"].astype(bool) & ~is_leaf
        feature = np.where(is_leaf, 0, to_input[nodes["feature_idx"]])
        left = np.where(is_leaf, -1, nodes["left"].astype(np.int64) + offset)
        right = np.where(is_leaf, -1, nodes["right"].astype(np.int64) + offset)
        bitset = np.full(len(nodes), -1, dtype=np.int64)
        for node in np.flatnonzero(is_cat):
            words = raw_bitsets[nodes["bitset_idx"][node]]
            codes = np.arange(N_CODES)
            bitset[node] = len(cat_left)
            cat_left.append((words[codes // 32] >> (codes % 32).astype(np.uint32)) & 1 == 1)
        values.append(nodes["value"].astype(float))
        features.append(feature)
        thresholds.append(np.where(is_leaf | is_cat, np.nan, nodes["num_threshold"]))
        missing_left.append(nodes["missing_go_to_left"].astype(bool))
        lefts.append(left)
        rights.append(right)
        leaves.append(is_leaf)
        categorical.append(is_cat)
        bitsets.append(bitset)
        offset += len(nodes)
    # A categorical split's full decision table over encoded codes: left if in the split's
    # bitset, right if a known category, else the missing-value way.
    cat_table = np.zeros((len(cat_left), N_CODES), dtype=bool)
    all_cat = np.concatenate(categorical)
    all_bitset = np.concatenate(bitsets)
    all_feature = np.concatenate(features)
    all_missing = np.concatenate(missing_left)
    for node in np.flatnonzero(all_cat):
        row = all_bitset[node]
        cat_table[row] = np.where(cat_left[row], True, np.where(known_codes[all_feature[node]], False, all_missing[node]))
    return {
        "baseline": np.asarray(estimator._baseline_prediction, dtype=float).reshape(-1)[:1],
        "roots": np.asarray(roots, dtype=np.int64),
        "value": np.concatenate(values),
        "feature": all_feature.astype(np.int64),
        "threshold": np.concatenate(thresholds),
        "missing_left": all_missing,
        "left": np.concatenate(lefts),
        "right": np.concatenate(rights),
        "is_leaf": np.concatenate(leaves),
        "is_categorical": all_cat,
        "cat_row": all_bitset,
        "cat_table": cat_table,
        "cat_columns": np.asarray(cat_columns, dtype=np.int64),
        "cat_values": np.concatenate(cat_values) if cat_values else np.zeros(0),
        "cat_offsets": np.asarray(cat_offsets, dtype=np.int64),
        "n_features": np.asarray([n_features], dtype=np.int64),
    }


def export(model, directory) -> dict[str, Artifact]:
    """Write `forest.npz` and `forest.json` for a fitted SalaryModel into `directory`.

    Returns {file name: {"sha256": ..., "bytes": ...}} for the model's metadata.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = compile_forest([estimator_arrays(estimator) for estimator in model.estimators_])
    arrays["background"] = np.asarray(model.background_, dtype="<f8")
    document = {
        "n_models": len(model.estimators_),
        "baseline": float(model.baseline_),
        "conformal": model.conformal_,
        "calibration_size": getattr(model, "calibration_size_", {}),
        "schema": schema_to_json(model.schema_),
        "shifts": model.shifts_.to_json(),
    }
    return write_compiled(folder, arrays, document)
