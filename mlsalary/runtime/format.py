"""The model folder format: file names, the version policy, reading and checking the files.

A model folder holds `metadata.json` (what the model was trained on, and the sha256 of every
other file), `model.joblib` (the fitted SalaryModel, pickled) and the compiled form of the
same model: `forest.npz` (numeric arrays only, read without unpickling) and `forest.json`
(the feature schema, the conformal margins and the baseline). This module reads and writes
the compiled files and checks them; it imports no scikit-learn, and numpy only when arrays
are read or written, so reading metadata stays cheap.

Format versions, and the policy for reading older ones
-------------------------------------------------------
`FORMAT_VERSION` is the version this mlsalary writes, as "format_version" in both
`metadata.json` and `forest.json`. `READABLE_VERSIONS` are the versions it loads:

- version 1: the first compiled format: per quantile model, the trees' node arrays as
  scikit-learn has them (`m{k}_left`, `m{k}_threshold`, a 256-column table per categorical
  split ...), from which every load built the evaluator's tables. Its `metadata.json` was
  written before the field existed, so a `metadata.json` without "format_version" is read as
  version 1. It still loads (the tables are built at load, as before, without the leaf masks).
- version 2: the evaluator's tables themselves, built once at export (runtime/compile.py):
  the five models' nodes in one array each, a next-node table per node over the bins of its
  column, the bins' cut points and the leaf masks (FOREST_ARRAYS below). Members are stored
  uncompressed and aligned, so loading uses them in place, without a copy.
- version 3: as version 2, and `forest.json` holds "shifts": the additive factors' log shift
  per level (runtime/shifts.py), added to every quantile. A version 2 folder has none.

A folder of a version this mlsalary cannot read is refused with one line, before any model
file is opened: a newer version asks for a newer mlsalary or a retrain with this one, an
older or unknown one for a retrain (`mlsalary train` rewrites the whole folder). No version
is converted in place. When the format changes, FORMAT_VERSION goes up by one and the
versions still read stay in READABLE_VERSIONS, each with a line above saying what differs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path
import importlib.util
from typing import TYPE_CHECKING, Any, Iterable, Mapping, TypedDict, cast

from mlsalary.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
LEGACY_VERSION = 1  # a metadata.json without "format_version"

MODEL_FILE = "model.joblib"
FOREST_FILE = "forest.npz"
SCHEMA_FILE = "forest.json"
COMPILED_FILES = (FOREST_FILE, SCHEMA_FILE)
METADATA_FILE = "metadata.json"
RETRAIN_HINT = "retrain it with `mlsalary train --data DIR` (see README, section Data)"
# A folder without compiled files holds only the pickle, which is opened for the shipped model
# or a trusted folder only.
UNTRUSTED = (
    "refusing to load '{folder}': model files are pickles, and unpickling runs code; "
    "pass --trust-model if you made this model yourself or trust whoever did"
)

FORMAT_NAME = "mlsalary-forest"
N_MODELS = 5  # one per quantile, as in SalaryModel
MAX_ARRAY_BYTES = 512 << 20  # forest.npz, uncompressed
N_CODES = 256  # a bitset of 8 uint32 words: category codes 0..255
ALIGN = 64  # forest.npz members start on this boundary (numpy pads its .npy header to it too)

# Version 2: the arrays of forest.npz, name -> (dtypes accepted, dimensions). Written by
# runtime/compile.py, checked by runtime/forest.py. Nodes of all models are numbered together,
# model by model and tree by tree; a tree's nodes run from its root to the next tree's root.
FOREST_ARRAYS: dict[str, tuple[tuple[str, ...], int]] = {
    "background": (("<f8",), 2),  # the reference rows (CompiledModel.background_)
    "baseline": (("<f8",), 1),  # per model: the raw prediction before any tree
    "output_trees": (("<i4",), 1),  # model k's trees are output_trees[k]:output_trees[k + 1]
    "roots": (("<i4",), 1),  # per tree: its first node
    "node_info": (("<i4",), 1),  # per node: table offset << 8 | column (n_features: a leaf)
    "value": (("<f8",), 1),  # per node: the leaf value (0 for a split)
    "table": (("|u1", "<u2"), 1),  # per node and bin of its column: steps ahead to the next node
    "n_bins": (("<i4",), 1),  # per column, and 1 for the leaves' column
    "cut_points": (("<f8",), 1),  # numeric columns: the thresholds, sorted, column after column
    "cut_offsets": (("<i4",), 1),  # column f's are cut_points[cut_offsets[f]:cut_offsets[f + 1]]
    "cat_columns": (("<i4",), 1),  # categorical columns
    "cat_values": (("<f8",), 1),  # their categories (the codes the schema writes), sorted
    "cat_offsets": (("<i4",), 1),  # cat_columns[i]'s are cat_values[cat_offsets[i]:cat_offsets[i + 1]]
    "mask_columns": (("<i4",), 1),  # leaf masks (forest.LeafMasks): the columns trees split on
    "mask_tree_offsets": (("<i4",), 1),  # mask_columns[i]'s trees: mask_trees[offsets[i]:offsets[i + 1]]
    "mask_trees": (("<i4",), 1),
    "masks": (("<u4",), 1),  # per column, tree and bin: the leaves still reachable
    "leaf_values": (("<f8",), 2),  # per tree, its leaf values left to right (LeafMasks.MAX_LEAVES)
}


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
    method: str  # the model's method in words, written by the code that fitted it
    additive: dict[str, Any]  # the additive factors: rows and sources their shifts rest on, by region (train/additive.py)
    levels: dict[str, Any]  # levels above senior: the H-1B ratio to senior at the same employer (train/levels.py)


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
    """The sha256 of a file we wrote or a data file (streamed); model files to load are read
    through read_model_file, which bounds them."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# The most a model folder's file may hold: forest.npz's arrays (MAX_ARRAY_BYTES) and its zip
