"""The `mlsalary` command line: a thin layer over the library (estimates, batch, training).

Data goes to stdout, messages and progress to stderr. Every failure ends with a one-line
message and an ExitStatus, never a traceback.

The modules are listed in docs/architecture.md (the command modules: estimate.py for estimate
and batch, explore.py for compare, trend and figures, info.py for options and info,
training.py for train and evaluate).

Add a command in the module of its kind (or a new one imported below): `@app.command`, and
the shared decorators `profile_options` (the registry's factors) and `output_options`.
"""

from mlsalary.cli.app import _complete, app, get_env, main

# Importing a command module registers its commands, in this order in `mlsalary --help`: the
# questions people ask first, then the model's card, then training (for developers).
from mlsalary.cli import estimate, explore, info, training  # noqa: E402, F401  isort: skip

__all__ = ["_complete", "app", "get_env", "main"]
