"""Opening a model folder at query time: the compiled form, verified, with its metadata.

A folder that holds only the trained pickle (model.joblib, no compiled files) is not opened
here: unpickling needs the training code, so the answers layer opens it through
train/store.py's load_trained, and only for the shipped model or a trusted folder.
"""

from __future__ import annotations

from pathlib import Path

from mlsalary.runtime.format import COMPILED_FILES, ModelMetadata, read_metadata, shipped_model_dir


def is_compiled(metadata: ModelMetadata) -> bool:
    """Whether a folder's metadata lists its compiled files (forest.npz, forest.json)."""
    artifacts = metadata.get("artifacts", {})
    return all(name in artifacts for name in COMPILED_FILES)


def load(directory: str | Path | None = None, metadata: ModelMetadata | None = None):
    """The CompiledModel of a model folder (the shipped one by default) and its metadata.

    The folder must hold compiled files (see is_compiled); their sha256 are verified. The
    shipped folder, once its sha256 match, skips the structure checks (runtime/compiled_model.py).
    """
    from mlsalary.runtime.compiled_model import CompiledModel

    shipped = directory is None
    folder = shipped_model_dir() if directory is None else Path(directory)
    metadata = read_metadata(folder) if metadata is None else metadata
    return CompiledModel.load(folder, artifacts=metadata.get("artifacts", {}), shipped=shipped), metadata
