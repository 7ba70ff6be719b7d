"""The core library: estimate a compensation range for a Profile, usable without the CLI.

    >>> from mlsalary import Estimator, Profile
    >>> estimator = Estimator.load()                                # the shipped model
    >>> profile = Profile.from_mapping({"country": "Germany", "experience": 5})
    >>> result = estimator.estimate(profile)
    >>> result.quantiles["p50"], result.contributions["country"]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from mlsalary import explanations, persistence
from mlsalary.profile import FACTORS, Profile

QUANTILE_NAMES = ("p10", "p25", "p50", "p75", "p90")


@dataclass
class Estimate:
    profile: Profile
    quantiles: dict[str, float]
    contributions: dict[str, float] | None
    baseline: float | None
    estimates: str  # what the figures are, e.g. "annual total compensation, USD, ..."
    model_version: str

    unmodelled_skills: tuple[str, ...] = ()  # given, but too rare in the data to learn from

    @property
    def unknown_factors(self) -> list[str]:
        return self.profile.unknown_factors

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "estimates": self.estimates,
            "currency": "USD",
            "range": {name: round(value) for name, value in self.quantiles.items()},
            "median": round(self.quantiles["p50"]),
            "profile": self.profile.as_dict(),
            "unknown_factors": self.unknown_factors,
            "unmodelled_skills": list(self.unmodelled_skills),
        }
        if self.contributions is not None:
            out["baseline"] = round(self.baseline)
            out["contributions"] = {name: round(value) for name, value in self.contributions.items()}
        out["model_version"] = self.model_version
        return out


class Estimator:
    """A loaded model with its metadata; cheap to call many times."""

    def __init__(self, model, metadata: dict[str, Any]):
        self.model = model
        self.metadata = metadata

    @classmethod
    def load(cls, directory=None, *, trusted: bool = False) -> "Estimator":
        return cls(*persistence.load(directory, trusted=trusted))

    @property
    def describes(self) -> str:
        return self.metadata.get("estimates", "annual total compensation, USD")

    @property
    def version(self) -> str:
        return self.metadata.get("model_version", "unknown")

    def estimate(self, profile: Profile, *, explain: bool = True) -> Estimate:
        x = self.model.schema_.encode_profiles([profile])
        quantiles = dict(zip(QUANTILE_NAMES, self.model.predict(x)[0].tolist()))
        contributions = baseline = None
        if explain:
            contributions, baseline = explanations.contributions(self.model, x[0])
        modelled = set(self.model.schema_.skills_)
        unmodelled = tuple(s for s in profile.skills or () if s not in modelled)
        return Estimate(profile, quantiles, contributions, baseline, self.describes, self.version, unmodelled)

    def quantiles_many(self, profiles: Sequence[Profile]) -> np.ndarray:
        """Quantiles (n, 5) in USD for many profiles at once (batch mode)."""
        if not profiles:
            return np.empty((0, len(QUANTILE_NAMES)))
        return self.model.predict(self.model.schema_.encode_profiles(list(profiles)))


__all__ = ["Estimate", "Estimator", "FACTORS", "QUANTILE_NAMES"]
