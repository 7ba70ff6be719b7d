"""mlsalary: honest, explained compensation ranges for machine-learning engineers."""

__version__ = "0.1.0"

from mlsalary.profile import FACTORS, Profile  # noqa: E402
from mlsalary.estimates import Estimate, Estimator  # noqa: E402

__all__ = ["FACTORS", "Estimate", "Estimator", "Profile", "__version__"]