# headers; the JSON files are far smaller. A larger file is not a model's.
MAX_FILE_BYTES = MAX_ARRAY_BYTES + (16 << 20)
MAX_JSON_BYTES = 64 << 20  # metadata.json, locations.json


def read_model_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A model folder file's bytes: a regular file (a symlink to /dev/zero or a FIFO would
    exhaust the memory or never end) of at most `limit` bytes, read no further than that.

    Raises FileNotFoundError when it does not exist, ModelError for anything else wrong.
    """
    import os
    import stat

    try:
        with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK)) as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ModelError(f"'{path}' is not a regular file")
            if info.st_size > limit:
                raise ModelError(f"'{path}' holds {info.st_size >> 20} MiB, more than a model file may ({limit >> 20} MiB)")
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise ModelError(f"cannot read '{path}': {error.strerror or error}") from None
    if len(data) > limit:  # it grew while being read
        raise ModelError(f"'{path}' holds more than a model file may ({limit >> 20} MiB)")
    return data


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
    """Like np.savez, but byte-for-byte reproducible (fixed zip timestamps, stored) and with
    every member's data on an ALIGN-byte boundary of the file, so read_npz can use it in place."""
    import io
    import struct
    import zipfile

    import numpy as np

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            # The local header (30 bytes, the name, the extra field) is padded by an extra field
            # of zeros (the id zipalign uses) up to the boundary.
            assert archive.fp is not None
            start = archive.fp.tell() + 30 + len(info.filename.encode()) + 4
            padding = -start % ALIGN
            info.extra = struct.pack("<HH", 0xD935, padding) + bytes(padding)
            archive.writestr(info, buffer.getvalue())


# -- reading and checking them (query time) --------------------------------------------------


