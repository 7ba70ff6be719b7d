"""The model folder format: file names, the version policy, reading and checking the files.

A model folder holds `metadata.json` (what the model was trained on, and the sha256 of every
other file), `model.joblib` (the fitted SalaryModel, pickled) and the compiled form of the
same model: `forest.npz` (numeric arrays only, read with allow_pickle=False) and
`forest.json` (the feature schema, the conformal margins and the baseline). This module
reads and writes the compiled files and checks them; it imports no scikit-learn, and numpy
only when arrays are read or written, so reading metadata stays cheap.

Format versions, and the policy for reading older ones
-------------------------------------------------------
`FORMAT_VERSION` is the version this mlsalary writes, as "format_version" in both
`metadata.json` and `forest.json`. `READABLE_VERSIONS` are the versions it loads:

- version 1: the first compiled format. Its `metadata.json` was written before the field
  existed, so a `metadata.json` without "format_version" is read as version 1.

A folder of a version this mlsalary cannot read is refused with one line, before any model
file is opened: a newer version asks for a newer mlsalary or a retrain with this one, an
older or unknown one for a retrain (`mlsalary train` rewrites the whole folder). No version
is converted in place. When the format changes, FORMAT_VERSION goes up by one and the
versions still read stay in READABLE_VERSIONS, each with a line above saying what differs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from importlib import resources
from typing import TYPE_CHECKING, Any, TypedDict, cast

from mlsalary.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

FORMAT_VERSION = 1
READABLE_VERSIONS = (1,)
LEGACY_VERSION = 1  # a metadata.json without "format_version"

MODEL_FILE = "model.joblib"
FOREST_FILE = "forest.npz"
SCHEMA_FILE = "forest.json"
COMPILED_FILES = (FOREST_FILE, SCHEMA_FILE)
METADATA_FILE = "metadata.json"
RETRAIN_HINT = "retrain it with `mlsalary train --data DIR` (see README, section Data)"

FORMAT_NAME = "mlsalary-forest"
N_MODELS = 5  # one per quantile, as in SalaryModel
MAX_ARRAY_BYTES = 512 << 20  # forest.npz, uncompressed (the shipped model's: 11 MB)
N_CODES = 256  # a bitset of 8 uint32 words: category codes 0..255

# The arrays of one compiled estimator (see _sklearn.estimator_arrays): one entry per node.
PER_NODE = ("value", "feature", "threshold", "missing_left", "left", "right", "is_leaf", "is_categorical", "cat_row")
INTEGER = ("feature", "left", "right", "cat_row", "roots", "cat_columns", "cat_offsets", "n_features")
REQUIRED = PER_NODE + ("baseline", "roots", "cat_table", "cat_columns", "cat_values", "cat_offsets", "n_features")


# -- metadata.json ---------------------------------------------------------------------------


class Artifact(TypedDict):
    """One file of the model folder, as metadata.json lists it."""

    sha256: str
    bytes: int


class ModelMetadata(TypedDict, total=False):
    """metadata.json. Every key is optional when reading: a folder may predate a field, and the
    fields loading relies on are checked by read_metadata below."""

    format_version: int
    mlsalary: str
    created: str
    estimates: str  # what the figures are, e.g. "annual total compensation in USD as ..."
    reference: dict[str, Any]  # {"source": ..., "year": ...}
    comp_window_usd: list[float]
    quantiles: list[float]
    versions: dict[str, str]  # package -> version used to train
    training_data: dict[str, Any]
    params: dict[str, Any]
    schema: dict[str, Any]
    support: dict[str, Any]  # aggregate training counts per value
    sources: list[dict[str, Any]]
    calibration: dict[str, Any]
    baseline_usd: int
    held_out: dict[str, Any]
    artifacts: dict[str, Artifact]  # file name -> sha256 and size
    model_version: str
    locations: dict[str, Any]  # the OEWS location table beside the model: source, date, areas


def folder_version(metadata: ModelMetadata | dict[str, Any], where: str | Path) -> int:
    """The format version of a model folder, from its metadata; refuses one it cannot read."""
    version = metadata.get("format_version", LEGACY_VERSION)
    check_version(version, where)
    return int(version)


def check_version(version: Any, where: str | Path) -> None:
    if type(version) is int and version in READABLE_VERSIONS:
        return
    if type(version) is int and version > FORMAT_VERSION:
        raise ModelError(
            f"'{where}' is a model of format version {version}, newer than this mlsalary reads "
            f"({_readable()}); upgrade mlsalary, or {RETRAIN_HINT}"
        )
    raise ModelError(f"'{where}' is a model of format version {version!r}, which this mlsalary does not read ({_readable()}); {RETRAIN_HINT}")


def _readable() -> str:
    return "version " + ", ".join(str(v) for v in READABLE_VERSIONS)


# -- small helpers shared by saving and loading ----------------------------------------------


def one_line(error: BaseException, limit: int = 300) -> str:
    """An exception's text for a one-line message: whitespace collapsed, at most `limit` characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def artifact(path: Path) -> Artifact:
    return {"sha256": file_sha256(path), "bytes": path.stat().st_size}


