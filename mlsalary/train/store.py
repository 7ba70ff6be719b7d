"""Writing a model folder (and opening a trained model's pickle): the train-time half of the
model folder format; the query-time half is runtime/load.py.

A model folder holds `model.joblib` (the fitted SalaryModel, the source of truth),
`forest.npz` + `forest.json` (the same model compiled to plain arrays: see runtime/) and
`metadata.json` with the sha256 of each (the format and its versions: runtime/format.py).
A folder is written whole or not at all (see save).
Queries load the compiled form (runtime/load.py): no unpickling and no scikit-learn import, so
loading is fast and a model folder is data, not code. A folder with only `model.joblib` is
unpickled (load_trained) only if it is the shipped one or the user trusts it, after its sha256
and scikit-learn version are checked.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from mlsalary.errors import ModelError, OutputError
from mlsalary.runtime.format import (
    COMPILED_FILES, FORMAT_VERSION, METADATA_FILE, MODEL_FILE, RETRAIN_HINT, UNTRUSTED, ModelMetadata, artifact, file_sha256,
    one_line, read_metadata, shipped_model_dir,
)
# Optional data files a model folder may carry, listed with their sha256 in the artifacts like
# the model files: the OEWS location table (see locations.py).
DATA_FILES = ("locations.json",)


def check_output_dir(directory: str | Path) -> Path:
    """The folder a model may be saved to: a new or empty folder, or a model folder to replace.

    Returns the real path (symbolic links resolved). Anything else is refused before a long
    training run rather than after it: replacing it would take other files with it.
    """
    target = Path(directory).resolve()
    if not os.path.lexists(target):
        return target
    if not target.is_dir():
        raise OutputError(f"cannot write the model to '{directory}': it exists and is not a folder")
    if not (target / METADATA_FILE).is_file() and any(target.iterdir()):
        raise OutputError(
            f"cannot write the model to '{directory}': the folder holds other files and no model "
            f"({METADATA_FILE}); give a new or empty folder, or a model folder to replace"
        )
    return target


def save(model, directory: str | Path, metadata: ModelMetadata, files: dict[str, bytes] | None = None) -> ModelMetadata:
    """Write a model folder atomically and return its metadata.

    The files are written into a temporary sibling folder, which then takes the place of
    `directory` in one rename: an interrupted or failed save leaves the previous model (or no
    folder) as it was, never a mix of old and new files. Other files of the previous folder
    (models/__init__.py of the shipped package) are carried over. `files` are data files
    (DATA_FILES) written beside the model and listed in the artifacts.
    """

    def write(folder: Path) -> ModelMetadata:
        import joblib

        joblib.dump(model, folder / MODEL_FILE, compress=3)
        return _write_rest(model, folder, metadata, files or {})

    return _staged(directory, write)


def recompile(directory: str | Path | None = None, *, trusted: bool = False) -> ModelMetadata:
    """Rewrite a model folder's compiled files in this mlsalary's format, from its model.joblib.

    The same model, no retrain: model.joblib and the data files are kept byte for byte (so the
    model_version stays), forest.npz and forest.json are exported again (train/export.py),
    and metadata.json gets the current format version and their sha256. Atomic, like save.
    Without `directory`, the shipped model (models/ in a checkout).
    """
    model, metadata = load_trained(directory, trusted=trusted)
    folder = shipped_model_dir() if directory is None else Path(directory)
    artifacts = metadata.get("artifacts", {})
    files = {}
    for name in DATA_FILES:
        if name in artifacts:
            files[name] = (folder / name).read_bytes()
            if hashlib.sha256(files[name]).hexdigest() != artifacts[name].get("sha256"):
                raise ModelError(f"'{folder / name}' does not match the sha256 in its metadata (modified or truncated); {RETRAIN_HINT}")

    def write(staging: Path) -> ModelMetadata:
        shutil.copyfile(folder / MODEL_FILE, staging / MODEL_FILE)
        return _write_rest(model, staging, metadata, files)

    return _staged(folder, write)


def _staged(directory: str | Path, write) -> ModelMetadata:
    """Run write(staging folder), then put the staging folder in the place of `directory`."""
    target = check_output_dir(directory)
    import secrets  # only a model being written needs it

    # The process id in the name tells a later run whether the writer is still alive.
    staging = target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.partial"
    _remove_stale(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        metadata = write(staging)
        if target.is_dir():
            _carry_over(target, staging)
            os.chmod(staging, target.stat().st_mode & 0o7777)
        _replace_dir(staging, target)
    except OSError as error:
        reason = error.strerror or one_line(error)
        raise OutputError(f"cannot write the model to '{directory}': {reason}; '{directory}' was left as it was") from None
    finally:
        # After the swap it holds the previous model; after a failure, the partial new one.
        shutil.rmtree(staging, ignore_errors=True)
    return metadata


def _remove_stale(target: Path) -> None:
    """Remove the staging folders an interrupted run left beside `target` (killed while
    training: nothing else removes them), unless their writer is still running. Only when
    `target` exists: a crash between the two renames of _replace_dir leaves the previous model
    in a staging folder, then its only copy."""
    import glob

    if not target.is_dir():
        return
    for entry in target.parent.glob(f".{glob.escape(target.name)}.*.partial*"):
        middle = entry.name[len(target.name) + 2 :].split(".", 1)[0]
        pid = middle.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and _running(int(pid)):
            continue  # another training is writing it now
        shutil.rmtree(entry, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def _write_rest(model, folder: Path, metadata: ModelMetadata, files: dict[str, bytes]) -> ModelMetadata:
    """Beside model.joblib in `folder`: the compiled files, the data files and metadata.json."""
    from mlsalary.train import export

    metadata = cast(ModelMetadata, {"format_version": FORMAT_VERSION, **metadata})
    metadata["format_version"] = FORMAT_VERSION  # first in the file, whatever was passed
    metadata["artifacts"] = {MODEL_FILE: artifact(folder / MODEL_FILE)}
    metadata["artifacts"].update(export.export(model, folder))
    for name, content in files.items():
        (folder / name).write_bytes(content)
        metadata["artifacts"][name] = artifact(folder / name)
    metadata["model_version"] = metadata["artifacts"][MODEL_FILE]["sha256"][:12]
    (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=False) + "\n")
    return metadata


def _carry_over(old: Path, new: Path) -> None:
    for entry in old.iterdir():
        if entry.name in (MODEL_FILE, *COMPILED_FILES, METADATA_FILE, *DATA_FILES):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, new / entry.name, follow_symlinks=False)


def _replace_dir(new: Path, target: Path) -> None:
    """Put folder `new` at `target`; the previous `target` folder, if any, ends up at `new`."""
    if not os.path.lexists(target):
        os.rename(new, target)
    elif not _exchange(new, target):
        # No atomic exchange here: two renames. A crash between them leaves the previous model
        # in the `.partial` sibling folder and none at `target`.
        aside = new.with_name(new.name + ".old")
        os.rename(target, aside)
        try:
            os.rename(new, target)
        except OSError:
            os.rename(aside, target)
            raise
        os.rename(aside, new)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 with RENAME_EXCHANGE). False where
    the system or the file system lacks it."""
    try:
        import ctypes

        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError, TypeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def load_trained(directory: str | Path | None = None, *, trusted: bool = False):
    """Verify and unpickle a model folder's SalaryModel (model.joblib). Returns (model, metadata).

    Unpickling runs code: only the shipped model, or a folder with trusted=True, is opened, and
    only after its sha256 and scikit-learn version are checked. Queries load the compiled form
    instead (runtime/load.py).
    """
    shipped = directory is None
    folder = shipped_model_dir() if directory is None else Path(directory)
    metadata = read_metadata(folder)
    artifacts = metadata.get("artifacts", {})
    if not shipped and not trusted:
        raise ModelError(UNTRUSTED.format(folder=folder))
    path = folder / MODEL_FILE
    entry = artifacts.get(MODEL_FILE)
    expected = entry.get("sha256") if entry else None
    if not path.is_file():
        raise ModelError(f"model file '{path}' is missing; {RETRAIN_HINT}")
    if expected is None or file_sha256(path) != expected:
        raise ModelError(
            f"model file '{path}' does not match the sha256 in its metadata (modified or truncated); "
            f"reinstall mlsalary or {RETRAIN_HINT}"
        )
    import sklearn

    trained_with = metadata.get("versions", {}).get("scikit-learn")
    if trained_with is None:
        raise ModelError(f"'{folder / METADATA_FILE}' does not say which scikit-learn version made '{path}'; {RETRAIN_HINT}")
    if trained_with != sklearn.__version__:
        raise ModelError(
            f"the model was trained with scikit-learn {trained_with} but {sklearn.__version__} is "
            f"installed; install scikit-learn=={trained_with} or {RETRAIN_HINT}"
        )
    import joblib

    with warnings.catch_warnings(), _moved_modules():
        warnings.simplefilter("error")  # an InconsistentVersionWarning must not pass silently
        try:
            model = joblib.load(path)
        except Exception as error:  # a damaged pickle can raise nearly anything
            raise ModelError(f"cannot load '{path}': {one_line(error)}; {RETRAIN_HINT}") from None
    from mlsalary.train.salary_model import SalaryModel

    if not isinstance(model, SalaryModel):
        raise ModelError(f"'{path}' does not hold an mlsalary model (it holds a {type(model).__name__}); {RETRAIN_HINT}")
    return model, metadata


# A pickle names each class by the module that defined it when it was saved. Models saved before
# the package took its train/ and runtime/ folders (mlsalary 0.1.0, format version 2, the
# shipped model among them) name these modules; each is read as the module that now defines the
# same class. A module moved again is added here, never removed while such folders load.
MOVED_MODULES = {
    "mlsalary.model": "mlsalary.train.salary_model",
    "mlsalary.features": "mlsalary.runtime.features",
    "mlsalary.quantiles": "mlsalary.runtime.quantiles",
}


@contextmanager
def _moved_modules():
    """While a pickle loads, the old module names stand for the modules now defining the classes."""
    import importlib
    import sys

    added = [old for old in MOVED_MODULES if old not in sys.modules]
    for old in added:
        sys.modules[old] = importlib.import_module(MOVED_MODULES[old])
    try:
        yield
    finally:
        for old in added:
            sys.modules.pop(old, None)