def read_verified(folder: Path, artifacts: dict[str, Artifact] | None) -> dict[str, bytes]:
    """The bytes of the compiled files; with `artifacts` (from metadata), sha256-verified.

    Read into memory, not memory-mapped: a mapped file that changed after its check would
    change tables the C evaluator relies on having been checked.
    """
    blobs = {}
    for name in COMPILED_FILES:
        try:
            blobs[name] = read_model_file(folder / name)
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


def read_npz(blob: bytes) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive: numeric arrays only, within MAX_ARRAY_BYTES in all.

    An uncompressed member is used in place: its array is a read-only view of `blob`, no copy
    (version 2 writes every member so, aligned). A compressed member is inflated first.
    """
    import io
    import zipfile

    if not blob.startswith(b"PK\x03\x04"):
        raise ValueError("not an .npz archive")
    arrays = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        members = archive.infolist()
        size = sum(info.file_size for info in members)  # zipfile reads no more
        if size > MAX_ARRAY_BYTES:  # a compressed "zip bomb" must not fill the memory
            raise ValueError(f"its arrays would take {size >> 20} MiB, more than the {MAX_ARRAY_BYTES >> 20} MiB allowed")
        for info in members:
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 1:
                arrays[name] = _npy_array(name, blob, _data_start(blob, info), info.file_size)
            else:
                arrays[name] = _npy_array(name, archive.read(info), 0, info.file_size)
    return arrays


def _data_start(blob: bytes, info) -> int:
    """Where a stored zip member's data starts: after its local header, name and extra field."""
    import struct

    offset = info.header_offset
    if blob[offset : offset + 4] != b"PK\x03\x04":
        raise ValueError(f"the archive's entry for '{info.filename}' is damaged")
    name_length, extra_length = struct.unpack("<HH", blob[offset + 26 : offset + 30])
    start = offset + 30 + name_length + extra_length
    if start + info.file_size > len(blob):
        raise ValueError(f"'{info.filename}' runs past the end of the archive")
    return start


def _npy_array(name: str, buffer: bytes, start: int, size: int) -> np.ndarray:
    """The array of the .npy bytes buffer[start:start + size], a read-only view of them.

    Only numbers and booleans: an object array (a pickle) is refused, never unpickled, and so is
    a header that declares more data than the member holds.
    """
    import io
    import math

    import numpy as np

    header = io.BytesIO(buffer[start : start + min(size, 1 << 16)])
    version = np.lib.format.read_magic(header)
    if version != (1, 0) and version != (2, 0):
        raise ValueError(f"'{name}' is in .npy version {version}, which mlsalary does not read")
    # The header numpy writes is read with a regular expression; any other with numpy's own
    # reader (ast.literal_eval: it compiles the header, which costs more than the array).
    length_size = 2 if version == (1, 0) else 4
    length = int.from_bytes(buffer[start + 8 : start + 8 + length_size], "little")
    written = _NPY_HEADER.fullmatch(buffer, start + 8 + length_size, start + 8 + length_size + length)
    if written:
        dtype = np.dtype(written["descr"].decode())
        fortran_order = written["fortran"] == b"True"
        shape = tuple(int(n) for n in written["shape"].split(b",") if n.strip())
        header.seek(8 + length_size + length)
    elif version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(header)
    else:
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(header)
    if dtype.hasobject:
        raise ValueError("it holds pickled (object) data, which mlsalary never loads")
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise ValueError(f"'{name}' holds {dtype} values, not numbers")
    count = math.prod(shape)
    available = size - header.tell()
    if count * dtype.itemsize > available:
        raise ValueError(f"'{name}' declares {count * dtype.itemsize} bytes of data, but holds {available}")
    array = np.frombuffer(buffer, dtype=dtype, count=count, offset=start + header.tell())
    return array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)


# np.lib.format.write_array's header: the dict in this order, padded with spaces to a newline.
_NPY_HEADER = re.compile(rb"\{'descr': '(?P<descr>[<>|][a-z]\d{1,2})', 'fortran_order': (?P<fortran>True|False), 'shape': \((?P<shape>[\d, ]*)\), \} *\n")


