"""The query-time model: a compiled model folder loaded with numpy, json and the standard library.

`CompiledModel.load(directory)` reads `forest.npz` and `forest.json` (see runtime/format.py):
no scikit-learn, pandas or joblib import and no unpickling, so a model folder is data, not
code. The arrays are used where they lie in the file's bytes, already in the evaluator's
layout (format version 2); a version 1 folder is compiled to it first (runtime/compile.py). The trained `SalaryModel` (model.py) stays the source of truth; the compiled form
reproduces its predictions (tests/test_compiled.py compares them on the shipped model, real
rows and a synthetic model with unseen categories): the raw quantiles come from `Forest`
(runtime/forest.py), the rest is the same code, quantiles.py.
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Callable

import numpy as np

from mlsalary.errors import ModelError
from mlsalary.runtime.features import FeatureSchema
from mlsalary.runtime.quantiles import ALL_ROWS, INTERVALS, MEDIAN, uncross, widen
from mlsalary.runtime.features import schema_from_json
from mlsalary.runtime.format import FOREST_FILE, SCHEMA_FILE, Artifact, one_line, parse_document, read_npz, read_verified
from mlsalary.runtime.forest import Forest
from mlsalary.runtime.shifts import Shifts


class CompiledModel:
    """The query-time interface of SalaryModel, loaded from a compiled model folder."""

    def __init__(
        self,
        forest: Forest,
        schema: FeatureSchema,
        background: np.ndarray,
        baseline: float,
        conformal: dict,
        calibration_size: dict | None = None,
        shifts: Shifts | None = None,
    ):
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
        self.shifts_ = shifts or Shifts()
        # The factors only the shifts read (no tree splits on them): explanations need fewer
        # forest queries for them (explanations.py).
        shifted = set(self.shifts_.columns) | set(self.shifts_.skill_columns)
        split_on = set(forest.read_columns.tolist())
        self.additive_factors = tuple(
            name for name, columns in groups.items() if columns and set(columns) <= shifted and not set(columns) & split_on
        )

    @classmethod
    def load(cls, directory, artifacts: dict[str, Artifact] | None = None, *, shipped: bool = False) -> "CompiledModel":
        """Load a compiled model folder; with `artifacts` (from metadata), verify sha256 first.

        `shipped`: the folder is the installed package's own model and `artifacts` its pinned
        hashes. Once the hashes match, the files are the ones released, whose structure and
        predictions tests/test_compiled.py checks, so those checks are not repeated (they cost
        about as much as the rest of the load).
        """
        if shipped and artifacts is None:
            raise ValueError("a shipped model is loaded with the hashes of its metadata")
        folder = Path(directory)
        blobs = read_verified(folder, artifacts)
        failing = f"'{folder / SCHEMA_FILE}'"  # named in the message if loading fails
        try:
            document = parse_document(blobs[SCHEMA_FILE])
            failing = f"'{folder / FOREST_FILE}'"
            arrays = read_npz(blobs[FOREST_FILE])
            if "background" not in arrays:
                raise ValueError("no array 'background'")
            failing = f"the compiled model in '{folder}' ({FOREST_FILE} with {SCHEMA_FILE})"
            if document["format_version"] == 1:  # the trees' node arrays: build the tables now
                from mlsalary.runtime.compile import compile_forest, model_parts

                forest = Forest(compile_forest(model_parts(arrays, document["n_models"]), masks=False))
            else:
                forest = Forest(arrays, shipped=shipped)
            if forest.n_outputs != document["n_models"]:
                raise ModelError(f"{FOREST_FILE} holds {forest.n_outputs} models, {SCHEMA_FILE} says {document['n_models']}")
            model = cls(
                forest,
                schema_from_json(document["schema"]),
                arrays["background"],
                float(document["baseline"]),
                {g: {k: float(v) for k, v in m.items()} for g, m in document["conformal"].items()},
                document.get("calibration_size", {}),
                Shifts.from_json(document["shifts"], forest.n_features) if document["format_version"] >= 3 else None,
            )
            if not shipped:
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
        from mlsalary.runtime.features import ML_ROLES
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
        return self._calibrated(self.forest.raw(X), X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.exp(self.predict_log(X))

    def predict_later(self, X: np.ndarray, submit: Callable[..., Future]) -> Callable[[], np.ndarray]:
        """predict(X), with only the trees run by `submit` (an executor's: the C evaluator
        releases the GIL there); the binning is done here and now, the shifts and calibration
        by the returned function, which waits for the trees and gives predict(X). A thread
        that needs the GIL while another runs Python waits for it, so the trees' thread is
        given as little Python as can be."""
        unique, inverse = self.forest.distinct_bins(X)
        # One thread: the caller's own thread is busy meanwhile (batch reads the next chunk),
        # and a second one for the trees would take turns with it on the cores.
        trees = submit(self.forest.raw_binned, unique, threads=1)

        def result() -> np.ndarray:
            raw = trees.result()
            return np.exp(self._calibrated(raw if inverse is None else raw[inverse], X))

        return result

    def predict_median(self, X: np.ndarray) -> np.ndarray:
        return np.exp(self.forest.raw(X, outputs=[MEDIAN])[:, 0] + self.shifts_(X))

    def _calibrated(self, raw: np.ndarray, X: np.ndarray) -> np.ndarray:
        """predict_log from the trees' raw quantiles of X: shifted, uncrossed and widened."""
        return widen(uncross(raw + self.shifts_(X)[:, None]), self.schema_.calibration_groups(X), self.conformal_)

    def tree_median_log(self, X: np.ndarray) -> np.ndarray:
        """The trees' part of the log median (predict_median = exp(this + shift_log))."""
        return self.forest.raw(X, outputs=[MEDIAN])[:, 0]

    def shift_log(self, X: np.ndarray) -> np.ndarray:
        return self.shifts_(X)
