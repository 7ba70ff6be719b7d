"""Attacks on the model files: every damaged, swapped or malicious artifact is refused.

A refused model ends with exit status 4 (ExitStatus.MODEL, the status of ModelError) and one
line on stderr naming the file, never a traceback and never an estimate on stdout. No pickle
is opened unless it is trusted and its sha256 matches; the compiled form is never unpickled,
even when its sha256 was updated to match a malicious file. Commands never use the network
and never write a file they were not asked to write.

Every case works on a copy of the shipped model folder in tmp_path; models/ is only read.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from typer.testing import CliRunner

from mlsalary.runtime import format, load
from mlsalary.train import store
from mlsalary.cli import app
from mlsalary.errors import ModelError
from mlsalary.status import ExitStatus

from conftest import ROOT

SHIPPED = format.shipped_model_dir()
MODEL_EXIT = int(ModelError.exit_status)
COMPILED = ("forest.npz", "forest.json")
JOBLIB = "model.joblib"
SAMPLE_CSV = ROOT / "sample_data" / "profiles.csv"
ESTIMATE = ("estimate", "--country", "Germany", "--json")

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "120"})


# -- model folder copies ---------------------------------------------------------------------


def model_copy(dest: Path, *, compiled: bool = True) -> Path:
    """A copy of the shipped model folder: the compiled files, or (compiled=False) only
    model.joblib, with the compiled files' entries removed from metadata.json so that loading
    takes the joblib path."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in (COMPILED if compiled else (JOBLIB,)) + ("metadata.json",):
        shutil.copyfile(SHIPPED / name, dest / name)
    if not compiled:
        edit_metadata(dest, lambda m: [m["artifacts"].pop(name) for name in COMPILED])
    return dest


def edit_metadata(folder: Path, change: Callable[[dict], object]) -> None:
    metadata = json.loads((folder / "metadata.json").read_text())
    change(metadata)
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=2))


def pin_sha256(folder: Path, name: str) -> None:
    """Record the file's current sha256 in metadata.json, as a forger would."""
    data = (folder / name).read_bytes()
    entry = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    edit_metadata(folder, lambda m: m["artifacts"].__setitem__(name, entry))


