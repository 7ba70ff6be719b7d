"""Training: a data folder in, a verified model folder out (docs/architecture.md).

Nothing is imported here; the query path (runtime/, the answers, cli/) never needs this package
except to open a trained pickle that was not compiled (train/store.py).
"""
