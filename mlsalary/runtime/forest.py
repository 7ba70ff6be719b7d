"""The forest evaluator: the trees of every quantile model in the flat tables of a version 2
forest.npz (built once, at export, by runtime/compile.py), evaluated together.

`Forest` checks the tables with a few vector operations (nothing is rebuilt at load) and cuts
each query's columns into bins once (`bin`); then one of four exact methods finds the leaves:

- "native-masks": the C evaluator (runtime/_forest.c) over the leaf masks of QuickScorer (see
  LeafMasks): for each tree, the AND of one mask per column it splits on, then the lowest leaf
  left; no data-dependent steps. The masks of columns every row of a call shares (each query's
  reference survey and year) are ANDed in once per call (NativeMasks). Used by "auto" whenever
  the C evaluator was built (setup.py builds it where a C compiler is found), MLSALARY_PURE is
  not set and every tree has at most 32 leaves; blocks of rows are shared by threads, as it
  releases the GIL;
- "native": the C evaluator's walk of each (row, tree) over the step tables ("auto" where a tree
  has more than 32 leaves). On many rows it walks past the splits on a column all of them share:
  the tables are rewritten once so that such a split's parent steps straight to where it leads;
- "walk": numpy steps every (tree, row) down the trees one level at a time, over the same tables;
- "masks": `LeafMasks` (QuickScorer), numpy; faster than the walk on many rows.

Each adds a model's leaf values in scikit-learn's order, so all give the same bits.
"""

from __future__ import annotations

import os
from typing import Callable, Mapping, Sequence

import numpy as np

from mlsalary.errors import ModelError
from mlsalary.runtime.format import FOREST_ARRAYS, FOREST_FILE, check_arrays



def _built_native():
    try:
        from mlsalary.runtime import _forest

        return _forest
    except ImportError:  # not built: no C compiler where mlsalary was installed
        return None


_native = _built_native()

MASK_ARRAYS = ("mask_columns", "mask_tree_offsets", "mask_trees", "masks", "leaf_values")
METHODS = ("auto", "native-masks", "native", "walk", "masks")


def native_available() -> bool:
    """Whether "auto" uses the C evaluator: it was built, and MLSALARY_PURE does not turn it off."""
    return _native is not None and c_allowed()


def c_allowed() -> bool:
    """Whether the C extensions may run (this one and batch's, batch/text.py): MLSALARY_PURE
    set (to anything but 0) turns them all off, for the numpy and Python that give the same."""
    return os.environ.get("MLSALARY_PURE", "") in ("", "0")


