"""The query-time model: the trained forests as plain arrays, evaluated in numpy.

`export(model, directory)` runs at train time (scikit-learn available) and writes
`forest.npz` (numeric arrays only: loads with allow_pickle=False) and `forest.json` (the
feature schema, the conformal margins and the baseline). `CompiledModel.load(directory)`
reads them back with numpy, json and the standard library only: no scikit-learn, pandas or
joblib import, and no unpickling, so a model folder is data, not code.

The trained `SalaryModel` stays the source of truth; the compiled form reproduces its
predictions (tests compare them on the shipped model, real rows and a synthetic model with
unseen categories). Routing follows scikit-learn 1.9's HistGradientBoostingRegressor:

- categorical columns are first ordinal-encoded (the estimator's internal OrdinalEncoder):
  a value is replaced by its index among the categories seen in training; an unseen value
  or NaN becomes NaN;
- NaN goes to the side the split learned for missing values (`missing_go_to_left`);
- a categorical split sends a code to the left if it is in the split's bitset, to the right
  if it is a known category of the feature (`known_cat_bitsets`), and otherwise (a category
  the binner never saw) the missing-value way;
- a numeric split sends `value <= threshold` to the left;
- the raw prediction is the baseline plus the sum of the trees' leaf values (identity link).

Prediction traverses all trees of a model (or of all five models) together, level by level,
for a chunk of rows at a time.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from mlsalary.errors import ModelError
from mlsalary.persistence import RETRAIN_HINT, file_sha256, one_line
from mlsalary.features import FeatureSchema

FOREST_FILE = "forest.npz"
SCHEMA_FILE = "forest.json"
FORMAT_VERSION = 1
COMPRESSION = zipfile.ZIP_STORED
MEDIAN = 2  # p10 p25 p50 p75 p90: the median is the p50 model, as in SalaryModel
N_MODELS = 5  # one per quantile, as in SalaryModel
MAX_ARRAY_BYTES = 512 << 20  # forest.npz, uncompressed (the shipped model's: 11 MB)
N_CODES = 256  # a bitset of 8 uint32 words: category codes 0..255

_NODE_FIELDS = ("value", "feature_idx", "num_threshold", "missing_go_to_left", "left", "right", "is_leaf", "is_categorical", "bitset_idx")
# The arrays of one compiled estimator (see _estimator_arrays): one entry per node, integers.
_PER_NODE = ("value", "feature", "threshold", "missing_left", "left", "right", "is_leaf", "is_categorical", "cat_row")
_INTEGER = ("feature", "left", "right", "cat_row", "roots", "cat_columns", "cat_offsets", "n_features")
_REQUIRED = _PER_NODE + ("baseline", "roots", "cat_table", "cat_columns", "cat_values", "cat_offsets", "n_features")


# -- export (train time) ---------------------------------------------------------------------


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


def _estimator_arrays(estimator) -> dict[str, np.ndarray]:
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


def _schema_to_json(schema: FeatureSchema) -> dict[str, Any]:
    out = {}
    for f in fields(schema):
        value = getattr(schema, f.name)
        if isinstance(value, dict):
            value = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _schema_from_json(data: dict[str, Any]) -> FeatureSchema:
    schema = FeatureSchema()
    known = {f.name: f for f in fields(schema)}
    for name, value in data.items():
        if name not in known:
            raise ModelError(f"{SCHEMA_FILE}: unknown schema field '{name}'")
        default = getattr(schema, name)
        if isinstance(default, tuple):
            value = tuple(value)
        elif name == "groups_":
            value = {k: tuple(int(i) for i in v) for k, v in value.items()}
        elif name == "vocab_":
            value = {k: {str(a): int(b) for a, b in v.items()} for k, v in value.items()}
        setattr(schema, name, value)
    return schema


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like np.savez_compressed, but byte-for-byte reproducible (fixed zip timestamps)."""
    with zipfile.ZipFile(path, "w", compression=COMPRESSION) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = COMPRESSION
            archive.writestr(info, buffer.getvalue())


