"""Side-by-side answers: one profile with one or two factors varied (`compare`), and one
profile across the survey years the data covers (`trend`).

Every row is exactly what `Estimator.estimate` gives for that profile (compare) or for that
profile as reported to that source in that year (trend): the same model, the same calibration.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any, Sequence

from mlsalary.errors import InputError
from mlsalary.estimates import QUANTILE_NAMES, THIN_SUPPORT, Estimator
from mlsalary.factors import FIELDS, lookup
from mlsalary.negotiation import SOURCE_NAMES, with_value
from mlsalary.profile import Profile, show_value

# A survey year with fewer training rows than this is marked thin in `trend`.
THIN_YEAR_ROWS = 1_000


def parse_by(text: str) -> tuple[str, list[str]]:
    """'country=US,GB,DE' -> ('country', ['US', 'GB', 'DE'])."""
    name, sep, values = text.partition("=")
    if not sep:
        raise InputError("--by", f"--by must be FACTOR=V1,V2,... with FACTOR one of {', '.join(FIELDS)}; got {show_value(text)}")
    name = lookup(name, field="--by")
    items = _values(name, values)
    if not items:
        raise InputError("--by", f"--by {name}= needs at least one value, e.g. {name}=V1,V2")
    return name, items


def _values(name: str, text: str) -> list[str]:
    """The values of one --by, split at commas (or at semicolons when there are any); for
    locations a part that is a US state or a region code joins the place before it, so that
    "Austin, TX,Seattle" is two places."""
    parts = [v.strip() for v in text.split(";" if ";" in text else ",")]
    if name == "location" and ";" not in text:
        from mlsalary.locations import is_region_suffix

        joined: list[str] = []
        for part in parts:
            if joined and part and is_region_suffix(part) and not is_region_suffix(joined[-1]) and "," not in joined[-1]:
                joined[-1] = f"{joined[-1]}, {part}"
            else:
                joined.append(part)
        parts = joined
    return [v for v in parts if v]


def compare(estimator: Estimator, profile: Profile, by: Sequence[tuple[str, Sequence[str]]]) -> list[dict[str, Any]]:
    """One row per value (or per combination of values with two --by), in the order given."""
    if not by:
        raise InputError("--by", "give at least one --by FACTOR=V1,V2,...")
    names = [name for name, _ in by]
    if len(set(names)) != len(names):
        raise InputError("--by", f"each factor can be varied once; {names} repeats one")
    for name, values in by:
        for value in values:
            Profile.from_mapping({name: value})  # each value's own errors, named, before any row
    rows: list[dict[str, Any]] = []
    first = None
    for combination in itertools.product(*[values for _, values in by]):
        given = dict(zip(names, combination))
        changed = profile
        for name, text in given.items():  # each read as its option reads it (a title's level too)
            changed = with_value(changed, name, text)
        result = estimator.estimate(changed, explain=False)
        q = result.quantiles
        if first is None:
            first = q["p50"]
        row: dict[str, Any] = dict(given)
        row.update({k: round(q[k]) for k in QUANTILE_NAMES})
        row["support"] = result.support
        row["thin"] = result.thin_support
        row["change_p50"] = round(q["p50"]) - round(first)  # the difference of the figures shown
        row["change_p50_pct"] = round(100 * (q["p50"] / first - 1), 1)
        row["profile"] = changed.as_dict()
        rows.append(row)
    return rows


def trend(estimator: Estimator, profile: Profile) -> list[dict[str, Any]]:
    """The profile's range for each source and survey year of the training data."""
    rows_by = estimator.metadata.get("training_data", {}).get("rows_by_source_year", {})
    out: list[dict[str, Any]] = []
    for source in sorted(rows_by):
        for year in sorted(rows_by[source], key=int):
            n = int(rows_by[source][year])
            note = None
            if source.endswith("-us"):
                # A subset of its edition (US residents paid in USD): a different population.
                if profile.country not in (None, "US"):
                    note = "US respondents only: not estimated for another country"
            row: dict[str, Any] = {"source": source, "year": int(year), "rows": n, "thin": n < THIN_YEAR_ROWS, "note": note}
            if note is None:
                # A US place: the year's US range times the place's OEWS ratio (today's release).
                q = estimator.quantiles_for(profile, source=source, year=int(year)) * estimator.ratio(profile)
                row.update({k: round(v) for k, v in zip(QUANTILE_NAMES, q)})
            out.append(row)
    return out


