"""The forest's tables, built once when a model is exported (format version 2).

Input: per quantile model, the node arrays that `train/export.estimator_arrays` makes and format
version 1 stored (PER_NODE & co. below: children, thresholds, a 256-column go-left table per
categorical split). Output: the arrays of a version 2 forest.npz (format.FOREST_ARRAYS),
which runtime/forest.py evaluates as they are, so a load builds nothing:

- every column is cut into bins: for a numeric column, the number of the forest's thresholds
  on it below the value, with NaN in a last bin of its own; for a categorical column, the
  category's code (an unseen category or NaN in a last bin);
- every node gets a table over the bins of its column: how many nodes ahead the next node is.
  Children come after their parent (scikit-learn's depth-first layout), so the steps are small
  and positive, and a leaf's one entry is 0: a finished walk stays where it is. Every split
  (numeric, categorical, missing value) is one table look-up;
- the leaf masks of QuickScorer (forest.LeafMasks), when every tree has at most 32 leaves.

numpy only: a version 1 folder is compiled by the same code when it is loaded.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from mlsalary.errors import ModelError
from mlsalary.runtime.format import FOREST_ARRAYS, FOREST_FILE, N_CODES

# The arrays of one compiled estimator in version 1 (see train/export.estimator_arrays): one entry per node.
PER_NODE = ("value", "feature", "threshold", "missing_left", "left", "right", "is_leaf", "is_categorical", "cat_row")
INTEGER = ("feature", "left", "right", "cat_row", "roots", "cat_columns", "cat_offsets", "n_features")
REQUIRED = PER_NODE + ("baseline", "roots", "cat_table", "cat_columns", "cat_values", "cat_offsets", "n_features")
MAX_LEAVES = 32  # leaf masks are uint32: a tree with more leaves has none (the walk is used)


def model_parts(arrays: dict[str, np.ndarray], n_models: int) -> list[dict[str, np.ndarray]]:
    """The arrays of each estimator k of a version 1 forest.npz (stored as `m{k}_name`)."""
    parts = []
    for k in range(n_models):
        prefix = f"m{k}_"
        parts.append({name[len(prefix) :]: a for name, a in arrays.items() if name.startswith(prefix)})
    return parts


def check_part(k: int, p: dict[str, np.ndarray]) -> None:
    """The arrays of estimator k are all there, with the shapes and types export writes."""
    missing = [name for name in REQUIRED if name not in p]
    if missing:
        raise ModelError(f"{FOREST_FILE}: model {k} has no array '{missing[0]}'")
    n = len(p["value"]) if p["value"].ndim == 1 else -1
    for name in PER_NODE:
        if p[name].shape != (n,):
            raise ModelError(f"{FOREST_FILE}: m{k}_{name} has shape {p[name].shape}, expected one entry per node")
    for name in INTEGER:
        if p[name].dtype.kind not in "iu" or p[name].ndim != 1:
            raise ModelError(f"{FOREST_FILE}: m{k}_{name} is not a list of integers")
    if p["cat_table"].ndim != 2 or p["cat_table"].shape[1] != N_CODES:
        raise ModelError(f"{FOREST_FILE}: m{k}_cat_table has shape {p['cat_table'].shape}, expected (n, {N_CODES})")
    if p["baseline"].shape != (1,) or p["n_features"].shape != (1,) or p["cat_values"].ndim != 1:
        raise ModelError(f"{FOREST_FILE}: m{k}_baseline, m{k}_n_features or m{k}_cat_values has the wrong shape")
    if len(p["roots"]) == 0:
        raise ModelError(f"{FOREST_FILE}: model {k} has no trees")


class _Nodes:
    """The estimators' nodes numbered together (model by model), checked: the input of the tables."""

    def __init__(self, parts: Sequence[dict[str, np.ndarray]]):
        for k, p in enumerate(parts):
            check_part(k, p)
        n_features = {int(p["n_features"][0]) for p in parts}
        if len(n_features) != 1:
            raise ModelError("the compiled models disagree on the number of features")
        self.n_features = n_features.pop()
        self.baseline = np.array([float(p["baseline"][0]) for p in parts])
        self.output_trees = np.cumsum([0] + [len(p["roots"]) for p in parts])
        offsets = self.model_offsets = np.cumsum([0] + [len(p["value"]) for p in parts])[:-1]
        cat_offsets = np.cumsum([0] + [len(p["cat_table"]) for p in parts])[:-1]

        def joined(name: str, shifts=None) -> np.ndarray:
            """The parts' arrays end to end; with `shifts`, each part's indices moved by its shift."""
            if shifts is None:
                return np.concatenate([p[name] for p in parts])
            return np.concatenate([p[name].astype(np.int64) + shift for p, shift in zip(parts, shifts)])

        self.is_leaf = joined("is_leaf").astype(bool)
        n = len(self.is_leaf)
        index = np.arange(n)
        # Leaves point to themselves: a finished traversal stays where it is.
        self.left = np.where(self.is_leaf, index, joined("left", offsets))
        self.right = np.where(self.is_leaf, index, joined("right", offsets))
        self.feature = np.where(self.is_leaf, 0, joined("feature").astype(np.int64))
        self.value = np.where(self.is_leaf, joined("value").astype(float), 0.0)
        self.threshold = joined("threshold").astype(float)
        self.missing_left = joined("missing_left").astype(bool)
        self.is_categorical = joined("is_categorical").astype(bool) & ~self.is_leaf
        self.cat_row = np.where(self.is_categorical, joined("cat_row", cat_offsets), -1)
        self.cat_table = np.concatenate([p["cat_table"] for p in parts]).astype(bool)
        self.roots = joined("roots", offsets)
        # Categorical encoding must be the same for every part (same X, same encoder).
        first = parts[0]
        for p in parts[1:]:
            if not all(np.array_equal(p[k], first[k]) for k in ("cat_columns", "cat_values", "cat_offsets")):
                raise ModelError("the compiled models encode categorical columns differently")
        columns, values, offsets_ = (first[k].tolist() for k in ("cat_columns", "cat_values", "cat_offsets"))
        if len(offsets_) != len(columns) + 1 or offsets_[0] != 0 or offsets_[-1] != len(values) or any(b < a for a, b in zip(offsets_, offsets_[1:])):
            raise ModelError(f"{FOREST_FILE}: the categories of the categorical columns are inconsistent")
        self.cat_columns = [int(c) for c in columns]
        self.cat_values = [np.asarray(values[offsets_[i] : offsets_[i + 1]], dtype=float) for i in range(len(columns))]
        self._validate()

    def _validate(self) -> None:
        n = len(self.value)
        internal = np.flatnonzero(~self.is_leaf)
        roots = self.roots
        ok = (
            len(roots) > 0
            # A tree's nodes run from its root to the next tree's root (a model's first tree
            # starts at its first node).
            and bool(np.all(np.diff(roots) > 0)) and roots.max() < n
            and bool(np.array_equal(roots[self.output_trees[:-1]], self.model_offsets))
            and self.left.min() >= 0 and self.left.max() < n
            and self.right.min() >= 0 and self.right.max() < n
            and self.feature.min(initial=0) >= 0 and self.feature.max(initial=0) < self.n_features
            and self.cat_row.max(initial=-1) < len(self.cat_table)
            and all(0 <= c < self.n_features for c in self.cat_columns)
            and len(set(self.cat_columns)) == len(self.cat_columns)
            and all(len(v) <= N_CODES and bool(np.all(np.diff(v) > 0)) for v in self.cat_values)
            and bool(np.all(np.isfinite(self.value))) and bool(np.all(np.isfinite(self.baseline)))
        )
        if ok:
            # Children come after their parent and inside its tree: no cycles, and every walk
            # ends at a leaf of the tree it started in.
            tree_end = np.repeat(np.append(roots[1:], n), np.diff(np.append(roots, n)))
            ok = all(bool(np.all((child[internal] > internal) & (child[internal] < tree_end[internal]))) for child in (self.left, self.right))
        if not ok:
            raise ModelError(f"{FOREST_FILE} is inconsistent (damaged or not made by mlsalary)")