def export(model, directory) -> dict[str, dict[str, Any]]:
    """Write `forest.npz` and `forest.json` for a fitted SalaryModel into `directory`.

    Returns {file name: {"sha256": ..., "bytes": ...}} for the model's metadata.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {"background": np.asarray(model.background_, dtype=float)}
    for k, estimator in enumerate(model.estimators_):
        for name, array in _estimator_arrays(estimator).items():
            arrays[f"m{k}_{name}"] = array
    _write_npz(folder / FOREST_FILE, arrays)
    document = {
        "format": "mlsalary-forest",
        "format_version": FORMAT_VERSION,
        "n_models": len(model.estimators_),
        "baseline": float(model.baseline_),
        "conformal": model.conformal_,
        "calibration_size": getattr(model, "calibration_size_", {}),
        "schema": _schema_to_json(model.schema_),
    }
    (folder / SCHEMA_FILE).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    return {name: {"sha256": file_sha256(folder / name), "bytes": (folder / name).stat().st_size} for name in (FOREST_FILE, SCHEMA_FILE)}


# -- the forest evaluator --------------------------------------------------------------------


class Forest:
    """One or more tree ensembles in flat node arrays, evaluated together."""

    def __init__(self, parts: Sequence[dict[str, np.ndarray]]):
        for k, p in enumerate(parts):
            _check_part(k, p)
        n_features = {int(p["n_features"][0]) for p in parts}
        if len(n_features) != 1:
            raise ModelError("the compiled models disagree on the number of features")
        self.n_features = n_features.pop()
        self.n_outputs = len(parts)
        self.baseline = np.array([float(p["baseline"][0]) for p in parts])
        node_offset = cat_offset = 0
        cols: dict[str, list] = {k: [] for k in ("value", "feature", "threshold", "missing_left", "left", "right", "cat_row", "output", "roots", "root_output")}
        tables = []
        for out, p in enumerate(parts):
            n = len(p["value"])
            is_leaf = p["is_leaf"].astype(bool)
            cols["value"].append(np.where(is_leaf, p["value"], 0.0))
            cols["feature"].append(p["feature"])
            cols["threshold"].append(p["threshold"])
            cols["missing_left"].append(p["missing_left"].astype(bool))
            # Leaves point to themselves: a finished traversal stays where it is.
            idx = np.arange(node_offset, node_offset + n)
            cols["left"].append(np.where(is_leaf, idx, p["left"] + node_offset))
            cols["right"].append(np.where(is_leaf, idx, p["right"] + node_offset))
            cols["cat_row"].append(np.where(p["is_categorical"].astype(bool), p["cat_row"] + cat_offset, -1))
            cols["output"].append(np.full(n, out))
            cols["roots"].append(p["roots"] + node_offset)
            cols["root_output"].append(np.full(len(p["roots"]), out))
            tables.append(p["cat_table"])
            node_offset += n
            cat_offset += len(p["cat_table"])
        c = {k: np.concatenate(v) for k, v in cols.items()}
        self.value = c["value"].astype(float)
        self.feature = c["feature"].astype(np.intp)
        self.threshold = c["threshold"].astype(float)
        self.missing_left = c["missing_left"]
        self.left = c["left"].astype(np.intp)
        self.right = c["right"].astype(np.intp)
        self.is_leaf = self.left == np.arange(len(self.left))
        self._declared_leaf = np.concatenate([p["is_leaf"].astype(bool) for p in parts])
        self.cat_row = c["cat_row"].astype(np.intp)
        self.is_categorical = self.cat_row >= 0
        self.cat_table = np.concatenate(tables) if tables else np.zeros((0, N_CODES), bool)
        self.roots = c["roots"].astype(np.intp)
        self.root_output = c["root_output"].astype(np.intp)
        # Categorical encoding must be the same for every part (same X, same encoder).
        first = parts[0]
        for p in parts[1:]:
            if not all(np.array_equal(p[k], first[k]) for k in ("cat_columns", "cat_values", "cat_offsets")):
                raise ModelError("the compiled models encode categorical columns differently")
        columns, values, offsets = (first[k].tolist() for k in ("cat_columns", "cat_values", "cat_offsets"))
        if len(offsets) != len(columns) + 1 or offsets[0] != 0 or offsets[-1] != len(values) or any(b < a for a, b in zip(offsets, offsets[1:])):
            raise ModelError(f"{FOREST_FILE}: the categories of the categorical columns are inconsistent")
        self.cat_columns = [int(c) for c in columns]
        self.cat_values = [np.asarray(values[offsets[i] : offsets[i + 1]], dtype=float) for i in range(len(columns))]
        self._validate()
        self._build_tables()

    def _validate(self) -> None:
        n = len(self.value)
        ok = (
            len(self.roots) > 0
            and self.roots.min() >= 0 and self.roots.max() < n
            and self.left.min() >= 0 and self.left.max() < n
            and self.right.min() >= 0 and self.right.max() < n
            and self.feature.min(initial=0) >= 0 and self.feature.max(initial=0) < self.n_features
            and self.cat_row.max(initial=-1) < len(self.cat_table)
            and all(0 <= c < self.n_features for c in self.cat_columns)
            and all(len(v) <= N_CODES and bool(np.all(np.diff(v) > 0)) for v in self.cat_values)
            and bool(np.array_equal(self.is_leaf, self._declared_leaf))
            and bool(np.all(np.isfinite(self.value))) and bool(np.all(np.isfinite(self.baseline)))
        )
        internal = ~self.is_leaf
        # Children come after their parent (sklearn's depth-first layout): no cycles.
        ok = ok and bool(np.all(self.left[internal] > np.flatnonzero(internal))) and bool(np.all(self.right[internal] > np.flatnonzero(internal)))
        if not ok:
            raise ModelError(f"{FOREST_FILE} is inconsistent (damaged or not made by mlsalary)")

    def _build_tables(self) -> None:
        """Per internal node, a go-left table over the bins of its column.

        Every column is cut into bins once per query (`bin`): for a numeric column, the number
        of the forest's thresholds on it below the value, with NaN in a last bin of its own;
        for a categorical column, the ordinal code (unseen or NaN in a last bin). Then every
        split - numeric, categorical, missing value - is one table look-up.
        """
        F = self.n_features
        internal = np.flatnonzero(~self.is_leaf)
        column_of = self.feature[internal]
        self.cut_points: list[np.ndarray] = []
        self.n_bins = np.zeros(F + 1, dtype=np.intp)
        cat_index = {c: i for i, c in enumerate(self.cat_columns)}
        order = np.argsort(column_of, kind="stable")
        bounds = np.searchsorted(column_of[order], np.arange(F + 1))
        leaves = np.flatnonzero(self.is_leaf)
        tables = [leaves]  # a leaf's entry: the leaf itself (a finished traversal stays put)
        offset = len(leaves)
        self.table_offset = np.zeros(len(self.value), dtype=np.intp)
        self.table_offset[leaves] = np.arange(len(leaves))
        for f in range(F):
            nodes = internal[order[bounds[f] : bounds[f + 1]]]
            if f in cat_index:
                n_known = len(self.cat_values[cat_index[f]])
                self.cut_points.append(np.zeros(0))
                self.n_bins[f] = n_known + 1
                if len(nodes):
                    if (~self.is_categorical[nodes]).any():
                        raise ModelError(f"{FOREST_FILE}: a numeric split on categorical column {f}")
                    table = np.concatenate([self.cat_table[self.cat_row[nodes], :n_known], self.missing_left[nodes, None]], axis=1)
            else:
                if self.is_categorical[nodes].any():
                    raise ModelError(f"{FOREST_FILE}: a categorical split on numeric column {f}")
                cuts = np.unique(self.threshold[nodes])
                self.cut_points.append(cuts)
                self.n_bins[f] = len(cuts) + 2
                if len(nodes):
                    j = np.searchsorted(cuts, self.threshold[nodes])
                    table = np.concatenate([np.arange(len(cuts) + 1)[None, :] <= j[:, None], self.missing_left[nodes, None]], axis=1)
            if len(nodes):
                table = np.where(table, self.left[nodes, None], self.right[nodes, None])
                tables.append(table.ravel())
                self.table_offset[nodes] = offset + np.arange(len(nodes)) * self.n_bins[f]
                offset += table.size
        self.n_bins[F] = 1
        # next node = table[table_offset[node] + bin of the row in column[node]]
        self.table = np.concatenate(tables).astype(np.int32)
        self.table_offset = self.table_offset.astype(np.int32)
        self.column = np.where(self.is_leaf, F, self.feature).astype(np.int32)
        # Both per-node numbers in one look-up: table offset << 8 | column.
        if len(self.table) >= 1 << 23 or F >= 255:
            raise ModelError(f"{FOREST_FILE}: the forest is too large for this version of mlsalary")
        self.node_info = (self.table_offset << 8) | self.column
        self.max_depth = self._depth()

    def _depth(self) -> int:
        level, depth = self.roots, 0
        while True:
            level = level[~self.is_leaf[level]]
            if not len(level):
                return depth
            level = np.concatenate([self.left[level], self.right[level]])
            depth += 1

    def bin(self, X: np.ndarray) -> np.ndarray:
        """Bin index of every value, shape (n, n_features + 1) (the last column is 0)."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X has shape {X.shape}; expected (n, {self.n_features})")
        out = np.zeros((len(X), self.n_features + 1), dtype=np.uint16)
        cat_index = {c: i for i, c in enumerate(self.cat_columns)}
        for f in range(self.n_features):
            v = X[:, f]
            if f in cat_index:
                categories = self.cat_values[cat_index[f]]
                idx = np.searchsorted(categories, v)
                hit = idx < len(categories)
                hit[hit] = categories[idx[hit]] == v[hit]
                out[:, f] = np.where(hit, idx, len(categories))
            else:
                cuts = self.cut_points[f]
                out[:, f] = np.where(np.isnan(v), len(cuts) + 1, np.searchsorted(cuts, v))
        return out

    def _leaves(self, bins: np.ndarray, roots: np.ndarray, rows: int = 1024) -> np.ndarray:
        """Leaf reached in each of `roots`' trees by each binned row: shape (n, len(roots)).

        All (tree, row) states step down one level at a time. States are laid out tree by tree
        over blocks of `rows` rows, so that consecutive look-ups hit one tree's tables and one
        block's bins, which stay in cache (1.5x faster than row by row, measured).
        """
        out = np.empty((len(bins), len(roots)), dtype=np.int32)
        for start in range(0, len(bins), rows):
            self._leaves_block(bins[start : start + rows], roots, out[start : start + rows])
        return out

    def _leaves_block(self, block: np.ndarray, roots: np.ndarray, out: np.ndarray) -> None:
        m, n_trees = len(block), len(roots)
        info, table, is_leaf = self.node_info, self.table, self.is_leaf
        flat = block.ravel().astype(np.int32)
        node = np.repeat(roots.astype(np.int32), m)
        base = np.tile(np.arange(m, dtype=np.int32) * np.int32(block.shape[1]), n_trees)
        result = np.empty_like(node)
        alive = None  # None: every state, in order
        for step in range(1, self.max_depth + 1):
            packed = info.take(node)
            node = table.take((packed >> 8) + flat.take(base + (packed & 255)))
            if step % 3 == 0 and step < self.max_depth:
                leaf = is_leaf.take(node)
                done = np.flatnonzero(leaf)
                if len(done):  # drop finished states
                    keep = np.flatnonzero(~leaf)
                    if alive is None:
                        result[done] = node[done]
                        alive = keep
                    else:
                        result[alive[done]] = node[done]
                        alive = alive[keep]
                    node, base = node[keep], base[keep]
                    if not len(node):
                        break
        if alive is None:
            result = node
        else:
            result[alive] = node
        out[:] = result.reshape(n_trees, m).T

    def raw_binned(
        self, bins: np.ndarray, outputs: Sequence[int] | None = None, block_rows: int = 512, method: str = "auto"
    ) -> np.ndarray:
        """Raw predictions of binned rows, shape (n, len(outputs)).

        Two exact methods: "walk" steps every (tree, row) down the trees level by level;
        "masks" (LeafMasks) finds each tree's exit leaf from per-feature leaf bitmasks, 2.8x
        faster but with tables to build once (~0.6 s), so "auto" uses it from
        MASKS_FROM_ROWS rows on, or once built. Blocks of rows are independent and threads share
        them: numpy's indexing releases the GIL (two threads: 1.7x on 2 cores, measured).
        """
        outputs = list(range(self.n_outputs)) if outputs is None else list(outputs)
        bounds = np.searchsorted(self.root_output, np.arange(self.n_outputs + 1))
        roots = np.concatenate([self.roots[bounds[k] : bounds[k + 1]] for k in outputs])
        spans = np.cumsum([0] + [bounds[k + 1] - bounds[k] for k in outputs])
        masks = self._leaf_masks(tuple(outputs), roots, len(bins), method)
        out = np.empty((len(bins), len(outputs)))

        def block(start: int) -> None:
            rows = bins[start : start + block_rows]
            if masks is not None:
                values = masks.leaf_values(rows)  # (trees, rows)
            else:
                values = self.value[self._leaves(rows, roots)].T
            for j, k in enumerate(outputs):
                # baseline + tree 0 + tree 1 + ...: the order scikit-learn adds them in.
                total = np.full(len(rows), self.baseline[k])
                for tree_values in values[spans[j] : spans[j + 1]]:
                    total += tree_values
                out[start : start + block_rows, j] = total

        starts = range(0, len(bins), block_rows)
        threads = min(len(starts), usable_cpus())
        if threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(block, starts))
        else:
            for start in starts:
                block(start)
        return out

    def _leaf_masks(self, outputs: tuple, roots: np.ndarray, n_rows: int, method: str) -> "LeafMasks | None":
        if method not in ("auto", "walk", "masks"):
            raise ValueError(f"method must be auto, walk or masks; got {method!r}")
        cache = self.__dict__.setdefault("_masks", {})
        if method == "walk" or (method == "auto" and outputs not in cache and n_rows < MASKS_FROM_ROWS):
            return None
        if outputs not in cache:
            cache[outputs] = LeafMasks.build(self, roots)
        if cache[outputs] is None and method == "masks":
            raise ValueError(f"a tree has more than {LeafMasks.MAX_LEAVES} leaves: no leaf masks")
        return cache[outputs]

    # -- prediction ----------------------------------------------------------------------

    def raw(self, X: np.ndarray, outputs: Sequence[int] | None = None, chunk_rows: int = 1 << 16, method: str = "auto") -> np.ndarray:
        """Raw predictions (baseline + sum of leaves), shape (n, n_outputs).

        Identical rows (after binning) are evaluated once: batch files repeat profiles.
        `method`: see raw_binned.
        """
        X = np.asarray(X, dtype=float)
        out = np.empty((len(X), self.n_outputs if outputs is None else len(outputs)))
        for start in range(0, len(X), chunk_rows):
            bins = self.bin(X[start : start + chunk_rows])
            unique, inverse = _unique_rows(bins) if len(bins) > 64 else (bins, None)
            raw = self.raw_binned(unique, outputs, method=method)
            out[start : start + chunk_rows] = raw if inverse is None else raw[inverse]
        return out


