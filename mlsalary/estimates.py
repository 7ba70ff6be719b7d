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

from mlsalary import explanations, negotiation
from mlsalary.errors import InputError
from mlsalary.factors import FACTORS
from mlsalary.profile import Profile
from mlsalary.runtime.quantiles import QUANTILE_NAMES
from mlsalary.runtime.format import ModelMetadata

# Below this many training respondents with the same country and role, a range rests on thin
# data and the output says so.
THIN_SUPPORT = 30
# The added columns of estimate_frame that are not amounts (Float64: p10..p90, the offer's
# percentile, the baseline and the contributions).
_COLUMN_TYPES = {"support": "Int64", "thin": "boolean", "error": "string", "currency": "string", "per": "string", "readings": "string"}
# A role that is not given is not assumed: the range covers every role in the data.
ROLE_NOT_GIVEN = (
    "Role not given: this range covers every role in the survey data, most of them software "
    "developers; give a role (e.g. --role ml-engineer) for an ML engineer's range."
)


@dataclass
class Estimate:
    """What an estimate answers for one profile: the range (`quantiles` p10..p90 and its
    `median`), the factors' `contributions` to the median with their `baseline` (the estimate
    when nothing is known; None without explain), the training respondents behind it
    (`support`, `thin_support`), and the figures' `currency`. `to_dict()` is `estimate --json`."""

    profile: Profile
    quantiles: dict[str, float]
    contributions: dict[str, float] | None
    baseline: float | None
    estimates: str  # what the figures are, e.g. "annual total compensation, USD, ..."
    model_version: str

    unmodelled_skills: tuple[str, ...] = ()  # given, but too rare in the data to learn from
    support: int | None = None  # training respondents with the same country and role
    offer: float | None = None
    offer_percentile: float | None = None
    reference: dict[str, Any] | None = None  # the survey and year the figures are stated for
    location: Any = None  # locations.Adjustment applied to the US range, when a US location is given
    location_source: dict[str, Any] | None = None  # the OEWS file it came from (locations.json "source")
    level: Any = None  # ladder.Step applied to a senior's range, for a level above senior
    conversion: Any = None  # a currency.Conversion when the figures are in another currency
    pooled: str | None = None  # the reading when the country has no term of its own (pooled_reading)

    @property
    def currency(self) -> str:
        return "USD" if self.conversion is None else self.conversion.code

    def in_currency(self, conversion) -> "Estimate":
        """The same estimate stated in conversion.code per conversion.per (the offer, already
        in that currency when given with --currency, is stated back in it)."""
        from dataclasses import replace

        scale = conversion  # USD per year -> currency per period
        return replace(
            self,
            quantiles={k: scale(v) for k, v in self.quantiles.items()},
            contributions=None if self.contributions is None else {k: scale(v) for k, v in self.contributions.items()},
            baseline=None if self.baseline is None else scale(self.baseline),
            offer=None if self.offer is None else scale(self.offer),
            conversion=conversion,
        )

    @property
    def median(self) -> float:
        """The median (p50), in the estimate's currency."""
        return self.quantiles["p50"]

    @property
    def thin_support(self) -> bool:
        return self.support is not None and self.support < THIN_SUPPORT

    @property
    def offer_summary(self) -> str | None:
        if self.offer is None:
            return None
        return negotiation.offer_sentence(self.offer, self.offer_percentile, self.quantiles["p50"], self.reference)  # type: ignore[arg-type]

    @property
    def unknown_factors(self) -> list[str]:
        return self.profile.unknown_factors

    @property
    def role_note(self) -> str | None:
        """The one role policy of estimate, batch and the library: not given means any role."""
        return ROLE_NOT_GIVEN if self.profile.role is None else None

    def to_dict(self) -> dict[str, Any]:
        per = "year" if self.conversion is None else self.conversion.per
        stated = "" if self.conversion is None else f"; stated in {self.currency} per {per}"
        out: dict[str, Any] = {
            "estimates": self.estimates + stated,
            "reference": self.reference,
            "currency": self.currency,
            "per": per,
            "range": {name: round(value) for name, value in self.quantiles.items()},
            "median": round(self.quantiles["p50"]),
            "profile": self.profile.as_dict(),
            "unknown_factors": self.unknown_factors,
            "role_note": self.role_note,
            "unmodelled_skills": list(self.unmodelled_skills),
            "readings": list(self.profile.readings) + ([self.pooled] if self.pooled else []),
            "pooled": self.pooled is not None,
            "support": {"rows": self.support, "basis": "training respondents with the same country and role", "thin": self.thin_support},
        }
        if self.level is not None:
            out["level"] = self.level.as_dict()
        if self.location is not None:
            out["location"] = self.location.as_dict(self.location_source or {})
        if self.offer is not None:
            out["offer"] = round(self.offer)
            out["offer_percentile"] = self.offer_percentile
            out["offer_summary"] = self.offer_summary
        if self.contributions is not None:
            # Only given factors are players; the baseline is the estimate when nothing is known.
            out["baseline"] = round(self.baseline)  # type: ignore[arg-type]
            out["contributions"] = {name: round(value) for name, value in self.contributions.items()}
        if self.conversion is not None:
            out["conversion"] = self.conversion.as_dict()
        out["model_version"] = self.model_version
        return out