def compile_forest(parts: Sequence[dict[str, np.ndarray]], masks: bool = True) -> dict[str, np.ndarray]:
    """The version 2 arrays (format.FOREST_ARRAYS, without the background) of estimators'
    version 1 node arrays. `masks=False` leaves the leaf masks out (then the walk is used)."""
    nodes = _Nodes(parts)
    F = nodes.n_features
    if F >= 255:  # the column is the low byte of node_info, and F itself marks a leaf
        raise ModelError(f"{FOREST_FILE}: the forest is too large for this version of mlsalary")
    internal = np.flatnonzero(~nodes.is_leaf)
    column = np.where(nodes.is_leaf, F, nodes.feature)
    cat_index = {c: i for i, c in enumerate(nodes.cat_columns)}
    order = np.argsort(column[internal], kind="stable")
    bounds = np.searchsorted(column[internal][order], np.arange(F + 1))
    splits = [internal[order[bounds[f] : bounds[f + 1]]] for f in range(F)]  # the nodes on column f

    # The bins of each column.
    n_bins = np.ones(F + 1, dtype=np.int64)  # column F: the leaves', one bin
    cut_points = []
    for f in range(F):
        on_f = splits[f]
        if f in cat_index:
            if (~nodes.is_categorical[on_f]).any():
                raise ModelError(f"{FOREST_FILE}: a numeric split on categorical column {f}")
            cut_points.append(np.zeros(0))
            n_bins[f] = len(nodes.cat_values[cat_index[f]]) + 1
        else:
            if nodes.is_categorical[on_f].any():
                raise ModelError(f"{FOREST_FILE}: a categorical split on numeric column {f}")
            cuts = np.unique(nodes.threshold[on_f])
            if np.isnan(cuts).any():
                raise ModelError(f"{FOREST_FILE} is inconsistent (a split without a threshold)")
            cut_points.append(cuts)
            n_bins[f] = len(cuts) + 2

    # Each node's table over the bins of its column, node after node.
    sizes = n_bins[column]
    offsets = np.cumsum(sizes) - sizes
    table = np.zeros(int(sizes.sum()), dtype=np.int64)  # a leaf's one entry: 0, stay
    for f in range(F):
        on_f = splits[f]
        if not len(on_f):
            continue
        if f in cat_index:
            n_known = int(n_bins[f]) - 1
            goes_left = np.concatenate([nodes.cat_table[nodes.cat_row[on_f], :n_known], nodes.missing_left[on_f, None]], axis=1)
        else:
            j = np.searchsorted(cut_points[f], nodes.threshold[on_f])  # value <= threshold: bin <= j
            goes_left = np.concatenate([np.arange(n_bins[f] - 1)[None, :] <= j[:, None], nodes.missing_left[on_f, None]], axis=1)
        steps = np.where(goes_left, (nodes.left[on_f] - on_f)[:, None], (nodes.right[on_f] - on_f)[:, None])
        table[offsets[on_f][:, None] + np.arange(n_bins[f])] = steps
    if table.max(initial=0) >= (1 << 16) - 1 or table.size >= 1 << 23:
        raise ModelError(f"{FOREST_FILE}: the forest is too large for this version of mlsalary")

    arrays = {
        "baseline": nodes.baseline,
        "output_trees": nodes.output_trees,
        "roots": nodes.roots,
        "node_info": (offsets << 8) | column,
        "value": nodes.value,
        "table": table.astype(np.uint8 if table.max(initial=0) < 255 else np.uint16),  # below the dtype's max (forest._validate)
        "n_bins": n_bins,
        "cut_points": np.concatenate(cut_points) if cut_points else np.zeros(0),
        "cut_offsets": np.cumsum([0] + [len(c) for c in cut_points]),
        "cat_columns": np.asarray(nodes.cat_columns, dtype=np.int64),
        "cat_values": np.concatenate(nodes.cat_values) if nodes.cat_values else np.zeros(0),
        "cat_offsets": np.cumsum([0] + [len(v) for v in nodes.cat_values]),
        **_leaf_masks(nodes, column, n_bins, table, offsets, masks),
    }
    # The file's dtypes (little-endian whatever this machine's order); the table's width as chosen.
    dtypes = {name: np.dtype(FOREST_ARRAYS[name][0][0]) for name in arrays}
    dtypes["table"] = arrays["table"].dtype.newbyteorder("<")
    return {name: np.ascontiguousarray(a, dtype=dtypes[name]) for name, a in arrays.items()}


