"""The `mlsalary` command line: a thin layer over the library (estimates, batch, training).

Data goes to stdout, messages and progress to stderr. Every failure ends with a one-line
message and an ExitStatus, never a traceback.

    app.py       the Typer app, errors, Environment, shared options, entry point `main`
                 (the console script, mlsalary/__main__.py, readies the process and calls it)
    estimate.py  estimate, batch
    info.py      options, info
    training.py  train, evaluate
    explore.py   compare, trend, figures

Add a command in the module of its kind (or a new one imported below): `@app.command`, and
the shared decorators `profile_options` (the registry's factors) and `output_options`.
"""

from mlsalary.cli.app import _complete, app, get_env, main

# Importing a command module registers its commands, in this order in `mlsalary --help`.
from mlsalary.cli import estimate, info, training, explore  # noqa: E402, F401  isort: skip

__all__ = ["_complete", "app", "get_env", "main"]