def check_arrays(arrays: Mapping[str, np.ndarray], names: Iterable[str] = FOREST_ARRAYS) -> None:
    """The arrays `names` of a version 2 forest.npz are all there, with the types and
    dimensions FOREST_ARRAYS gives (their values are checked by runtime/forest.py)."""
    for name in names:
        dtypes, ndim = FOREST_ARRAYS[name]
        if name not in arrays:
            raise ModelError(f"{FOREST_FILE}: no array '{name}'")
        array = arrays[name]
        if array.dtype.str not in dtypes or array.ndim != ndim:
            raise ModelError(f"{FOREST_FILE}: '{name}' is a {array.ndim}-dimensional {array.dtype.str} array, expected {ndim} dimensions of {' or '.join(dtypes)}")


# -- the model folder: where the shipped one is, and its metadata ----------------------------


def shipped_model_dir() -> Path:
    """The model shipped with the package (installed as mlsalary.shipped, or models/ in a checkout)."""
    # The package's folder from its import spec: importlib.resources would import its readers.
    spec = importlib.util.find_spec("mlsalary.shipped")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / METADATA_FILE).is_file():
            return Path(folder)
    return Path(__file__).resolve().parents[2] / "models"  # mlsalary/runtime/format.py -> the checkout


def read_metadata(directory: str | Path) -> ModelMetadata:
    """metadata.json of a model folder, checked for the shape loading relies on and for a
    format version this mlsalary reads (runtime/format.py)."""
    path = Path(directory) / METADATA_FILE
    try:
        metadata = json.loads(read_model_file(path, MAX_JSON_BYTES))
    except FileNotFoundError:
        raise ModelError(f"no model at '{directory}': {METADATA_FILE} is missing; {RETRAIN_HINT}") from None
    except (OSError, ValueError, RecursionError) as error:
        raise ModelError(f"cannot read '{path}': {one_line(error)}") from None
    # The fields loading relies on must have the right shape: a bad one is a damaged file,
    # not an AttributeError later on.
    if not isinstance(metadata, dict):
        raise ModelError(f"cannot read '{path}': not the metadata of an mlsalary model (damaged or edited); {RETRAIN_HINT}")
    folder_version(metadata, directory)  # first: a version this mlsalary does not read has other fields
    wrong = _mistyped(metadata)
    if wrong:
        raise ModelError(f"cannot read '{path}': field {wrong} (damaged or edited); {RETRAIN_HINT}")
    return cast(ModelMetadata, metadata)


def _mistyped(metadata: dict[str, Any]) -> str | None:
    """The first field of metadata.json whose JSON type is not the one ModelMetadata declares
    (its nested records: METADATA_RECORDS), said as "'name' must be ...", or None."""
    for name, expected in _metadata_types().items():
        if name in metadata:
            wrong = _type_error(name, metadata[name], expected)
            if wrong:
                return wrong
    for name, (plausible, says) in METADATA_RANGES.items():
        head, _, field = name.partition(".")
        value = metadata.get(head)
        value = value.get(field) if field and isinstance(value, dict) else value if not field else None
        if value is not None and not plausible(value):
            return f"'{name}' must be {says}"
    return None


# Values that answers compute with, beyond their type.
METADATA_RANGES: dict[str, tuple[Any, str]] = {
    "comp_window_usd": (lambda v: len(v) == 2 and 0 < v[0] < v[1], "two amounts, the lower first"),
    "quantiles": (lambda v: len(v) > 0 and all(0 < q < 1 for q in v) and sorted(v) == v, "increasing levels between 0 and 1"),
    "baseline_usd": (lambda v: 0 < v < 10_000_000, "a positive yearly amount"),
    "reference.year": (lambda v: 1990 <= v <= 2100, "a survey year"),
    "support.rows": (lambda v: v >= 0, "a count"),
}