def assert_refused(result, *fragments: str) -> str:
    """Exit 4, one line on stderr naming what is wrong, no traceback, no estimate."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == MODEL_EXIT, (result.exit_code, result.output)
    assert result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert result.output.strip() == lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


class CreatesMarker:
    """Unpickling this runs Path(marker).touch(): a file that proves a pickle was opened."""

    def __init__(self, marker: Path):
        self.marker = Path(marker)

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_marker_pickle_runs_code_when_unpickled(tmp_path):
    # The control for every "never unpickled" assertion below: the payload does work.
    marker = tmp_path / "unpickled"
    pickle.loads(pickle.dumps(CreatesMarker(marker)))
    assert marker.exists()


def test_model_error_ends_with_the_model_exit_status():
    assert ModelError.exit_status == ExitStatus.MODEL == MODEL_EXIT == 4


# -- 1. the tamper matrix: each artifact x each kind of damage ------------------------------


def flip_middle_byte(data: bytes) -> bytes:
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0xFF
    return bytes(damaged)


def truncate_to_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def other_same_length(data: bytes) -> bytes:
    other = np.random.default_rng(7).bytes(len(data))
    assert other != data
    return other


def empty(data: bytes) -> bytes:
    return b""


DAMAGES: dict[str, Callable[[bytes], bytes] | None] = {
    "flip-middle-byte": flip_middle_byte,
    "truncated-to-half": truncate_to_half,
    "other-content-same-length": other_same_length,
    "empty": empty,
    "deleted": None,
}
MATRIX = [(artifact, damage) for artifact in (*COMPILED, JOBLIB) for damage in DAMAGES]


@pytest.mark.parametrize("artifact,damage", MATRIX, ids=[f"{a}-{d}" for a, d in MATRIX])
def test_damaged_artifact_is_refused(tmp_path, artifact, damage):
    folder = model_copy(tmp_path / "model", compiled=artifact != JOBLIB)
    path = folder / artifact
    if DAMAGES[damage] is None:
        path.unlink()
    else:
        path.write_bytes(DAMAGES[damage](path.read_bytes()))
    trust = ("--trust-model",) if artifact == JOBLIB else ()
    line = assert_refused(invoke(*ESTIMATE, "--model", str(folder), *trust), f"'{path}'")
    if damage == "deleted":
        assert "is missing" in line or "No such file or directory" in line
    else:
        assert "does not match the sha256 in its metadata" in line


def corrupt_metadata_json(folder):
    (folder / "metadata.json").write_text('{"artifacts": {"forest.npz": ')


def metadata_not_an_object(folder):
    (folder / "metadata.json").write_text("[]")


def metadata_binary(folder):
    (folder / "metadata.json").write_bytes(np.random.default_rng(3).bytes(4096))


def metadata_deleted(folder):
    (folder / "metadata.json").unlink()


def artifacts_not_a_mapping(folder):
    edit_metadata(folder, lambda m: m.__setitem__("artifacts", "forest.npz forest.json"))


def artifact_entry_not_a_mapping(folder):
    edit_metadata(folder, lambda m: m["artifacts"].__setitem__("forest.npz", "362ab9b0d28b"))


def altered_sha256(name):
    def alter(folder):
        def change(metadata):
            digest = metadata["artifacts"][name]["sha256"]
            metadata["artifacts"][name]["sha256"] = ("0" if digest[0] != "0" else "1") + digest[1:]

        edit_metadata(folder, change)

    return alter


def removed_sha256(name):
    return lambda folder: edit_metadata(folder, lambda m: m["artifacts"][name].pop("sha256"))


# (id, compiled folder?, tamper, what the message must say)
METADATA_CASES = [
    ("metadata.json-invalid-json", True, corrupt_metadata_json, ("metadata.json'", "cannot read")),
    ("metadata.json-not-an-object", True, metadata_not_an_object, ("metadata.json'", "not the metadata of an mlsalary model")),
    ("metadata.json-binary-garbage", True, metadata_binary, ("metadata.json'", "cannot read")),
    ("metadata.json-deleted", True, metadata_deleted, ("metadata.json is missing",)),
    ("metadata.json-artifacts-not-a-mapping", True, artifacts_not_a_mapping, ("metadata.json'", "field 'artifacts' must be an object")),
    ("metadata.json-artifact-entry-not-a-mapping", True, artifact_entry_not_a_mapping, ("metadata.json'", "field 'artifacts.", "must be an object")),
    ("forest.npz-sha256-altered", True, altered_sha256("forest.npz"), ("forest.npz'", "does not match the sha256")),
    ("forest.json-sha256-altered", True, altered_sha256("forest.json"), ("forest.json'", "does not match the sha256")),
    ("model.joblib-sha256-altered", False, altered_sha256(JOBLIB), ("model.joblib'", "does not match the sha256")),
    ("forest.npz-sha256-removed", True, removed_sha256("forest.npz"), ("forest.npz'", "does not match the sha256")),
    ("model.joblib-sha256-removed", False, removed_sha256(JOBLIB), ("model.joblib'", "does not match the sha256")),
]


@pytest.mark.parametrize("compiled,tamper,expected", [c[1:] for c in METADATA_CASES], ids=[c[0] for c in METADATA_CASES])
def test_tampered_metadata_is_refused(tmp_path, compiled, tamper, expected):
    folder = model_copy(tmp_path / "model", compiled=compiled)
    tamper(folder)
    trust = () if compiled else ("--trust-model",)
    assert_refused(invoke(*ESTIMATE, "--model", str(folder), *trust), *expected)


# -- consistent forgeries: a file changed and its sha256 in metadata.json updated to match ----
#
# The sha256 catches damage and mix-ups; whoever can edit the folder can also update it. So the
# loader must refuse, not crash on, hang on or unpickle, whatever numeric arrays and JSON it
# is given.


@pytest.fixture(scope="module")
def shipped_forest():
    with np.load(SHIPPED / "forest.npz", allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    return arrays, json.loads((SHIPPED / "forest.json").read_text())


def _internal_node(arrays, k=0):
    """The k-th internal (non-leaf) node: its column (node_info's low byte) is not the leaves'."""
    leaf_column = len(arrays["n_bins"]) - 1
    return int(np.flatnonzero((arrays["node_info"] & 255) != leaf_column)[k])


def _first_step(arrays, node):
    """Where the node's table (its steps to the next node, per bin) starts."""
    return int(arrays["node_info"][node] >> 8)


def _edited(arrays, name, dtype=None):
    arrays[name] = arrays[name].astype(dtype or arrays[name].dtype)  # a writable copy
    return arrays[name]


def node_index_out_of_range(arrays, document, marker):
    _edited(arrays, "table")[_first_step(arrays, _internal_node(arrays))] = 255  # past the tree's last node


def child_loops_to_ancestor(arrays, document, marker):
    # Steps are unsigned (children come after their parent): a loop back needs a signed table.
    _edited(arrays, "table", np.int16)[_first_step(arrays, _internal_node(arrays, 3))] = -3


def child_is_itself(arrays, document, marker):
    _edited(arrays, "table")[_first_step(arrays, _internal_node(arrays))] = 0


def negative_feature_index(arrays, document, marker):
    _edited(arrays, "node_info")[_internal_node(arrays, 2)] = -1


def float_node_indices(arrays, document, marker):
    arrays["table"] = arrays["table"].astype(float) + 0.5


def node_arrays_of_different_lengths(arrays, document, marker):
    arrays["value"] = arrays["value"][:100]


def node_array_2d(arrays, document, marker):
    arrays["node_info"] = arrays["node_info"].reshape(-1, 2)


def categories_out_of_order(arrays, document, marker):
    values = _edited(arrays, "cat_values")
    values[arrays["cat_offsets"][1] : arrays["cat_offsets"][2]] = values[arrays["cat_offsets"][1] : arrays["cat_offsets"][2]][::-1].copy()


def leaf_masks_name_a_missing_tree(arrays, document, marker):
    _edited(arrays, "mask_trees")[-1] = 10**6


def nan_leaf_values(arrays, document, marker):
    arrays["value"] = np.full_like(arrays["value"], np.nan)


def missing_array(arrays, document, marker):
    del arrays["roots"]


def empty_background(arrays, document, marker):
    arrays["background"] = arrays["background"][:0]


def pickled_object_array(arrays, document, marker):
    # np.savez pickles an object array into the npz; np.load(allow_pickle=False) must refuse it.
    arrays["value"] = np.array([CreatesMarker(marker)] * len(arrays["value"]), dtype=object)


def pickle_instead_of_npz(arrays, document, marker):
    return pickle.dumps(CreatesMarker(marker))


def npy_instead_of_npz(arrays, document, marker):
    buffer = io.BytesIO()
    np.save(buffer, arrays["background"], allow_pickle=False)
    return buffer.getvalue()


def huge_declared_shape(arrays, document, marker):
    # A valid npz whose `value` header claims 10**12 float64 values (8 TB) over 16 bytes.
    huge = io.BytesIO()
    np.lib.format.write_array_header_1_0(huge, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    huge.write(b"\0" * 16)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, array in arrays.items():
            data = io.BytesIO()
            np.lib.format.write_array(data, array, allow_pickle=False)
            archive.writestr(f"{name}.npy", huge.getvalue() if name == "value" else data.getvalue())
    return out.getvalue()


def zip_bomb(arrays, document, marker):
    # 2.7 MB of deflated zeros that would inflate to a 600 MiB array.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, array in arrays.items():
            if name != "value":
                data = io.BytesIO()
                np.lib.format.write_array(data, array, allow_pickle=False)
                archive.writestr(f"{name}.npy", data.getvalue())
        with archive.open("value.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False, "shape": (600 << 17,)})
            zeros = bytes(4 << 20)
            for _ in range(150):
                member.write(zeros)
    return out.getvalue()


def json_n_models_huge(arrays, document, marker):
    document["n_models"] = 10**9  # a loop over "models" would run for hours


def json_n_models_four(arrays, document, marker):
    document["n_models"] = 4


def json_schema_column_out_of_range(arrays, document, marker):
    document["schema"]["groups_"]["country"] = [10_000]


def json_conformal_margins_missing(arrays, document, marker):
    document["conformal"] = {}


def json_not_an_object(arrays, document, marker):
    document.clear()
    document["__raw__"] = "[1, 2, 3]"


def json_deeply_nested(arrays, document, marker):
    document.clear()
    document["__raw__"] = "[" * 200_000 + "]" * 200_000


# (id, forgery, what the message must say: the file first). A forgery edits the arrays and
# the forest.json document in place, or returns the raw bytes of forest.npz.
INCONSISTENT = "forest.npz is inconsistent"
NEVER_UNPICKLED = "pickled (object) data, which mlsalary never loads"
FORGERIES = [
    ("npz-node-index-out-of-range", node_index_out_of_range, ("forest.npz", INCONSISTENT)),
    ("npz-child-loops-to-ancestor", child_loops_to_ancestor, ("forest.npz", "'table' is a 1-dimensional <i2 array")),
    ("npz-child-is-itself", child_is_itself, ("forest.npz", INCONSISTENT)),
    ("npz-negative-feature-index", negative_feature_index, ("forest.npz", INCONSISTENT)),
    ("npz-float-node-indices", float_node_indices, ("forest.npz", "'table' is a 1-dimensional <f8 array")),
    ("npz-node-arrays-of-different-lengths", node_arrays_of_different_lengths, ("forest.npz", "'value' has 100 entries, expected one per node")),
    ("npz-node-array-2d", node_array_2d, ("forest.npz", "'node_info' is a 2-dimensional <i4 array")),
    ("npz-categories-out-of-order", categories_out_of_order, ("forest.npz", INCONSISTENT)),
    ("npz-leaf-masks-name-a-missing-tree", leaf_masks_name_a_missing_tree, ("forest.npz", INCONSISTENT)),
    ("npz-nan-leaf-values", nan_leaf_values, ("forest.npz", INCONSISTENT)),
    ("npz-missing-array", missing_array, ("forest.npz", "no array 'roots'")),
    ("npz-empty-background", empty_background, ("forest.npz", "the background sample is empty")),
    ("npz-pickled-object-array", pickled_object_array, ("forest.npz'", NEVER_UNPICKLED)),
    ("npz-is-a-pickle", pickle_instead_of_npz, ("forest.npz'", "not an .npz archive")),
    ("npz-is-a-single-npy", npy_instead_of_npz, ("forest.npz'", "not an .npz archive")),
    ("npz-huge-declared-shape", huge_declared_shape, ("forest.npz'", "'value' declares 8000000000000 bytes of data, but holds 16")),
    ("npz-zip-bomb", zip_bomb, ("forest.npz'", "MiB, more than the 512 MiB allowed")),
    ("json-n-models-huge", json_n_models_huge, ("forest.json'", "n_models is 1000000000, expected 5")),
    ("json-n-models-four", json_n_models_four, ("forest.json'", "n_models is 4, expected 5")),
    ("json-schema-column-out-of-range", json_schema_column_out_of_range, ("forest.json", "column groups do not fit")),
    ("json-conformal-margins-missing", json_conformal_margins_missing, ("forest.json", "no conformal margins for the group 'all'")),
    ("json-not-an-object", json_not_an_object, ("forest.json'", "not a JSON object")),
    ("json-deeply-nested", json_deeply_nested, ("forest.json'", "maximum recursion depth")),
]


@pytest.mark.parametrize("forge,expected", [f[1:] for f in FORGERIES], ids=[f[0] for f in FORGERIES])
def test_consistent_forgery_is_refused_and_never_unpickled(tmp_path, shipped_forest, forge, expected):
    folder = model_copy(tmp_path / "model")
    marker = tmp_path / "unpickled"
    arrays, document = dict(shipped_forest[0]), json.loads(json.dumps(shipped_forest[1]))
    raw = forge(arrays, document, marker)
    if raw is not None:
        (folder / "forest.npz").write_bytes(raw)
    else:
        np.savez(folder / "forest.npz", **arrays)  # pickles object arrays, as an attacker would
    (folder / "forest.json").write_text(document.get("__raw__") or json.dumps(document))
    for name in COMPILED:
        pin_sha256(folder, name)
    line = assert_refused(invoke(*ESTIMATE, "--model", str(folder)), *expected)
    assert str(folder) in line and "does not match the sha256" not in line
    assert "unsafe" not in line  # numpy's own message advises loading a pickle unsafely
    assert not marker.exists(), "a pickle inside the compiled model was opened"


# The figure the README cites: "N tamper cases refused".
TAMPER_CASES = len(MATRIX) + len(METADATA_CASES) + len(FORGERIES)


def test_tamper_case_count():
    assert TAMPER_CASES == 5 * 3 + 11 + 23 == 49


def test_refused_by_batch_and_info_too(tmp_path):
    folder = model_copy(tmp_path / "model")
    path = folder / "forest.npz"
    path.write_bytes(flip_middle_byte(path.read_bytes()))
    assert_refused(invoke("batch", str(SAMPLE_CSV), "--model", str(folder)), f"'{path}'", "sha256")
    corrupt_metadata_json(folder)
    assert_refused(invoke("info", "--model", str(folder)), f"'{folder / 'metadata.json'}'", "cannot read")


# -- 2. the library and the shipped-model path ------------------------------------------------


def test_library_load_refuses_a_tampered_copy(tmp_path):
    folder = model_copy(tmp_path / "model")
    path = folder / "forest.json"
    path.write_bytes(truncate_to_half(path.read_bytes()))
    with pytest.raises(ModelError, match="forest.json' does not match the sha256"):
        load.load(folder)


@pytest.mark.parametrize("artifact", [*COMPILED, JOBLIB])
def test_shipped_model_path_checks_sha256_too(tmp_path, monkeypatch, artifact):
    # The shipped model needs no --trust-model, but its files are verified all the same.
    compiled = artifact != JOBLIB
    folder = model_copy(tmp_path / "model", compiled=compiled)
    path = folder / artifact
    path.write_bytes(flip_middle_byte(path.read_bytes()))
    for module in (format, load, store):  # every module that names the shipped folder
        monkeypatch.setattr(module, "shipped_model_dir", lambda: folder)
    with pytest.raises(ModelError) as raised:
        load.load() if compiled else store.load_trained()
    message = str(raised.value)
    assert f"'{path}' does not match the sha256" in message and "\n" not in message
    assert_refused(invoke(*ESTIMATE), f"'{path}'", "does not match the sha256")


# -- 3. scikit-learn versions -------------------------------------------------------------------


def test_joblib_from_another_sklearn_version_is_refused_with_retrain_hint(tmp_path):
    import sklearn

    folder = model_copy(tmp_path / "model", compiled=False)
    edit_metadata(folder, lambda m: m["versions"].__setitem__("scikit-learn", "0.0.1"))
    line = assert_refused(invoke(*ESTIMATE, "--model", str(folder), "--trust-model"))
    assert f"trained with scikit-learn 0.0.1 but {sklearn.__version__} is installed" in line
    assert "install scikit-learn==0.0.1 or retrain it with `mlsalary train --data DIR`" in line


def test_joblib_without_a_recorded_sklearn_version_is_refused(tmp_path):
    folder = model_copy(tmp_path / "model", compiled=False)
    edit_metadata(folder, lambda m: m["versions"].pop("scikit-learn"))
    assert_refused(invoke(*ESTIMATE, "--model", str(folder), "--trust-model"), "does not say which scikit-learn version", "model.joblib'")


def test_compiled_model_does_not_depend_on_the_sklearn_version(tmp_path):
    # The compiled form is plain numeric arrays and JSON evaluated by numpy (mlsalary/runtime/):
    # CompiledModel.load never imports scikit-learn nor reads metadata["versions"], and
    # store.load_trained checks the version: only the joblib path, where unpickling depends on
    # it. So a compiled folder whose metadata names another scikit-learn still loads, without
    # --trust-model, and gives exactly the shipped model's estimate.
    folder = model_copy(tmp_path / "model")
    edit_metadata(folder, lambda m: m["versions"].__setitem__("scikit-learn", "0.0.1"))
    result = invoke(*ESTIMATE, "--model", str(folder))
    assert result.exit_code == 0, result.output
    shipped = invoke(*ESTIMATE)
    assert json.loads(result.stdout)["range"] == json.loads(shipped.stdout)["range"]


# -- 4. untrusted pickles are never opened ------------------------------------------------------


def malicious_joblib_folder(folder: Path, marker: Path) -> Path:
    """A folder with only model.joblib, a pickle that creates `marker`, and a matching sha256."""
    model_copy(folder, compiled=False)
    (folder / JOBLIB).write_bytes(pickle.dumps(CreatesMarker(marker)))
    pin_sha256(folder, JOBLIB)
    return folder


def test_untrusted_joblib_folder_is_refused_without_opening_the_pickle(tmp_path):
    marker = tmp_path / "unpickled"
    folder = malicious_joblib_folder(tmp_path / "model", marker)
    line = assert_refused(invoke(*ESTIMATE, "--model", str(folder)), f"refusing to load '{folder}'")
    assert "unpickling runs code" in line and "--trust-model" in line
    assert not marker.exists()


def test_trusted_joblib_is_opened_and_a_non_model_is_refused(tmp_path):
    # The control: with --trust-model the same pickle is opened (the marker appears), so the
    # test above would see an unpickling; what it unpickles to is refused, not used.
    marker = tmp_path / "unpickled"
    folder = malicious_joblib_folder(tmp_path / "model", marker)
    assert_refused(invoke(*ESTIMATE, "--model", str(folder), "--trust-model"), "model.joblib' does not hold an mlsalary model")
    assert marker.exists()


def test_compiled_folder_never_opens_its_joblib_even_when_trusted(tmp_path):
    marker = tmp_path / "unpickled"
    folder = model_copy(tmp_path / "model")
    (folder / JOBLIB).write_bytes(pickle.dumps(CreatesMarker(marker)))
    pin_sha256(folder, JOBLIB)
    result = invoke(*ESTIMATE, "--model", str(folder), "--trust-model")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["range"]["p50"] > 0
    assert not marker.exists()


# -- 5. no network --------------------------------------------------------------------------------


class NetworkUsed(AssertionError):
    pass


def _no_network(*args, **kwargs):
    raise NetworkUsed("network access attempted")


@pytest.fixture
def no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", _no_network)
    monkeypatch.setattr(socket, "create_connection", _no_network)
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    with pytest.raises(NetworkUsed):  # the block is in place
        socket.create_connection(("127.0.0.1", 9))


NETWORK_FREE = {
    "estimate": ("estimate", "--country", "Germany"),
    "estimate-json-offer-what-if": ("estimate", "--country", "Germany", "--json", "--offer", "150k", "--what-if", "remote=remote"),
    "batch": ("batch", str(SAMPLE_CSV)),
    "options": ("options",),
    "info": ("info",),
}


@pytest.mark.parametrize("args", NETWORK_FREE.values(), ids=NETWORK_FREE.keys())
def test_commands_work_with_the_network_blocked(no_network, args):
    result = invoke(*args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()


SITECUSTOMIZE = '''
import socket

class _NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        raise OSError("network blocked by the test's sitecustomize")

def _blocked(*args, **kwargs):
    raise OSError("network blocked by the test's sitecustomize")

socket.socket = _NoSocket
socket.create_connection = _blocked
socket.getaddrinfo = _blocked
'''


def mlsalary_command() -> list[str]:
    entry = Path(sys.executable).with_name("mlsalary")
    return [str(entry)] if entry.is_file() else [sys.executable, "-m", "mlsalary"]


def test_entry_point_works_with_sockets_blocked_from_startup(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1", "OMP_NUM_THREADS": "1"}
    control = subprocess.run([sys.executable, "-c", "import socket; socket.socket()"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert control.returncode != 0 and "network blocked by the test's sitecustomize" in control.stderr
    for args in (ESTIMATE, ("batch", str(SAMPLE_CSV))):
        result = subprocess.run(mlsalary_command() + list(args), capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() and "Traceback" not in result.stderr


# -- 6. nothing written except where asked ---------------------------------------------------------


def test_estimate_and_batch_write_no_file(tmp_path):
    dirs = {name: tmp_path / name for name in ("cwd", "home", "cache", "config", "data", "state", "tmp")}
    for folder in dirs.values():
        folder.mkdir()
    env = {
        **os.environ,
        "HOME": str(dirs["home"]),
        "XDG_CACHE_HOME": str(dirs["cache"]),
        "XDG_CONFIG_HOME": str(dirs["config"]),
        "XDG_DATA_HOME": str(dirs["data"]),
        "XDG_STATE_HOME": str(dirs["state"]),
        "TMPDIR": str(dirs["tmp"]),
        "NO_COLOR": "1",
        "OMP_NUM_THREADS": "1",
    }
    for args in (ESTIMATE, ("estimate", "--country", "US", "--offer", "150k"), ("batch", str(SAMPLE_CSV))):
        result = subprocess.run(mlsalary_command() + list(args), capture_output=True, text=True, env=env, cwd=dirs["cwd"], timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip()
    written = {name: sorted(p.name for p in folder.rglob("*")) for name, folder in dirs.items()}
    assert written == {name: [] for name in dirs}


@pytest.mark.parametrize("metadata", [{}, {"model_version": "x", "artifacts": {}}], ids=["empty", "no-card"])
def test_info_on_metadata_without_a_model_card_is_a_model_error(tmp_path, metadata):
    (tmp_path / "metadata.json").write_text(json.dumps(metadata))
    result = runner.invoke(app, ["info", "--model", str(tmp_path)])
    assert result.exit_code == MODEL_EXIT
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert "lacks the model card" in result.stderr and "mlsalary train" in result.stderr
