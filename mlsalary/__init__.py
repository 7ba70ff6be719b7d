"""mlsalary: honest, explained compensation ranges for machine-learning engineers.

    >>> from mlsalary import Estimator, Profile

The public names load on first use, so that `mlsalary --help` does not pay for numpy.
"""

# The only place the version is written: pyproject.toml reads it (dynamic = ["version"]).
__version__ = "0.1.0"

__all__ = ["FACTORS", "Estimate", "Estimator", "Profile", "__version__"]


def __getattr__(name: str):
    if name in ("FACTORS", "Profile"):
        from mlsalary import profile

        return getattr(profile, name)
    if name in ("Estimate", "Estimator"):
        from mlsalary import estimates

        return getattr(estimates, name)
    raise AttributeError(f"module 'mlsalary' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The public names load on first use; dir() and completion still list them.
    return sorted({*globals(), *__all__})