def _by_factor(fields: dict[str, Any]) -> dict[str, Any]:
    """estimate()'s keyword fields by the factor each names (factors.KEYWORDS)."""
    from mlsalary.factors import KEYWORDS

    out: dict[str, Any] = {}
    for keyword, value in fields.items():
        name = KEYWORDS.get(keyword)
        if name is None:
            raise TypeError(f"estimate() got an unexpected keyword argument {keyword!r}; the fields are: {', '.join(KEYWORDS)}")
        if name in out:
            given = [k for k in fields if KEYWORDS.get(k) == name]
            raise TypeError(f"estimate() got {name} twice ({', '.join(given)}); give one")
        out[name] = value
    return out


class Estimator:
    """A loaded model with its metadata; cheap to call many times."""

    thin_below = THIN_SUPPORT  # support under this many respondents is thin

    def __init__(self, model, metadata: ModelMetadata, locations: Any = None, folder=None):
        self.model = model
        self.metadata = metadata
        self._locations = locations  # locations.Table (locations.json), or None: no US locations
        self._folder = folder  # where locations.json is read from, on first use, when not given

    @classmethod
    def load(cls, directory=None, *, trusted: bool = False) -> "Estimator":
        from pathlib import Path

        from mlsalary.runtime import format, load

        folder = format.shipped_model_dir() if directory is None else Path(directory)
        metadata = format.read_metadata(folder)
        if load.is_compiled(metadata):
            model, metadata = load.load(directory, metadata)
        else:  # a trained model not yet compiled: its pickle, for the shipped or a trusted folder
            from mlsalary.train.store import load_trained  # (refuses an untrusted folder)

            model, metadata = load_trained(directory, trusted=trusted)
        return cls(model, metadata, folder=folder)

    @property
    def locations(self):
        """The model folder's location table, read and checked against its sha256 on first use
        (only a query with a US location needs it); None when the model has none."""
        if self._locations is None and self._folder is not None:
            from mlsalary.locations import Table

            self._locations = Table.load(self._folder, self.metadata.get("artifacts", {}))
            self._folder = None
        return self._locations

    def adjustment(self, profile: Profile):
        """The location's relative wage difference (locations.Adjustment), or None."""
        if profile.location is None:
            return None
        if self.locations is None:
            from mlsalary.errors import InputError
            from mlsalary.locations import NO_TABLE

            raise InputError("location", NO_TABLE)
        return self.locations.adjustment(profile.location, profile.role)

    def level_step(self, profile: Profile):
        """The step of a level above senior (ladder.Step), or None."""
        from mlsalary import ladder

        return ladder.step(self.metadata, profile.seniority)  # type: ignore[arg-type]

    def seniority_ladder(self) -> list[str]:
        """The seniority values this model answers, low to high: the levels above senior only
        where its metadata holds their step."""
        from mlsalary import taxonomy

        from mlsalary import ladder

        stepped = ladder.steps(self.metadata)  # type: ignore[arg-type]
        return [v for v in taxonomy.FACTOR_VALUES["seniority"] if v not in taxonomy.above_senior() or v in stepped]

    def ratio(self, profile: Profile) -> float:
        """What multiplies the model's range: a level above senior's step and a US place's ratio."""
        return self._multipliers(profile)[2]

    def _multipliers(self, profile: Profile):
        """(the level's step or None, the place's adjustment or None, their product)."""
        step, adjustment = self.level_step(profile), self.adjustment(profile)
        return step, adjustment, (1.0 if step is None else step.ratio) * (1.0 if adjustment is None else adjustment.ratio)

    def conversion(self, currency: str | None = None, per: str = "year"):
        """The currency.Conversion that states this model's yearly USD figures in `currency`
        per `per` ("year" or "month"), at the mean ECB rate of the reference survey's year;
        None for USD per year. What `--currency` and `--per` mean in every command."""
        if currency is None and per == "year":
            return None
        from mlsalary import currency as currency_module  # its rate tables only when asked

        year = int((self.metadata.get("reference") or {}).get("year", 2025))
        return currency_module.conversion(currency or "USD", year, per)

    @property
    def describes(self) -> str:
        return self.metadata.get("estimates", "annual total compensation, USD")

    @property
    def version(self) -> str:
        return self.metadata.get("model_version", "unknown")

    def estimate(self, profile: Profile | None = None, *, explain: bool = True, offer: float | None = None, **fields: Any) -> Estimate:
        """The estimate for a Profile, or for fields as `estimate` and `batch` read them:
        `estimator.estimate(experience="6 years", role="Senior ML Engineer", location="Austin, TX")`.

        The fields are the options of `mlsalary estimate` and their aliases, as Python names
        (years_coding, yoe, level, degree, title, skill, city ...; factors.KEYWORDS); another
        keyword is a TypeError, a bad value an InputError naming every bad field. `offer` is
        yearly USD."""
        if profile is None:
            profile = Profile.from_mapping(_by_factor(fields))
        elif fields:
            raise TypeError("give a Profile or fields, not both")
        x = self.model.schema_.encode_profiles([profile])
        step, adjustment, ratio = self._multipliers(profile)
        quantiles = dict(zip(QUANTILE_NAMES, (q * ratio for q in self.model.predict(x)[0].tolist())))
        contributions = baseline = None
        if explain:
            contributions, baseline = self.explain(profile, x[0])
        modelled = set(self.model.schema_.skills_)
        unmodelled = tuple(s for s in profile.skills or () if s not in modelled)
        percentile = None if offer is None else negotiation.offer_percentile(list(quantiles.values()), offer)
        return Estimate(
            profile, quantiles, contributions, baseline, self.describes, self.version, unmodelled,
            self.support(profile), offer, percentile, self.metadata.get("reference"),
            adjustment, None if adjustment is None else self.locations.source, step,
            pooled=self.pooled_reading(profile.country),
        )

    def pooled_reading(self, country: str | None) -> str | None:
        """For a country the model has no term of its own for (too few respondents), the
        reading that says it is estimated with the other such countries; else None."""
        if country is None or country in self.model.schema_.vocab_["country"]:
            return None
        from mlsalary.profile import pooled_reading

        return pooled_reading(country)

    def explain(self, profile: Profile, x: np.ndarray | None = None) -> tuple[dict[str, float], float]:
        """Contributions (USD) of each given factor to the median, and the baseline (the
        estimate when nothing is known). A given factor the model cannot use (e.g. only
        unmodelled skills) contributes 0; factors not given are absent.

        A level above senior adds its step to the seniority row (the model estimates a senior),
        and a US location is its own last row, "location": the adjusted median minus the median
        before it, so the baseline and the contributions still add up to the (adjusted) median."""
        if x is None:
            x = self.model.schema_.encode_profiles([profile])[0]
        return self._explained(profile, *explanations.contributions(self.model, x))

    def explain_many(self, profiles: list[Profile]) -> list[tuple[dict[str, float], float]]:
        """explain() for many profiles, the same numbers, with the model queried once per group
        of profiles that give the same factors."""
        if not profiles:
            return []
        X = self.model.schema_.encode_profiles(profiles)
        return [self._explained(p, *found) for p, found in zip(profiles, explanations.contributions_many(self.model, X))]

    def _explained(self, profile: Profile, found: dict[str, float], baseline: float) -> tuple[dict[str, float], float]:
        given = [name for name in FACTORS if getattr(profile, name) is not None]
        out = {name: found.get(name, 0.0) for name in given}
        step = self.level_step(profile)
        if step is not None:
            median = baseline + sum(out.values())
            out["seniority"] += median * step.ratio - median
        adjustment = self.adjustment(profile)
        if adjustment is not None:
            median = baseline + sum(out.values())
            out["location"] = median * adjustment.ratio - median
        return out, baseline

    def support(self, profile: Profile) -> int | None:
        """Training respondents sharing the profile's country and role (either may be unknown)."""
        return self.support_of(profile.country, profile.role)

    def support_of(self, country: str | None, role: str | None) -> int | None:
        """support() of a canonical country and role (None: unknown), without a Profile."""
        table = self.metadata.get("support", {}).get("country_role")
        if table is None:
            return None
        total = 0
        for name in [country] if country is not None else list(table):
            roles = table.get(name, {})
            total += roles.get(role, 0) if role is not None else sum(roles.values())
        return total

    def what_if(self, profile: Profile, changes: Sequence[negotiation.Change]) -> list[dict[str, Any]]:
        """The range for the profile, for each change alone, and for all changes together."""
        scenarios = [("as given", profile)]
        for change in changes:
            scenarios.append((change.text, negotiation.apply_change(profile, change)))
        if len(changes) > 1:
            together = profile
            for change in changes:
                together = negotiation.apply_change(together, change)
            scenarios.append(("all together", together))
        quantiles = self.quantiles_many([p for _, p in scenarios])
        base = quantiles[0]
        shown = [[round(v) for v in q] for q in quantiles]  # a change is the difference of the figures shown
        rows = []
        for (label, scenario), q, r in zip(scenarios, quantiles, shown):
            rows.append({
                "scenario": label,
                "p10": r[0], "p50": r[2], "p90": r[4],
                "change_p10": r[0] - shown[0][0], "change_p50": r[2] - shown[0][2], "change_p90": r[4] - shown[0][4],
                "change_p50_pct": round(100 * (q[2] / base[2] - 1), 1),
                "profile": scenario.as_dict(),
            })
        return rows

    def quantiles_for(self, profile: Profile, *, source: str, year: int) -> np.ndarray:
        """Quantiles (5,) in USD for the profile as reported to `source` in `year` (trend),
        instead of the reference source and year every other answer is stated for."""
        schema = self.model.schema_
        if source not in schema.vocab_["source"]:
            raise InputError("source", f"unknown source {source!r}; the model knows {', '.join(schema.vocab_['source'])}")
        x = schema.encode_profiles([profile])
        x[:, schema.groups_["source"][0]] = schema.vocab_["source"][source]
        x[:, schema.groups_["year"][0]] = year
        return self.model.predict(x)[0]

    def estimate_frame(self, frame, *, explain: bool = False, currency: str | None = None, per: str = "year"):
        """A pandas DataFrame of profiles in (factor columns, with the names and header aliases
        of `batch`), the same rows out with the estimates added: what `batch` gives, row for row
        and note for note.

            >>> import pandas as pd
            >>> people = pd.DataFrame({"Location": ["Germany", "US"], "YOE": [5, 3], "Title": ["ML Engineer", "Data Scientist"]})
            >>> Estimator.load().estimate_frame(people)[["p10", "p50", "p90", "error"]]  # doctest: +SKIP

        A cell is read as `batch` reads its text in a CSV file (5 and 5.0 as "5" and "5.0", an
        empty cell, None or NaN as not given); a skills cell may also be a list of names. The
        added columns (batch's, then `currency` and `per`) are typed: amounts Float64, support
        Int64, thin boolean, text string, an empty cell <NA>; they replace input columns of the
        same name. `currency` and `per` are the CLI's --currency and --per. Each note `batch`
        prints (how a column was read, columns no factor uses, ...) is an MlsalaryWarning and
        is kept in the result's attrs["notes"].
        """
        import warnings

        import pandas as pd

        from mlsalary import batch
        from mlsalary.errors import MlsalaryWarning

        conversion = self.conversion(currency, per)
        header = [str(name) for name in frame.columns]
        # pandas' empty cells (NaN, None, NA, NaT) are None, as an empty CSV cell.
        values = frame.astype(object).where(frame.notna(), None)
        added, summary = batch.run_rows(self, header, values.itertuples(index=False, name=None), explain=explain, conversion=conversion)
        notes = ([] if conversion is None else [batch.conversion_note(conversion)]) + summary.notes()
        for note in notes:
            warnings.warn(note, MlsalaryWarning, stacklevel=2)
        # A frame without columns reads as an empty file, with no row: its rows get empty cells.
        empty = [None] * len(frame)
        columns = {name: pd.array(cells or empty, dtype=_COLUMN_TYPES.get(name, "Float64")) for name, cells in added.items()}
        kept = frame.loc[:, [name not in summary.replaced_columns for name in header]]
        result = pd.concat([kept, pd.DataFrame(columns, index=frame.index)], axis=1)
        result.attrs["notes"] = notes
        return result

    def quantiles_many(self, profiles: Sequence[Profile]) -> np.ndarray:
        """Quantiles (n, 5) in USD for many profiles at once (batch mode)."""
        if not profiles:
            return np.empty((0, len(QUANTILE_NAMES)))
        quantiles = self.model.predict(self.model.schema_.encode_profiles(list(profiles)))
        ratios = np.array([self.ratio(p) for p in profiles])
        if (ratios != 1.0).any():
            quantiles = quantiles * ratios[:, None]
        return quantiles


__all__ = ["Estimate", "Estimator", "FACTORS", "QUANTILE_NAMES"]