# From this many rows in one call, building the leaf masks (once, ~0.6 s) pays for itself.
MASKS_FROM_ROWS = 4096

# Index of the lowest set bit of a uint32 x: isolate it (x & -x), then 2^i mod 37 is distinct
# for i < 32, so a 37-entry table maps it back to i.
_LOWEST_BIT = np.zeros(37, dtype=np.intp)
for _i in range(32):
    _LOWEST_BIT[(1 << _i) % 37] = _i


class LeafMasks:
    """The forest as per-feature leaf bitmasks (QuickScorer, Lucchese et al., SIGIR 2015).

    Number each tree's leaves left to right (at most 32: one uint32). A split that sends a row
    right rules out the leaves of its left subtree; the leaf a row reaches is the leftmost one
    that no split on its path ruled out, and, the theorem goes, the leftmost one that no split
    of the tree *anywhere* rules out for that row's values. So for each feature, and each bin
    of it, the AND of the masks of the tree's splits on that feature is precomputed; a row's
    exit leaf is the lowest set bit of the AND of its features' masks. Every look-up reads a
    whole column of a small table: no per-row walk, no data-dependent loop.
    """

    MAX_LEAVES = 32

    def __init__(self, features: list, leaf_values: np.ndarray):
        self.features = features  # (column, trees or None for all, masks (trees, bins) uint32)
        self.n_trees = len(leaf_values)
        self.values = leaf_values.ravel()  # (trees * 32): each tree's leaf values, by position

    @classmethod
    def build(cls, forest: "Forest", roots: np.ndarray, pad_share: float = 0.6) -> "LeafMasks | None":
        n_trees = len(roots)
        leaf_nodes = np.zeros((n_trees, cls.MAX_LEAVES), dtype=np.intp)
        per_column: dict[int, list[tuple[int, np.ndarray]]] = {}
        all_ones = np.uint64(0xFFFFFFFF)
        for t, root in enumerate(roots.tolist()):
            leaves: list[int] = []
            subtree: dict[int, int] = {}  # node -> mask of the leaves below it
            stack = [(root, False)]
            while stack:  # post-order, left before right: leaves numbered left to right
                node, children_done = stack.pop()
                if forest.is_leaf[node]:
                    if len(leaves) == cls.MAX_LEAVES:
                        return None
                    subtree[node] = 1 << len(leaves)
                    leaves.append(node)
                elif children_done:
                    subtree[node] = subtree[int(forest.left[node])] | subtree[int(forest.right[node])]
                else:
                    stack += [(node, True), (int(forest.right[node]), False), (int(forest.left[node]), False)]
            leaf_nodes[t, : len(leaves)] = leaves
            rows: dict[int, np.ndarray] = {}
            for node in subtree:
                if forest.is_leaf[node]:
                    continue
                column = int(forest.column[node])
                n_bins = int(forest.n_bins[column])
                goes_left = forest.table[forest.table_offset[node] + np.arange(n_bins)] == forest.left[node]
                row = rows.setdefault(column, np.full(n_bins, all_ones))
                row[~goes_left] &= np.uint64(~subtree[int(forest.left[node])] & 0xFFFFFFFF)
            for column, row in rows.items():
                per_column.setdefault(column, []).append((t, row.astype(np.uint32)))
        features: list[tuple[int, np.ndarray | None, np.ndarray]] = []  # (column, trees or None: all, masks)
        for column in sorted(per_column):
            trees = np.array([t for t, _ in per_column[column]], dtype=np.intp)
            masks = np.stack([row for _, row in per_column[column]])
            if len(trees) >= pad_share * n_trees:
                # Used by most trees: give every tree a row (all ones where unused), so the AND
                # runs over the whole accumulator instead of a gather and a scatter.
                full = np.full((n_trees, masks.shape[1]), np.uint32(0xFFFFFFFF))
                full[trees] = masks
                trees, masks = None, full  # type: ignore[assignment]  # None: every tree
            features.append((column, trees, np.ascontiguousarray(masks)))
        return cls(features, forest.value[leaf_nodes])

    def leaf_values(self, bins: np.ndarray) -> np.ndarray:
        """The leaf value each tree gives each binned row: shape (trees, rows)."""
        remaining = np.full((self.n_trees, len(bins)), np.uint32(0xFFFFFFFF))
        for column, trees, masks in self.features:
            looked_up = masks.take(bins[:, column].astype(np.intp), axis=1, mode="clip")
            if trees is None:
                remaining &= looked_up
            else:
                remaining[trees] &= looked_up
        lowest = remaining & (-remaining.view(np.int32)).view(np.uint32)
        position = _LOWEST_BIT.take(lowest % np.uint32(37))
        position += (np.arange(self.n_trees) * self.MAX_LEAVES)[:, None]
        return self.values.take(position)