def trend_sentence(rows: list[dict[str, Any]]) -> str:
    """What changed, by how much, per source with at least two estimated years; the past."""
    parts = []
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if "p50" in row and not row["thin"]:
            by_source.setdefault(row["source"].split("-")[0], []).append(row)
    for source, series in by_source.items():
        if len(series) < 2:
            continue
        a, b = series[0], series[-1]
        pct = 100 * (b["p50"] / a["p50"] - 1)
        subset = " (the first is a US, USD-paid subset of its edition)" if a["source"].endswith("-us") else ""
        parts.append(
            f"{SOURCE_NAMES.get(source, source)}: the median moved from {a['p50']:,} ({a['year']}) to "
            f"{b['p50']:,} ({b['year']}), {pct:+.0f}%{subset}"
        )
    if not parts:
        return "Too few survey years with enough rows to tell a change."
    return "; ".join(parts) + (
        ". This is the past, not a forecast: each survey edition asked different people, in USD "
        "at that year's exchange rates, without inflation adjustment."
    )



# `figures`: the essay's questions as tables. Years of experience for the curve.
CURVE_YEARS = ("0", "1", "2", "3", "5", "8", "10", "15", "20", "25")
FIGURE_COUNTRIES = 8  # the largest countries of the training data
FIGURE_SKILLS = 15  # the most reported skills the model knows


def figures(estimator: Estimator, profile: Profile) -> dict[str, list[dict[str, Any]]]:
    """Calibrated ranges for the profile (by default an ML engineer) by seniority x country,
    years of experience, industry, education and skill; each row as `compare` gives it."""
    from mlsalary import taxonomy

    support = estimator.metadata.get("support", {}).get("by_value", {})
    countries = list(support.get("country", {}))[:FIGURE_COUNTRIES]
    modelled = set(estimator.model.schema_.skills_)
    skills = [s for s in support.get("skills", {}) if s in modelled][:FIGURE_SKILLS]
    base = replace(profile, seniority=None, country=profile.country, experience=None, location=None)
    metros = _largest_metros(estimator, FIGURE_COUNTRIES)
    sections = {
        "seniority x country": compare(estimator, replace(base, country=None), [("country", countries), ("seniority", estimator.seniority_ladder())]),
        "experience": compare(estimator, profile, [("experience", list(CURVE_YEARS))]),
        "industry": compare(estimator, profile, [("industry", list(taxonomy.FACTOR_VALUES["industry"]))]),
        "education": compare(estimator, profile, [("education", list(taxonomy.FACTOR_VALUES["education"]))]),
        "skill": compare(estimator, replace(profile, skills=None), [("skills", skills)]),
    }
    if metros and profile.country in (None, "US"):
        sections["US metro"] = compare(estimator, replace(profile, country=None, location=None), [("location", metros)])
    return sections


def _largest_metros(estimator: Estimator, n: int) -> list[str]:
    """The US metros with the most software developers in the model's OEWS table."""
    table = getattr(estimator, "locations", None)
    if table is None:
        return []
    from mlsalary.locations import OCCUPATION

    metros = [a for a in table.areas.values() if a["type"] == "metro"]
    metros.sort(key=lambda a: -((a["occupations"].get(OCCUPATION) or {}).get("employment") or 0))
    return [a["name"] for a in metros[:n]]

__all__ = ["THIN_SUPPORT", "compare", "figures", "parse_by", "trend", "trend_sentence"]