class Forest:
    """The tree ensembles of a version 2 forest.npz (format.FOREST_ARRAYS), evaluated together."""

    def __init__(self, arrays: Mapping[str, np.ndarray], *, shipped: bool = False):
        names = [name for name in FOREST_ARRAYS if name != "background"]
        check_arrays(arrays, names)
        # In this machine's byte order, contiguous and aligned (the file's arrays already are:
        # no copy), as the C evaluator reads them.
        a = {name: np.require(arrays[name], arrays[name].dtype.newbyteorder("="), ["C", "A"]) for name in names}
        self.n_bins = a["n_bins"]
        self.n_features = len(self.n_bins) - 1
        self.node_info, self.table, self.value = a["node_info"], a["table"], a["value"]
        self.roots, self.output_trees, self.baseline = a["roots"], a["output_trees"], a["baseline"]
        self.n_outputs = len(self.baseline)
        if not shipped:
            # Every model folder from elsewhere is checked whole (the numpy walk relies on it;
            # the C evaluator checks its own inputs too). The shipped forest is the installed
            # package's own, its sha256 verified, and was checked when exported and by the tests.
            self._validate(a)
        self.column = self.node_info & 255
        self.is_leaf = self.column == self.n_features
        offsets = a["cut_offsets"].tolist()
        self.cut_points = [a["cut_points"][offsets[f] : offsets[f + 1]] for f in range(self.n_features)]
        offsets = a["cat_offsets"].tolist()
        self.categories = {c: a["cat_values"][offsets[i] : offsets[i + 1]] for i, c in enumerate(a["cat_columns"].tolist())}
        # The columns some tree splits on: the only ones binned (no node reads the others).
        # (bincount, not np.unique: that imports numpy.ma, a cost every command would pay)
        self.read_columns = np.flatnonzero(np.bincount(self.column[~self.is_leaf], minlength=self.n_features)[: self.n_features])
        self._mask_arrays = {name: a[name] for name in MASK_ARRAYS}
        self._masks: dict[tuple, LeafMasks | None] = {}  # per tuple of outputs, built on first use
        self._trees: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._walks: dict[tuple, tuple[np.ndarray, np.ndarray] | None] = {}  # _walked_past's
        self._native_masks_of: dict[tuple, NativeMasks] = {}  # per tuple of outputs, built on first use
        self._native = _native is not None and self.table.dtype == np.uint8

    def _validate(self, a: dict[str, np.ndarray]) -> None:
        """Everything evaluation relies on: every walk stays inside its tree and ends at a leaf,
        every bin has a table entry, every number is finite. Vector operations only."""
        F, n = self.n_features, len(self.node_info)
        n_bins, info, table, roots, trees = self.n_bins, self.node_info, self.table, self.roots, self.output_trees
        if len(self.value) != n:
            raise ModelError(f"{FOREST_FILE}: 'value' has {len(self.value)} entries, expected one per node ({n})")
        ok = (
            0 < F < 255 and n > 0 and self.n_outputs > 0
            and n_bins[F] == 1 and n_bins.min() >= 1 and n_bins.max() <= 1 << 16
            and len(trees) == self.n_outputs + 1 and trees[0] == 0 and bool(np.all(np.diff(trees) > 0)) and trees[-1] == len(roots)
            and roots[0] == 0 and bool(np.all(np.diff(roots) > 0)) and roots[-1] < n
            and bool(np.all(np.isfinite(self.value))) and bool(np.all(np.isfinite(self.baseline)))
            and 0 <= info.min() and (info & 255).max() <= F
        )
        if ok:
            # A node's table follows the previous node's: the offsets are the running sum of
            # the sizes (its column's bins), ending at the end of the table.
            column, offset = info & 255, info >> 8
            ends = np.cumsum(n_bins[column])
            ok = offset[0] == 0 and bool(np.array_equal(offset[1:], ends[:-1])) and ends[-1] == len(table)
        if ok:
            # A leaf's one step is 0 (it stays); a split's steps go ahead (no other 0), inside
            # its tree: every step is below its node's room, 1 for a leaf.
            leaf = column == F
            tree_end = np.repeat(np.append(roots[1:], n), np.diff(np.append(roots, n)))
            room = np.where(leaf, 1, np.minimum(tree_end - np.arange(n), np.iinfo(table.dtype).max)).astype(table.dtype)
            ok = bool(np.all(table < np.repeat(room, n_bins[column]))) and len(table) - np.count_nonzero(table) == np.count_nonzero(leaf)
        ok = ok and self._binning_is_consistent(a) and self._masks_are_consistent(a)
        if not ok:
            raise ModelError(f"{FOREST_FILE} is inconsistent (damaged or not made by mlsalary)")

    def _binning_is_consistent(self, a: dict[str, np.ndarray]) -> bool:
        """Cut points and categories sorted per column, and each column's number of bins theirs
        (a numeric column: its cut points + 2; a categorical one: its categories + 1)."""
        F = self.n_features
        cut_offsets, cat_offsets, cat_columns = a["cut_offsets"], a["cat_offsets"], a["cat_columns"]
        if not (
            len(cut_offsets) == F + 1 and cut_offsets[0] == 0 and cut_offsets[-1] == len(a["cut_points"])
            and len(cat_offsets) == len(cat_columns) + 1 and cat_offsets[0] == 0 and cat_offsets[-1] == len(a["cat_values"])
            and bool(np.all(np.diff(cut_offsets) >= 0)) and bool(np.all(np.diff(cat_offsets) >= 0))
            and bool(np.all((0 <= cat_columns) & (cat_columns < F))) and len(set(cat_columns.tolist())) == len(cat_columns)
        ):
            return False
        n_cuts, n_categories = np.diff(cut_offsets), np.diff(cat_offsets)
        expected = n_cuts + 2
        expected[cat_columns] = n_categories + 1
        return (
            bool(np.array_equal(self.n_bins[:F], expected)) and not n_cuts[cat_columns].any() and bool(np.all(n_categories <= 256))
            and _sorted_runs(a["cut_points"], cut_offsets) and _sorted_runs(a["cat_values"], cat_offsets)
        )

    def _masks_are_consistent(self, a: dict[str, np.ndarray]) -> bool:
        """The leaf masks (if any: see LeafMasks) name columns and trees that exist, and hold a
        row of bins per column and tree."""
        columns, offsets, trees, masks, leaf_values = (a[name] for name in MASK_ARRAYS)
        if len(leaf_values) == 0:
            return len(columns) == len(trees) == len(masks) == 0
        counts = np.diff(offsets).astype(np.int64)
        return (
            leaf_values.shape == (len(self.roots), LeafMasks.MAX_LEAVES) and bool(np.all(np.isfinite(leaf_values)))
            and bool(np.all(np.diff(columns) > 0)) and bool(np.all((0 <= columns) & (columns < self.n_features)))
            and len(offsets) == len(columns) + 1 and offsets[0] == 0 and offsets[-1] == len(trees) and bool(np.all(counts >= 0))
            and bool(np.all((0 <= trees) & (trees < len(self.roots)))) and _sorted_runs(trees, offsets)
            and len(masks) == int(np.dot(counts, self.n_bins[columns].astype(np.int64)))
        )

    def bin(self, X: np.ndarray) -> np.ndarray:
        """Bin index of every value, shape (n, n_features + 1) (the last column, the leaves', is 0).

        A numeric column's bin is the number of its cut points below the value, NaN a last bin
        of its own; a categorical column's is the category's index, unseen or NaN a last bin. A
        column no tree splits on (read_columns: the skills, whose effect is a shift) is left 0.
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X has shape {X.shape}; expected (n, {self.n_features})")
        out = np.zeros((len(X), self.n_features + 1), dtype=np.uint16)
        for f in self.read_columns.tolist():
            v = X[:, f]
            categories = self.categories.get(f)
            if categories is not None:
                idx = np.searchsorted(categories, v)
                hit = idx < len(categories)
                hit[hit] = categories[idx[hit]] == v[hit]
                out[:, f] = np.where(hit, idx, len(categories))
            else:
                cuts = self.cut_points[f]
                out[:, f] = np.where(np.isnan(v), len(cuts) + 1, np.searchsorted(cuts, v))
        return out

    def trees(self, outputs: tuple) -> tuple[np.ndarray, np.ndarray]:
        """The roots of the trees of `outputs`, output after output, and where each output's start."""
        if outputs not in self._trees:
            bounds = self.output_trees
            roots = np.concatenate([self.roots[bounds[k] : bounds[k + 1]] for k in outputs])
            spans = np.cumsum([0] + [bounds[k + 1] - bounds[k] for k in outputs]).astype(np.int32)
            self._trees[outputs] = (roots, spans)
        return self._trees[outputs]

    def _leaves(self, bins: np.ndarray, roots: np.ndarray, rows: int = 1024) -> np.ndarray:
        """Leaf reached in each of `roots`' trees by each binned row: shape (n, len(roots)).

        All (tree, row) states step down one level at a time. States are laid out tree by tree
        over blocks of `rows` rows, so that consecutive look-ups hit one tree's tables and one
        block's bins, which stay in cache.
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
        alive = np.arange(len(node))
        step = 0
        while len(node):
            step += 1
            packed = info.take(node)
            node = node + table.take((packed >> 8) + flat.take(base + (packed & 255)))
            if step % 3 == 0:  # drop finished states (a leaf steps to itself until then)
                leaf = is_leaf.take(node)
                done = np.flatnonzero(leaf)
                if len(done):
                    keep = np.flatnonzero(~leaf)
                    result[alive[done]] = node[done]
                    alive, node, base = alive[keep], node[keep], base[keep]
        out[:] = result.reshape(n_trees, m).T

    def raw_binned(
        self, bins: np.ndarray, outputs: Sequence[int] | None = None, block_rows: int = 512, method: str = "auto", threads: int | None = None,
    ) -> np.ndarray:
        """Raw predictions of binned rows, shape (n, len(outputs)).

        `method` (see the module's docstring): "auto" is "native-masks" (or "native" for trees
        of more than 32 leaves) when native_available(), else "masks" from MASKS_FROM_ROWS rows
        on or once built, else "walk". Blocks of rows are independent and `threads` share them
        (None: usable_cpus()): numpy's indexing and the C evaluator release the GIL.
        """
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
        outputs = tuple(range(self.n_outputs)) if outputs is None else tuple(outputs)
        roots, spans = self.trees(outputs)
        native = method == "auto" and self._native and native_available()
        if method == "native-masks" or (native and self._mask_arrays["leaf_values"].size):
            if not self._native or not self._mask_arrays["leaf_values"].size:
                raise ValueError("the C evaluator is not built, or the model has no leaf masks")
            return self._native_masks(outputs).raw(bins, self._shared(bins), threads)
        if method == "native" or native:
            if not self._native:
                raise ValueError("the C evaluator is not built (or the trees are too large for it)")
            table = self.table
            shared = self._shared(bins)
            walk = self._walked_past(shared) if shared else None
            if walk is not None:
                # A column every row shares (the reference survey and year, a factor no row
                # gives) is walked past: the same leaves, in fewer steps.
                table, ahead = walk
                roots = ahead[roots]
            return self._raw_native(bins, roots, spans, outputs, table, threads)
        masks = self._leaf_masks(outputs, len(bins), method)
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

        _in_threads(block, range(0, len(bins), block_rows), threads)
        return out

    def _shared(self, bins: np.ndarray) -> tuple:
        """The (column, bin) pairs of read_columns every row of `bins` shares (from
        SHARED_FROM_ROWS rows on; else none): each query's reference survey and year, a factor
        no row gives."""
        if len(bins) < SHARED_FROM_ROWS:
            return ()
        columns = self.read_columns
        shared = columns[np.all(bins[:, columns] == bins[0, columns], axis=0)]
        return tuple(zip(shared.tolist(), bins[0, shared].tolist()))

    def _native_masks(self, outputs: tuple) -> "NativeMasks":
        if outputs not in self._native_masks_of:
            self._native_masks_of[outputs] = NativeMasks(self, outputs)
        return self._native_masks_of[outputs]

    def _raw_native(
        self, bins: np.ndarray, roots: np.ndarray, spans: np.ndarray, outputs: tuple, table: np.ndarray | None = None, threads: int | None = None,
    ) -> np.ndarray:
        assert _native is not None
        baseline = np.ascontiguousarray(self.baseline[list(outputs)])
        table = self.table if table is None else table
        roots = np.ascontiguousarray(roots, dtype=self.roots.dtype)
        return _native_blocks(
            bins, len(outputs), lambda rows, out: _native.evaluate(rows, self.n_bins, self.node_info, table, self.value, roots, spans, baseline, out), threads
        )

    def _walked_past(self, shared: tuple) -> tuple[np.ndarray, np.ndarray] | None:
        """The step table and each node's stand-in when the columns of `shared` ((column, bin)
        pairs) are known: a split on one of them is replaced, in its parent's steps and as a
        root, by the node its bin leads to. None when nothing is walked past or a step would
        not fit the table's type. Built once per `shared`."""
        if shared not in self._walks:
            if len(self._walks) >= 8:
                self._walks.clear()
            self._walks[shared] = self._walk_past(dict(shared))
        return self._walks[shared]

    def _fixed_bins(self, known) -> np.ndarray:
        """Each column's known bin ((column, bin) pairs), -1 for the others and the leaves'."""
        fixed_bin = np.full(self.n_features + 1, -1, dtype=np.int64)
        for f, b in known:
            fixed_bin[f] = b
        return fixed_bin

    def _walk_past(self, known: dict) -> tuple[np.ndarray, np.ndarray] | None:
        column, offset = self.column, self.node_info >> 8
        fixed_bin = self._fixed_bins(known.items())
        past = fixed_bin[column] >= 0  # splits on a known column (leaves' column is never known)
        if not past.any():
            return None
        nodes = np.arange(len(column), dtype=np.int64)
        ahead = nodes.copy()
        ahead[past] = nodes[past] + self.table[offset[past] + fixed_bin[column[past]]]
        for _ in range(64):  # pointer jumping: chains of known splits end at a node that reads
            further = ahead[ahead]
            if np.array_equal(further, ahead):
                break
            ahead = further
        sizes = self.n_bins[column]
        entries = np.repeat(nodes, sizes)  # the node of each table entry
        steps = ahead[entries + self.table] - entries
        unreachable = np.repeat(past, sizes)  # a walked-past split's own steps: as they were
        steps[unreachable] = self.table[unreachable]
        if steps.max() >= np.iinfo(self.table.dtype).max:
            return None
        return np.ascontiguousarray(steps.astype(self.table.dtype)), ahead.astype(self.roots.dtype)

    def _leaf_masks(self, outputs: tuple, n_rows: int, method: str) -> "LeafMasks | None":
        if method == "walk" or (method == "auto" and outputs not in self._masks and n_rows < MASKS_FROM_ROWS):
            return None
        if outputs not in self._masks:
            self._masks[outputs] = LeafMasks.of(self, outputs)
        if self._masks[outputs] is None and method == "masks":
            raise ValueError(f"a tree has more than {LeafMasks.MAX_LEAVES} leaves: no leaf masks")
        return self._masks[outputs]

    # -- prediction ----------------------------------------------------------------------

    def raw(self, X: np.ndarray, outputs: Sequence[int] | None = None, chunk_rows: int = 1 << 16, method: str = "auto") -> np.ndarray:
        """Raw predictions (baseline + sum of leaves), shape (n, n_outputs).

        Identical rows (after binning) are evaluated once: batch files repeat profiles.
        `method`: see raw_binned.
        """
        X = np.asarray(X, dtype=float)
        out = np.empty((len(X), self.n_outputs if outputs is None else len(outputs)))
        for start in range(0, len(X), chunk_rows):
            unique, inverse = self.distinct_bins(X[start : start + chunk_rows])
            raw = self.raw_binned(unique, outputs, method=method)
            out[start : start + chunk_rows] = raw if inverse is None else raw[inverse]
        return out

    def distinct_bins(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The distinct binned rows of X and the inverse index (None: every row is its own):
        raw(X) is raw_binned(unique)[inverse]."""
        bins = self.bin(np.asarray(X, dtype=float))
        return _unique_rows(bins, self.read_columns) if len(bins) > 64 else (bins, None)


# From this many rows in one call, columns the rows share are walked past (Forest._walked_past).
SHARED_FROM_ROWS = 2048

# From this many rows in one call, the leaf masks beat the walk.
MASKS_FROM_ROWS = 4096

# Index of the lowest set bit of a uint32 x: isolate it (x & -x), then 2^i mod 37 is distinct
# for i < 32, so a 37-entry table maps it back to i.
_LOWEST_BIT = np.zeros(37, dtype=np.intp)
for _i in range(32):
    _LOWEST_BIT[(1 << _i) % 37] = _i


class NativeMasks:
    """The leaf masks of the trees of some outputs, laid out for the C evaluator's
    evaluate_masks: each tree's entries (a column it splits on and where that column's masks
    start), tree after tree. The masks of the columns every row of a call shares are ANDed
    into each tree's first mask once (`arrays`), so the C loop reads only the columns that vary.
    """

    def __init__(self, forest: Forest, outputs: tuple):
        columns, offsets, trees, masks, leaf_values = (forest._mask_arrays[name] for name in MASK_ARRAYS)
        selected = np.concatenate([np.arange(forest.output_trees[k], forest.output_trees[k + 1]) for k in outputs])
        position = np.full(len(forest.roots), -1)
        position[selected] = np.arange(len(selected))
        counts = np.diff(offsets)
        n_bins = forest.n_bins[columns].astype(np.int64)
        # Column i's masks are counts[i] runs of n_bins[i], one per tree of trees[offsets[i]:...].
        column = np.repeat(columns, counts)
        starts = np.repeat(np.cumsum(counts * n_bins) - counts * n_bins, counts)
        offset = starts + (np.arange(len(trees)) - np.repeat(offsets[:-1], counts)) * np.repeat(n_bins, counts)
        tree = position[trees]
        keep = tree >= 0
        order = np.lexsort((column[keep], tree[keep]))
        self.tree, self.column, self.offset = tree[keep][order], column[keep][order], offset[keep][order]
        self.n_trees = len(selected)
        self.forest = forest
        self.masks = np.ascontiguousarray(masks, dtype=np.uint32)
        self.leaf_values = np.ascontiguousarray(leaf_values[selected].ravel(), dtype=np.float64)
        self.spans = forest.trees(outputs)[1]
        self.baseline = np.ascontiguousarray(forest.baseline[list(outputs)], dtype=np.float64)
        self._arrays: dict[tuple, tuple] = {}

    def arrays(self, shared: tuple) -> tuple:
        """(used, starts, slots, offsets, initial) for evaluate_masks when the columns of
        `shared` ((column, bin) pairs) are known. Built once per `shared`."""
        if shared not in self._arrays:
            if len(self._arrays) >= 8:
                self._arrays.clear()
            fixed_bin = self.forest._fixed_bins(shared)
            known = fixed_bin[self.column] >= 0
            initial = np.full(self.n_trees, 0xFFFFFFFF, dtype=np.uint32)
            np.bitwise_and.at(initial, self.tree[known], self.masks[self.offset[known] + fixed_bin[self.column[known]]])
            tree, column, offset = self.tree[~known], self.column[~known], self.offset[~known]
            used = np.flatnonzero(np.bincount(column, minlength=self.forest.n_features + 1))  # (np.unique imports numpy.ma)
            self._arrays[shared] = (
                used.astype(np.int32),
                np.searchsorted(tree, np.arange(self.n_trees + 1)).astype(np.int32),
                np.searchsorted(used, column).astype(np.int32),
                offset.astype(np.int32),
                initial,
            )
        return self._arrays[shared]

    def raw(self, bins: np.ndarray, shared: tuple = (), threads: int | None = None) -> np.ndarray:
        """Raw predictions of binned rows, shape (n, outputs): the same bits as the walk."""
        assert _native is not None
        used, starts, slots, offsets, initial = self.arrays(shared)
        n_bins = self.forest.n_bins
        return _native_blocks(
            bins, len(self.baseline),
            lambda rows, out: _native.evaluate_masks(rows, n_bins, used, starts, slots, offsets, self.masks, initial, self.leaf_values, self.spans, self.baseline, out),
            threads,
        )


class LeafMasks:
    """The forest as per-column leaf bitmasks (QuickScorer, Lucchese et al., SIGIR 2015).

    Each tree's leaves are numbered left to right (at most 32: one uint32). For each column a
    tree splits on, and each bin of it, the mask of the leaves the tree's splits on that column
    leave reachable (built at export: runtime/compile.py); a row's exit leaf is the lowest set
    bit of the AND of its columns' masks. Every look-up reads a whole column of a small table:
    no per-row walk, no data-dependent loop.
    """

    MAX_LEAVES = 32

    def __init__(self, features: list, leaf_values: np.ndarray):
        self.features = features  # (column, trees or None for all, masks (trees, bins) uint32)
        self.n_trees = len(leaf_values)
        self.values = leaf_values.ravel()  # (trees * 32): each tree's leaf values, by position

    @classmethod
    def of(cls, forest: Forest, outputs: tuple, pad_share: float = 0.6) -> "LeafMasks | None":
        """The masks of the trees of `outputs` (output after output; the arrays were checked
        at load); None if the model has none (a tree with more than MAX_LEAVES leaves)."""
        columns, offsets, trees, masks, leaf_values = (forest._mask_arrays[name] for name in MASK_ARRAYS)
        if len(leaf_values) == 0:
            return None
        counts = np.diff(offsets)
        selected = np.concatenate([np.arange(forest.output_trees[k], forest.output_trees[k + 1]) for k in outputs])
        position = np.full(len(forest.roots), -1)
        position[selected] = np.arange(len(selected))
        features: list[tuple[int, np.ndarray | None, np.ndarray]] = []
        start = 0
        for i, column in enumerate(columns.tolist()):
            n_bins = int(forest.n_bins[column])
            rows = masks[start : start + int(counts[i]) * n_bins].reshape(-1, n_bins)
            start += len(rows) * n_bins
            where = position[trees[offsets[i] : offsets[i + 1]]]
            rows, where = rows[where >= 0], where[where >= 0]
            if not len(where):
                continue
            if len(where) >= pad_share * len(selected):
                # Used by most trees: give every tree a row (all ones where unused), so the AND
                # runs over the whole accumulator instead of a gather and a scatter.
                full = np.full((len(selected), n_bins), np.uint32(0xFFFFFFFF))
                full[where] = rows
                features.append((column, None, full))
            else:
                features.append((column, where, np.ascontiguousarray(rows)))
        return cls(features, leaf_values[selected])

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


def _sorted_runs(values: np.ndarray, offsets: np.ndarray) -> bool:
    """values[offsets[i]:offsets[i + 1]] is strictly increasing for every i (and holds no NaN)."""
    if values.dtype.kind == "f" and np.isnan(values).any():
        return False
    rising = values[1:] > values[:-1]
    starts = offsets[(offsets > 0) & (offsets < len(values))]
    rising[starts - 1] = True  # from one run to the next: anything
    return bool(np.all(rising))


def _in_threads(work, starts: range, threads: int | None = None) -> None:
    """work(start) for every start, shared by `threads` threads (None: usable_cpus()) when
    there are several."""
    threads = min(len(starts), usable_cpus() if threads is None else threads)
    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, starts))
    else:
        for start in starts:
            work(start)


def _native_blocks(bins: np.ndarray, n_out: int, evaluate: Callable[[np.ndarray, np.ndarray], None], threads: int | None = None) -> np.ndarray:
    """The raw predictions (rows x n_out) a C evaluator call `evaluate(bins, out)` writes, the
    rows shared by `threads` threads (None: usable_cpus()) in one call each (a call takes the
    GIL to start and to end, and a thread that waits for it while another runs Python waits
    long)."""
    threads = usable_cpus() if threads is None else max(1, threads)
    bins = np.ascontiguousarray(bins, dtype=np.uint16)
    out = np.empty((len(bins), n_out))
    step = max(1024, -(-len(bins) // threads))
    _in_threads(lambda start: evaluate(bins[start : start + step], out[start : start + step]), range(0, len(bins), step), threads)
    return out


def usable_cpus() -> int:
    """Threads for work that releases the GIL: the CPUs this process may use, at most 4."""
    try:
        return max(1, min(4, len(os.sched_getaffinity(0))))
    except (AttributeError, OSError):
        return max(1, min(4, os.cpu_count() or 1))


def _unique_rows(bins: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Distinct rows of an integer matrix, told apart by `columns` only, and the inverse index
    (exact: hash, then verify)."""
    keyed = bins[:, columns]
    keys = (keyed.astype(np.uint64) * _odd_weights(keyed.shape[1])).sum(axis=1, dtype=np.uint64)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    if len(first) > 0.9 * len(bins):
        return bins, None  # few duplicates: not worth it
    if not np.array_equal(keyed[first][inverse], keyed):  # a hash collision: evaluate every row
        return bins, None
    return bins[first], inverse


_WEIGHTS: dict[int, np.ndarray] = {}


def _odd_weights(n: int) -> np.ndarray:
    """n odd 64-bit multipliers, the same every run (splitmix64; numpy.random costs an import)."""
    if n not in _WEIGHTS:
        mask, x, weights = (1 << 64) - 1, 0, []
        for _ in range(n):
            x = (x + 0x9E3779B97F4A7C15) & mask
            z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
            weights.append((z ^ (z >> 31)) | 1)
        _WEIGHTS[n] = np.array(weights, dtype=np.uint64)
    return _WEIGHTS[n]