# -- the model ---------------------------------------------------------------------------------


class CompiledModel:
    """The query-time interface of SalaryModel, loaded from a compiled model folder."""

    def __init__(self, forest: Forest, schema: FeatureSchema, background: np.ndarray, baseline: float, conformal: dict, calibration_size: dict | None = None):
        if forest.n_features != len(schema.columns_) or np.ndim(background) != 2 or np.shape(background)[1:] != (forest.n_features,):
            raise ModelError(f"{FOREST_FILE} and {SCHEMA_FILE} disagree on the feature columns")
        if len(background) == 0:
            raise ModelError(f"{FOREST_FILE}: the background sample is empty")
        groups = getattr(schema, "groups_", None)
        if not isinstance(groups, dict) or not all(
            isinstance(g, tuple) and all(0 <= i < forest.n_features for i in g) for g in groups.values()
        ):
            raise ModelError(f"{SCHEMA_FILE}: the schema's column groups do not fit the {forest.n_features} feature columns")
        self.forest = forest
        self.schema_ = schema
        self.background_ = np.asarray(background, dtype=float)
        self.baseline_ = float(baseline)
        self.conformal_ = conformal
        self.calibration_size_ = calibration_size or {}

    @classmethod
    def load(cls, directory, artifacts: dict[str, dict[str, Any]] | None = None) -> "CompiledModel":
        """Load a compiled model folder; with `artifacts` (from metadata), verify sha256 first."""
        folder = Path(directory)
        blobs = {}
        for name in (FOREST_FILE, SCHEMA_FILE):
            try:
                blobs[name] = (folder / name).read_bytes()
            except OSError as error:
                raise ModelError(f"cannot read '{folder / name}': {error.strerror or error}") from None
            if artifacts is not None:
                expected = artifacts.get(name, {}).get("sha256")
                if expected is None or hashlib.sha256(blobs[name]).hexdigest() != expected:
                    raise ModelError(
                        f"model file '{folder / name}' does not match the sha256 in its metadata (modified or truncated); "
                        f"reinstall mlsalary or {RETRAIN_HINT}"
                    )
        failing = f"'{folder / SCHEMA_FILE}'"  # named in the message if loading fails
        try:
            document = json.loads(blobs[SCHEMA_FILE])
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
            if document.get("format") != "mlsalary-forest" or document.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"unsupported format {document.get('format')!r} version {document.get('format_version')!r}")
            n_models = document["n_models"]
            if type(n_models) is not int or n_models != N_MODELS:
                raise ValueError(f"n_models is {n_models!r}, expected {N_MODELS}")
            failing = f"'{folder / FOREST_FILE}'"
            arrays = _read_npz(blobs[FOREST_FILE])
            if "background" not in arrays:
                raise ValueError("no array 'background'")
            failing = f"the compiled model in '{folder}' ({FOREST_FILE} with {SCHEMA_FILE})"
            parts = []
            for k in range(n_models):
                prefix = f"m{k}_"
                parts.append({name[len(prefix):]: a for name, a in arrays.items() if name.startswith(prefix)})
            model = cls(
                Forest(parts),
                _schema_from_json(document["schema"]),
                arrays["background"],
                float(document["baseline"]),
                {g: {k: float(v) for k, v in m.items()} for g, m in document["conformal"].items()},
                document.get("calibration_size", {}),
            )
            model._check_predictions()
        except ModelError as error:
            raise ModelError(f"cannot load {failing}: {error}") from None
        except Exception as error:  # a damaged file can fail in many ways; none runs code
            raise ModelError(f"cannot load {failing}: {one_line(error)}") from None
        return model

    def _check_predictions(self) -> None:
        """Predict the background and two profiles once: a model that cannot is refused now.

        Catches what the array checks cannot see, such as conformal margins missing for the
        groups queries fall in, or a schema that does not encode.
        """
        from mlsalary.features import ML_ROLES
        from mlsalary.quantiles import ALL_ROWS, INTERVALS
        from mlsalary.profile import Profile

        if not np.isfinite(self.baseline_):
            raise ModelError(f"{SCHEMA_FILE}: the baseline is not a finite number")
        for group, margins in self.conformal_.items():
            if not isinstance(margins, dict) or not all(np.isfinite(margins.get(name, np.nan)) for name in INTERVALS):
                raise ModelError(f"{SCHEMA_FILE}: no finite conformal margins for the group '{group}'")
        if ALL_ROWS not in self.conformal_:
            raise ModelError(f"{SCHEMA_FILE}: no conformal margins for the group '{ALL_ROWS}'")
        X = self.schema_.encode_profiles([Profile(), Profile(role=ML_ROLES[0])])
        if not (np.all(np.isfinite(self.predict_log(X))) and np.all(np.isfinite(self.forest.raw(self.background_)))):
            raise ModelError("the model predicts non-finite values")

    # -- prediction (same interface and logic as SalaryModel) ------------------------------

    def predict_log(self, X: np.ndarray) -> np.ndarray:
        from mlsalary.quantiles import widen

        return widen(self._ordered_raw(X), self.schema_.calibration_groups(X), self.conformal_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.exp(self.predict_log(X))

    def predict_median(self, X: np.ndarray) -> np.ndarray:
        return np.exp(self.forest.raw(X, outputs=[MEDIAN])[:, 0])

    def _ordered_raw(self, X: np.ndarray) -> np.ndarray:
        from mlsalary.quantiles import uncross

        return uncross(self.forest.raw(X))


def _read_npz(blob: bytes) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive: numeric arrays only, within MAX_ARRAY_BYTES in all."""
    if not blob.startswith(b"PK\x03\x04"):
        raise ValueError("not an .npz archive")
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        size = sum(info.file_size for info in archive.infolist())  # zipfile reads no more
    if size > MAX_ARRAY_BYTES:  # a compressed "zip bomb" must not fill the memory
        raise ValueError(f"its arrays would take {size >> 20} MiB, more than the {MAX_ARRAY_BYTES >> 20} MiB allowed")
    try:
        # allow_pickle=False: an object array (a pickle) is refused, never unpickled.
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ValueError as error:
        if "pickle" in str(error):  # numpy's message suggests loading it unsafely: no
            raise ValueError("it holds pickled (object) data, which mlsalary never loads") from None
        raise


def _check_part(k: int, p: dict[str, np.ndarray]) -> None:
    """The arrays of compiled estimator k are all there, with the shapes and types export writes."""
    missing = [name for name in _REQUIRED if name not in p]
    if missing:
        raise ModelError(f"{FOREST_FILE}: model {k} has no array '{missing[0]}'")
    n = len(p["value"]) if p["value"].ndim == 1 else -1
    for name in _PER_NODE:
        if p[name].shape != (n,):
            raise ModelError(f"{FOREST_FILE}: m{k}_{name} has shape {p[name].shape}, expected one entry per node")
    for name in _INTEGER:
        if p[name].dtype.kind not in "iu" or p[name].ndim != 1:
            raise ModelError(f"{FOREST_FILE}: m{k}_{name} is not a list of integers")
    if p["cat_table"].ndim != 2 or p["cat_table"].shape[1] != N_CODES:
        raise ModelError(f"{FOREST_FILE}: m{k}_cat_table has shape {p['cat_table'].shape}, expected (n, {N_CODES})")
    if p["baseline"].shape != (1,) or p["n_features"].shape != (1,) or p["cat_values"].ndim != 1:
        raise ModelError(f"{FOREST_FILE}: m{k}_baseline, m{k}_n_features or m{k}_cat_values has the wrong shape")
    if len(p["roots"]) == 0:
        raise ModelError(f"{FOREST_FILE}: model {k} has no trees")


def usable_cpus() -> int:
    """Threads for numpy work that releases the GIL: the CPUs this process may use, at most 4."""
    import os

    try:
        return max(1, min(4, len(os.sched_getaffinity(0))))
    except (AttributeError, OSError):
        return max(1, min(4, os.cpu_count() or 1))


def _unique_rows(bins: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Distinct rows of an integer matrix and the inverse index (exact: hash, then verify)."""
    rng = np.random.default_rng(0)
    weights = rng.integers(1, 2**63, size=bins.shape[1], dtype=np.uint64) | np.uint64(1)
    keys = (bins.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    if len(first) > 0.9 * len(bins):
        return bins, None  # few duplicates: not worth it
    unique = bins[first]
    if not np.array_equal(unique[inverse], bins):  # a hash collision: evaluate every row
        return bins, None
    return unique, inverse
