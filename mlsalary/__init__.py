"""mlsalary: honest, explained compensation ranges for machine-learning engineers.

    >>> from mlsalary import Estimator, Profile

The public names (docs/usage.md, "The Python API"):

- `Estimator`: a loaded model; `estimate`, `estimate_frame`, `what_if`, `conversion`.
- `Estimate`: what `Estimator.estimate` answers for one profile.
- `Profile`: a validated set of factors.
- `FACTORS`: the model's factors, in display order (the keyword fields and batch columns).
- `InputError`: a value that cannot be read; its message names the field.
- `MlsalaryWarning`: the warning the library's notes are given as.
- `__version__`: this package's version.

They load on first use, so that `mlsalary --help` does not pay for numpy.
"""

# The only place the version is written: pyproject.toml reads it (dynamic = ["version"]).
__version__ = "0.1.0"

__all__ = ["FACTORS", "Estimate", "Estimator", "InputError", "MlsalaryWarning", "Profile", "__version__"]


def __getattr__(name: str):
    if name in ("FACTORS", "Profile"):
        from mlsalary import profile

        return getattr(profile, name)
    if name in ("Estimate", "Estimator"):
        from mlsalary import estimates

        return getattr(estimates, name)
    if name in ("InputError", "MlsalaryWarning"):
        from mlsalary import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'mlsalary' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The public names load on first use; dir() and completion still list them.
    return sorted({*globals(), *__all__})