# -- writing the compiled files (train time) -------------------------------------------------


def write_compiled(folder: Path, arrays: dict[str, np.ndarray], document: dict[str, Any]) -> dict[str, Artifact]:
    """Write `forest.npz` and `forest.json`; returns their metadata entries."""
    _write_npz(folder / FOREST_FILE, arrays)
    document = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **document}
    (folder / SCHEMA_FILE).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    return {name: artifact(folder / name) for name in COMPILED_FILES}


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like np.savez, but byte-for-byte reproducible (fixed zip timestamps, stored)."""
    import io
    import zipfile

    import numpy as np

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, buffer.getvalue())


# -- reading and checking them (query time) --------------------------------------------------


def read_verified(folder: Path, artifacts: dict[str, Artifact] | None) -> dict[str, bytes]:
    """The bytes of the compiled files; with `artifacts` (from metadata), sha256-verified."""
    blobs = {}
    for name in COMPILED_FILES:
        try:
            blobs[name] = (folder / name).read_bytes()
        except OSError as error:
            raise ModelError(f"cannot read '{folder / name}': {error.strerror or error}") from None
        if artifacts is not None:
            entry = artifacts.get(name)
            expected = entry.get("sha256") if entry else None
            if expected is None or hashlib.sha256(blobs[name]).hexdigest() != expected:
                raise ModelError(
                    f"model file '{folder / name}' does not match the sha256 in its metadata (modified or truncated); "
                    f"reinstall mlsalary or {RETRAIN_HINT}"
                )
    return blobs


def parse_document(blob: bytes) -> dict[str, Any]:
    """forest.json, checked for its format, version and number of models (ValueError if not)."""
    document = json.loads(blob)
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    if document.get("format") != FORMAT_NAME or document.get("format_version") not in READABLE_VERSIONS or type(document.get("format_version")) is not int:
        raise ValueError(f"unsupported format {document.get('format')!r} version {document.get('format_version')!r}")
    n_models = document["n_models"]
    if type(n_models) is not int or n_models != N_MODELS:
        raise ValueError(f"n_models is {n_models!r}, expected {N_MODELS}")
    return document


def model_parts(arrays: dict[str, np.ndarray], n_models: int) -> list[dict[str, np.ndarray]]:
    """The arrays of each compiled estimator k (stored as `m{k}_name`; Forest checks them)."""
    parts = []
    for k in range(n_models):
        prefix = f"m{k}_"
        parts.append({name[len(prefix) :]: a for name, a in arrays.items() if name.startswith(prefix)})
    return parts


def read_npz(blob: bytes) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive: numeric arrays only, within MAX_ARRAY_BYTES in all."""
    import io
    import zipfile

    import numpy as np

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


def check_part(k: int, p: dict[str, np.ndarray]) -> None:
    """The arrays of compiled estimator k are all there, with the shapes and types export writes."""
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


# -- the model folder: where the shipped one is, and its metadata ----------------------------


def shipped_model_dir() -> Path:
    """The model shipped with the package (installed as mlsalary.shipped, or models/ in a checkout)."""
    try:
        installed = Path(str(resources.files("mlsalary.shipped")))
        if (installed / METADATA_FILE).is_file():
            return installed
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "models"  # mlsalary/runtime/format.py -> the checkout


def read_metadata(directory: str | Path) -> ModelMetadata:
    """metadata.json of a model folder, checked for the shape loading relies on and for a
    format version this mlsalary reads (runtime/format.py)."""
    path = Path(directory) / METADATA_FILE
    try:
        metadata = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"no model at '{directory}': {METADATA_FILE} is missing; {RETRAIN_HINT}") from None
    except (OSError, ValueError, RecursionError) as error:
        raise ModelError(f"cannot read '{path}': {one_line(error)}") from None
    # The fields loading relies on must have the right shape: a bad one is a damaged file,
    # not an AttributeError later on.
    artifacts = metadata.get("artifacts", {}) if isinstance(metadata, dict) else None
    if (
        not isinstance(metadata, dict)
        or not isinstance(artifacts, dict)
        or not all(isinstance(entry, dict) for entry in artifacts.values())
        or not isinstance(metadata.get("versions", {}), dict)
    ):
        raise ModelError(f"cannot read '{path}': not the metadata of an mlsalary model (damaged or edited); {RETRAIN_HINT}")
    folder_version(metadata, directory)
    return cast(ModelMetadata, metadata)