def _leaf_masks(nodes: _Nodes, column, n_bins, table, offsets, wanted: bool) -> dict[str, np.ndarray]:
    """The leaf masks of QuickScorer (Lucchese et al., SIGIR 2015; see forest.LeafMasks).

    Number each tree's leaves left to right. A split that sends a row right rules out the
    leaves of its left subtree; the leaf a row reaches is the leftmost one that no split of the
    tree rules out for the row's values. So per column, tree and bin, the AND of the masks of
    the tree's splits on that column that send the bin right: a row's exit leaf is the lowest
    set bit of the AND of its columns' masks.
    """
    n_trees = len(nodes.roots)
    none = {"mask_columns": np.zeros(0, int), "mask_tree_offsets": np.zeros(1, int), "mask_trees": np.zeros(0, int), "masks": np.zeros(0, np.uint32), "leaf_values": np.zeros((0, MAX_LEAVES))}
    if not wanted:
        return none
    is_leaf, left, right = nodes.is_leaf.tolist(), nodes.left.tolist(), nodes.right.tolist()
    leaf_values = np.zeros((n_trees, MAX_LEAVES))
    per_column: dict[int, list[tuple[int, np.ndarray]]] = {}
    all_ones = 0xFFFFFFFF
    for t, root in enumerate(nodes.roots.tolist()):
        leaves: list[int] = []
        subtree: dict[int, int] = {}  # node -> mask of the leaves below it
        stack = [(root, False)]
        while stack:  # post-order, left before right: leaves numbered left to right
            node, children_done = stack.pop()
            if is_leaf[node]:
                if len(leaves) == MAX_LEAVES:
                    return none
                subtree[node] = 1 << len(leaves)
                leaves.append(node)
            elif children_done:
                subtree[node] = subtree[left[node]] | subtree[right[node]]
            else:
                stack += [(node, True), (right[node], False), (left[node], False)]
        leaf_values[t, : len(leaves)] = nodes.value[leaves]
        rows: dict[int, np.ndarray] = {}
        for node in subtree:
            if is_leaf[node]:
                continue
            c = int(column[node])
            goes_left = table[offsets[node] : offsets[node] + n_bins[c]] == left[node] - node
            row = rows.setdefault(c, np.full(n_bins[c], all_ones, dtype=np.uint32))
            row[~goes_left] &= np.uint32(~subtree[left[node]] & all_ones)
        for c, row in rows.items():
            per_column.setdefault(c, []).append((t, row))
    columns = sorted(per_column)
    return {
        "mask_columns": np.asarray(columns, dtype=int),
        "mask_tree_offsets": np.cumsum([0] + [len(per_column[c]) for c in columns]),
        "mask_trees": np.asarray([t for c in columns for t, _ in per_column[c]], dtype=int),
        "masks": np.concatenate([row for c in columns for _, row in per_column[c]]) if columns else np.zeros(0, np.uint32),
        "leaf_values": leaf_values,
    }