# The records inside metadata.json that answers read field by field (a wrong type there would
# be an internal error far from the file): field -> its fields' types, as ModelMetadata's.
METADATA_RECORDS: dict[str, dict[str, Any]] = {
    "reference": {"source": str, "year": int},
    "support": {"rows": int, "by_value": dict, "country_role": dict},
    "levels": {"base": str, "levels": dict, "source": dict, "method": str, "caveat": str, "interns": int},
    "training_data": {"fingerprint_sha256": str, "files": list, "rows_by_source_year": dict, "split_rows": dict},
    "calibration": {"rows": dict, "margins_log": dict},
    "locations": {
        "name": str, "release": str, "areas": dict, "occupations": dict, "occupation": str, "attribution": str, "licence": str,
        "file": str, "sha256": str, "publisher": str, "url": str, "measures": str,
    },
    "held_out": {
        "test_rows": int, "model": dict, "lookup": dict, "withheld": dict, "sources": dict, "effects": list, "ml_roles": dict,
        "improvement_over_lookup_pinball": float, "improvement_over_loglinear_pinball": float,
    },
    "held_out.model": {"rows": int, "coverage_p10-p90": float, "coverage_p25-p75": float, "pinball_p10_p50_p90": float, "mdape_median": float},
    "held_out.ml_roles": {"rows": int, "coverage_p10-p90": float, "mdape_median": float},
    # Each entry of a list: every field required (the model card shows them all).
    "sources[]": {"source": str, "years": list, "rows_used": int, "licence": str, "pay": str, "attribution": str},
    "schema": {"factors": list, "values": dict, "countries_modelled": list, "skills_modelled": list, "columns": list},
    "additive": {},
    "versions": {},
}


@functools.cache
def _metadata_types() -> dict[str, Any]:
    import typing

    return typing.get_type_hints(ModelMetadata)


def _type_error(name: str, value: Any, expected: Any) -> str | None:
    import typing

    if typing.is_typeddict(expected):  # a record of known fields (Artifact)
        if not isinstance(value, dict):
            return f"'{name}' must be an object, not {_json_type(type(value))}"
        hints = typing.get_type_hints(expected)
        return next((w for f, kind in hints.items() if f in value and (w := _type_error(f"{name}.{f}", value[f], kind))), None)
    origin = typing.get_origin(expected) or expected
    if origin is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) != float("inf")
    elif origin is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, origin)
    if not ok:
        return f"'{name}' must be {_json_type(origin)}, not {_json_type(type(value))}"
    if origin is list:
        (item,) = typing.get_args(expected) or (Any,)
        record = METADATA_RECORDS.get(f"{name}[]", {})
        for i, entry in enumerate(value if item is not Any else ()):
            wrong = _type_error(f"{name}[{i}]", entry, item)
            missing = [field for field in record if field not in entry] if not wrong else []
            wrong = wrong or (f"'{name}[{i}]' must have '{missing[0]}'" if missing else None)
            for field, kind in record.items() if not wrong else ():
                wrong = wrong or _type_error(f"{name}[{i}].{field}", entry[field], kind)
            if wrong:
                return wrong
    if origin is dict and typing.get_args(expected)[1:] not in ((), (Any,)):
        (kind,) = typing.get_args(expected)[1:]
        for key, entry in value.items():
            wrong = _type_error(f"{name}.{key}", entry, kind)
            if wrong:
                return wrong
    if origin is dict and name in METADATA_RECORDS:
        for field, kind in METADATA_RECORDS[name].items():
            if value.get(field) is not None:  # a record's field may be null: not recorded
                wrong = _type_error(f"{name}.{field}", value[field], kind)
                if wrong:
                    return wrong
    return None


def _json_type(kind: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", int: "a whole number", float: "a number", bool: "true or false"}.get(kind, "null" if kind is type(None) else kind.__name__)
